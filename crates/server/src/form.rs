//! Fields of a URL-encoded form or query, as the web pages read them.

/// The fields of a URL-encoded form or query, in order (repeated keys kept).
#[derive(Debug, Default, Clone)]
pub struct Pairs(pub(crate) Vec<(String, String)>);

impl Pairs {
    pub(crate) fn parse(body: &[u8]) -> Self {
        Pairs(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    /// The first value of `key` (empty when absent).
    pub(crate) fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    /// The first non-blank value of `key`.
    pub(crate) fn filled(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.clone())
    }
    /// Every value of `key`, in order.
    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Pairs;

    #[test]
    fn repeated_blank_and_missing_fields() {
        let p = Pairs::parse(b"a=1&b=+&b=x&a=2&c=%E4%B8%8A");
        assert_eq!(p.get("a"), "1");
        assert_eq!(p.get("missing"), "");
        assert_eq!(p.filled("b").as_deref(), Some("x"));
        assert_eq!(p.filled("missing"), None);
        assert_eq!(p.all("a"), ["1", "2"]);
        assert_eq!(p.get("c"), "上");
    }
}
