//! Message catalogues (Fluent), Japanese first, English second, embedded in
//! the binary. Every key exists in both languages (tested below).

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use jousei_core::locale::Locale;

const JA: &str = include_str!("../locales/ja/main.ftl");
const EN: &str = include_str!("../locales/en/main.ftl");

pub struct I18n {
    bundles: HashMap<Locale, FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("I18n")
    }
}

fn source(locale: Locale) -> &'static str {
    match locale {
        Locale::Ja => JA,
        Locale::En => EN,
    }
}

impl I18n {
    /// Loads both catalogues. Fails if a catalogue does not parse.
    pub fn load() -> anyhow::Result<Self> {
        let mut bundles = HashMap::new();
        for locale in Locale::ALL {
            let res = FluentResource::try_new(source(locale).to_string())
                .map_err(|(_, errs)| anyhow::anyhow!("{locale}: {errs:?}"))?;
            let lang: unic_langid::LanguageIdentifier = locale.as_str().parse()?;
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            bundle.set_use_isolating(false);
            bundle
                .add_resource(res)
                .map_err(|errs| anyhow::anyhow!("{locale}: {errs:?}"))?;
            bundles.insert(locale, bundle);
        }
        Ok(I18n { bundles })
    }

    /// Whether `key` has a message.
    pub fn has(&self, locale: Locale, key: &str) -> bool {
        self.bundles
            .get(&locale)
            .is_some_and(|b| b.has_message(key))
    }

    /// The message for `key`, or the key itself when missing (which the
    /// parity tests prevent).
    pub fn t(&self, locale: Locale, key: &str) -> String {
        self.t_args(locale, key, &[])
    }

    /// The message for `key` with named arguments.
    pub fn t_args(&self, locale: Locale, key: &str, args: &[(&str, String)]) -> String {
        let Some(bundle) = self.bundles.get(&locale) else {
            return key.to_string();
        };
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_string();
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, FluentValue::from(v.clone()));
        }
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
        out.into_owned()
    }
}

/// Message keys defined in a catalogue source.
pub fn keys(src: &str) -> Vec<String> {
    src.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" = "))
        .filter_map(|l| l.split(" = ").next().map(|k| k.trim().to_string()))
        .collect()
}

/// The catalogue source of a language (for tests and tooling).
pub fn catalogue(locale: Locale) -> &'static str {
    source(locale)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn vars(src: &str, key: &str) -> BTreeSet<String> {
        let line = src
            .lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or("");
        line.split("{ $")
            .skip(1)
            .filter_map(|s| s.split(' ').next().map(str::to_string))
            .collect()
    }

    #[test]
    fn every_key_exists_in_both_languages() {
        let ja: BTreeSet<_> = keys(JA).into_iter().collect();
        let en: BTreeSet<_> = keys(EN).into_iter().collect();
        let only_ja: Vec<_> = ja.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ja).collect();
        assert!(only_ja.is_empty(), "keys only in ja: {only_ja:?}");
        assert!(only_en.is_empty(), "keys only in en: {only_en:?}");
        assert!(ja.len() > 50);
    }

    #[test]
    fn placeholders_match_between_languages() {
        for key in keys(JA) {
            assert_eq!(
                vars(JA, &key),
                vars(EN, &key),
                "placeholders differ for {key}"
            );
        }
    }

    #[test]
    fn catalogues_parse_and_have_no_duplicate_keys() {
        let i = I18n::load().unwrap();
        for l in Locale::ALL {
            let k = keys(source(l));
            let set: BTreeSet<_> = k.iter().collect();
            assert_eq!(set.len(), k.len(), "duplicate keys in {l}");
            for key in &k {
                assert!(i.has(l, key), "{l}: {key} did not load");
            }
        }
        assert_eq!(i.t(Locale::Ja, "nav-home"), "ホーム");
        assert_eq!(i.t(Locale::En, "nav-home"), "Home");
        assert_eq!(
            i.t_args(Locale::En, "home-welcome", &[("name", "Sato".into())]),
            "Hello, Sato."
        );
    }
}
