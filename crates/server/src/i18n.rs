//! Message catalogues (Fluent), Japanese first, English second, embedded in
//! the binary. Every key exists in both languages (tested below).

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use jousei_core::locale::Locale;

/// Every `locales/<lang>/*.ftl` file, embedded. Each area of jousei keeps
/// its messages in its own file (`main.ftl`, `barcode.ftl`, …).
#[derive(rust_embed::Embed)]
#[folder = "locales/"]
#[include = "*.ftl"]
struct Catalogues;

pub struct I18n {
    bundles: HashMap<Locale, FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("I18n")
    }
}

/// All message files of one language, concatenated in file-name order.
fn source(locale: Locale) -> String {
    let prefix = format!("{}/", locale.as_str());
    let mut files: Vec<String> = Catalogues::iter()
        .filter(|f| f.starts_with(&prefix))
        .map(|f| f.into_owned())
        .collect();
    files.sort();
    let mut out = String::new();
    for f in files {
        if let Some(file) = Catalogues::get(&f) {
            out.push_str(&String::from_utf8_lossy(&file.data));
            out.push('\n');
        }
    }
    out
}

impl I18n {
    /// Loads both catalogues. Fails if a catalogue does not parse.
    pub fn load() -> anyhow::Result<Self> {
        let mut bundles = HashMap::new();
        for locale in Locale::ALL {
            let res = FluentResource::try_new(source(locale))
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
pub fn catalogue(locale: Locale) -> String {
    source(locale)
}

impl jousei_service::Texts for I18n {
    fn t(&self, locale: Locale, key: &str) -> String {
        I18n::t(self, locale, key)
    }
    fn t_args(&self, locale: Locale, key: &str, args: &[(&str, String)]) -> String {
        I18n::t_args(self, locale, key, args)
    }
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
        let ja: BTreeSet<_> = keys(&source(Locale::Ja)).into_iter().collect();
        let en: BTreeSet<_> = keys(&source(Locale::En)).into_iter().collect();
        let only_ja: Vec<_> = ja.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ja).collect();
        assert!(only_ja.is_empty(), "keys only in ja: {only_ja:?}");
        assert!(only_en.is_empty(), "keys only in en: {only_en:?}");
        assert!(ja.len() > 50);
    }

    /// Every error code written in the source (`ApiError::new(.., "code")`,
    /// `ServiceError::new(.., "code")` in the use cases,
    /// `FieldError::new("field", "code")`, `Conflict("code")`) has a message
    /// in both languages, and every field named has a label.
    #[test]
    fn every_error_code_in_the_source_has_messages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        let mut dirs = vec![root];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("src/i18n.rs") {
                    files.push(p);
                }
            }
        }
        // Only snake_case literals count (this test's own patterns do not).
        let quoted = |s: &str| -> Vec<String> {
            s.split('"')
                .skip(1)
                .step_by(2)
                .filter(|q| {
                    !q.is_empty()
                        && q.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                })
                .map(str::to_string)
                .collect()
        };
        let mut codes = BTreeSet::new();
        let mut fields = BTreeSet::new();
        for f in &files {
            let src = std::fs::read_to_string(f).unwrap();
            for (pat, take_field) in [
                ("ApiError::new(", false),
                ("ServiceError::new(", false),
                ("FieldError::new(", true),
                ("Conflict(\"", false),
            ] {
                for part in src.split(pat).skip(1) {
                    let args = part.split(')').next().unwrap_or("");
                    let args = if pat.ends_with('"') {
                        format!("\"{args}")
                    } else {
                        args.to_string()
                    };
                    let q = quoted(&args);
                    if take_field {
                        // FieldError::new(field, code): either may be a variable.
                        let (first, rest) = args.split_once(',').unwrap_or((&args, ""));
                        fields.extend(quoted(first));
                        codes.extend(quoted(rest));
                    } else if let Some(code) = q.last() {
                        codes.insert(code.clone());
                    }
                }
            }
            for part in src.split(".with_field(\"").skip(1) {
                if let Some(f) = part.split('"').next() {
                    fields.insert(f.to_string());
                }
            }
        }
        assert!(codes.contains("login_failed") && codes.contains("password_too_short"));
        let i = I18n::load().unwrap();
        let mut missing = Vec::new();
        for l in Locale::ALL {
            for c in &codes {
                if !i.has(l, &format!("err-{c}")) {
                    missing.push(format!("{l}: err-{c}"));
                }
            }
            for f in &fields {
                if !i.has(l, &format!("field-{f}")) {
                    missing.push(format!("{l}: field-{f}"));
                }
            }
        }
        assert!(missing.is_empty(), "messages missing: {missing:?}");
    }

    /// Every literal key a page asks for (`l.t("…")` in templates and page
    /// code) exists in both languages.
    #[test]
    fn every_page_key_exists_in_both_languages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![root.join("templates"), root.join("src")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "html" || x == "rs") {
                    files.push(p);
                }
            }
        }
        let i = I18n::load().unwrap();
        let mut keys = BTreeSet::new();
        for f in &files {
            let src = std::fs::read_to_string(f).unwrap();
            for part in src.split("l.t(\"").skip(1) {
                if let Some(k) = part.split('"').next()
                    && !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    keys.insert(k.to_string());
                }
            }
        }
        assert!(keys.contains("plui-plan-title") && keys.contains("schui-title"));
        let missing: Vec<String> = Locale::ALL
            .iter()
            .flat_map(|l| {
                keys.iter()
                    .filter(|k| !i.has(*l, k))
                    .map(move |k| format!("{l}: {k}"))
            })
            .collect();
        assert!(missing.is_empty(), "page keys missing: {missing:?}");
    }

    #[test]
    fn placeholders_match_between_languages() {
        let (ja, en) = (source(Locale::Ja), source(Locale::En));
        for key in keys(&ja) {
            assert_eq!(
                vars(&ja, &key),
                vars(&en, &key),
                "placeholders differ for {key}"
            );
        }
    }

    #[test]
    fn catalogues_parse_and_have_no_duplicate_keys() {
        let i = I18n::load().unwrap();
        for l in Locale::ALL {
            let k = keys(&source(l));
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
