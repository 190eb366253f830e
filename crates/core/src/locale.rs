//! The two languages jousei speaks, and how a request picks one.

use serde::{Deserialize, Serialize};

/// A user-interface language. Japanese comes first: it is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Ja,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Ja, Locale::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Ja => "ja",
            Locale::En => "en",
        }
    }

    /// Parses a language tag such as `ja`, `ja-JP`, `en-US` (case-insensitive).
    pub fn parse(tag: &str) -> Option<Locale> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "ja" => Some(Locale::Ja),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// Picks the best supported language from an `Accept-Language` header
    /// value (RFC 9110 §12.5.4): highest q-value wins, ties keep header order,
    /// `q=0` means "not acceptable". Returns `None` when nothing matches.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(u16, usize, Locale)> = None;
        for (index, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let mut q: u16 = 1000;
            for param in parts {
                let param = param.trim();
                if let Some(v) = param
                    .strip_prefix("q=")
                    .or_else(|| param.strip_prefix("Q="))
                {
                    q = parse_qvalue(v).unwrap_or(0);
                }
            }
            if q == 0 {
                continue;
            }
            let Some(locale) = Locale::parse(tag) else {
                continue;
            };
            let better = match best {
                None => true,
                Some((bq, _, _)) => q > bq,
            };
            if better {
                best = Some((q, index, locale));
            }
        }
        best.map(|(_, _, l)| l)
    }
}

/// q-values have at most three decimals; returned as thousandths.
fn parse_qvalue(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let int: u16 = match int {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let mut frac_val: u16 = 0;
    for (i, c) in frac.chars().enumerate() {
        let d = c.to_digit(10)? as u16;
        frac_val += d * [100, 10, 1].get(i).copied().unwrap_or(0);
    }
    let total = int * 1000 + frac_val;
    (total <= 1000).then_some(total)
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_highest_q() {
        assert_eq!(
            Locale::from_accept_language("en-US,en;q=0.9,ja;q=0.8"),
            Some(Locale::En)
        );
        assert_eq!(
            Locale::from_accept_language("fr, ja;q=0.5, en;q=0.4"),
            Some(Locale::Ja)
        );
        assert_eq!(Locale::from_accept_language("ja-JP"), Some(Locale::Ja));
        assert_eq!(
            Locale::from_accept_language("en;q=0, ja;q=0.1"),
            Some(Locale::Ja)
        );
        assert_eq!(Locale::from_accept_language("fr, de"), None);
        assert_eq!(Locale::from_accept_language(""), None);
        assert_eq!(Locale::from_accept_language("en;q=abc"), None);
    }

    #[test]
    fn ties_keep_header_order() {
        assert_eq!(Locale::from_accept_language("en, ja"), Some(Locale::En));
        assert_eq!(Locale::from_accept_language("ja, en"), Some(Locale::Ja));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".{0,80}") {
            let _ = Locale::from_accept_language(&s);
        }
    }
}
