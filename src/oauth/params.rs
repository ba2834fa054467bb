//! RFC 6749 §3.1 / §3.2: protocol parameters. Parameters sent without a value are treated as
//! omitted, a parameter sent twice is an error (except the few that may repeat, [`REPEATABLE`]),
//! unknown parameters are kept but callers ignore them.
//! Bounded input (docs/security.md E.28): at most [`MAX_PARAMS`] parameters of [`MAX_VALUE_LEN`] bytes,
//! and no control characters (U+0000-U+001F, U+007F-U+009F) in a name or a value: no protocol
//! parameter may contain one (not even a newline), and a NUL would reach the database.

use std::collections::BTreeMap;

use crate::oauth::OAuthError;

/// Largest accepted parameter value (and name), in bytes after decoding.
pub const MAX_VALUE_LEN: usize = 8 * 1024;
/// Most parameters accepted in one request (empty ones included).
pub const MAX_PARAMS: usize = 100;

/// Parameters that may be sent more than once: RFC 8707 §2 `resource` and RFC 8693 §2.1
/// `audience` (docs/security.md J.2). Every other parameter appears at most once (RFC 6749 §3.1).
pub const REPEATABLE: [&str; 2] = ["resource", "audience"];

/// RFC 6749 §3.1: the parameters of one request, each present at most once (the [`REPEATABLE`]
/// ones excepted) and never empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamMap {
    inner: BTreeMap<String, Vec<String>>,
}

impl ParamMap {
    /// The `device_name` parameter (a label for the account page), at most 64 characters.
    pub fn device_name(&self) -> Option<String> {
        self.get("device_name").map(|d| d.chars().take(64).collect())
    }

    /// RFC 6749 §3.1 + Appendix B: parses an `application/x-www-form-urlencoded` body or query string.
    pub fn from_urlencoded(input: &[u8]) -> Result<ParamMap, OAuthError> {
        let pairs = url::form_urlencoded::parse(input).map(|(k, v)| (k.into_owned(), v.into_owned()));
        ParamMap::from_pairs(pairs)
    }

    /// RFC 6749 §3.1: builds the map from already-decoded pairs, with the same rules as
    /// [`ParamMap::from_urlencoded`]. Errors: `invalid_request` "duplicate parameter: x", too many
    /// parameters, a value over 8 KiB, a control character.
    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Result<ParamMap, OAuthError> {
        let mut inner: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (count, (name, value)) in pairs.into_iter().enumerate() {
            if count >= MAX_PARAMS {
                return Err(OAuthError::invalid_request("too many parameters"));
            }
            if name.len() > MAX_VALUE_LEN {
                return Err(OAuthError::invalid_request("parameter name too long"));
            }
            if value.len() > MAX_VALUE_LEN {
                return Err(OAuthError::invalid_request(format!(
                    "parameter too long: {}",
                    printable(&name)
                )));
            }
            if name.chars().any(char::is_control) || value.chars().any(char::is_control) {
                return Err(OAuthError::invalid_request(format!(
                    "control character in parameter: {}",
                    printable(&name)
                )));
            }
            // §3.1: "Parameters sent without a value MUST be treated as if they were omitted".
            if name.is_empty() || value.is_empty() {
                continue;
            }
            match inner.get_mut(&name) {
                Some(values) if REPEATABLE.contains(&name.as_str()) => values.push(value),
                Some(_) => {
                    return Err(OAuthError::invalid_request(format!(
                        "duplicate parameter: {}",
                        printable(&name)
                    )));
                }
                None => {
                    inner.insert(name, vec![value]);
                }
            }
        }
        Ok(ParamMap { inner })
    }

    /// The value of `name`, if sent with a non-empty value (the first, for a [`REPEATABLE`] one).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.inner.get(name).and_then(|v| v.first()).map(String::as_str)
    }

    /// Every value of a [`REPEATABLE`] parameter, in the order sent (empty when absent).
    pub fn all(&self, name: &str) -> &[String] {
        self.inner.get(name).map_or(&[], Vec::as_slice)
    }

    /// The value of `name`, or `invalid_request` "missing parameter: name".
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter: {name}")))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.inner.contains_key(name)
    }

    /// All parameters, sorted by name; a repeated one once per value, in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
    }

    pub fn len(&self) -> usize {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

/// A parameter name fit to echo in an error description: short, no control characters.
fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::oauth::ErrorCode;

    fn parse(q: &str) -> Result<ParamMap, OAuthError> {
        ParamMap::from_urlencoded(q.as_bytes())
    }

    #[test]
    fn duplicate_parameters_are_rejected() {
        let e = parse("client_id=a&scope=openid&client_id=a").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert_eq!(e.description, "duplicate parameter: client_id");
    }

    /// J.2: RFC 8707 §2 `resource` (and RFC 8693 `audience`) may repeat; the values keep their
    /// order and survive a round trip through `iter` (a pushed request is stored that way).
    #[test]
    fn resource_may_repeat() {
        let p = parse("resource=https%3A%2F%2Fa.example&scope=x&resource=https%3A%2F%2Fb.example").unwrap();
        assert_eq!(p.all("resource"), ["https://a.example", "https://b.example"]);
        assert_eq!(p.get("resource"), Some("https://a.example"));
        assert!(p.all("audience").is_empty());
        let again = ParamMap::from_pairs(p.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap();
        assert_eq!(again, p);
        assert!(
            parse("scope=a&scope=b").is_err(),
            "other parameters still may not"
        );
    }

    #[test]
    fn empty_parameters_are_absent() {
        let p = parse("state=&scope=openid&nonce").unwrap();
        assert_eq!(p.get("state"), None);
        assert!(!p.contains("nonce"));
        assert_eq!(p.len(), 1);
        assert_eq!(
            p.require("state").unwrap_err().description,
            "missing parameter: state"
        );
    }

    #[test]
    fn empty_duplicate_does_not_count_as_a_duplicate() {
        let p = parse("state=&state=xyz").unwrap();
        assert_eq!(p.get("state"), Some("xyz"));
    }

    #[test]
    fn unknown_parameters_are_ignored() {
        let p = parse("response_type=code&foo=bar").unwrap();
        assert_eq!(p.require("response_type").unwrap(), "code");
        assert_eq!(p.get("foo"), Some("bar"));
    }

    #[test]
    fn values_are_form_url_decoded() {
        let p = parse("scope=openid+profile&redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fx%3D1").unwrap();
        assert_eq!(p.get("scope"), Some("openid profile"));
        assert_eq!(p.get("redirect_uri"), Some("https://a.example/cb?x=1"));
        assert_eq!(p.iter().count(), 2);
    }

    #[test]
    fn values_over_8_kib_are_rejected() {
        let ok = format!("state={}", "a".repeat(MAX_VALUE_LEN));
        assert!(parse(&ok).is_ok());
        let too_long = format!("state={}", "a".repeat(MAX_VALUE_LEN + 1));
        assert_eq!(parse(&too_long).unwrap_err().code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn more_than_100_parameters_are_rejected() {
        let ok: Vec<String> = (0..MAX_PARAMS).map(|i| format!("p{i}=v")).collect();
        assert_eq!(parse(&ok.join("&")).unwrap().len(), MAX_PARAMS);
        let too_many: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=")).collect();
        assert_eq!(
            parse(&too_many.join("&")).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn from_pairs_applies_the_same_rules() {
        let dup = vec![
            ("a".to_string(), "1".to_string()),
            ("a".to_string(), "2".to_string()),
        ];
        assert!(ParamMap::from_pairs(dup).is_err());
        let p = ParamMap::from_pairs(vec![("a".to_string(), String::new())]).unwrap();
        assert!(p.is_empty());
    }

    /// E.28: a control character (NUL, a newline, DEL, a C1 control) in any name or value is
    /// `invalid_request`; other Unicode, spaces included, is kept.
    #[test]
    fn control_characters_are_invalid_request() {
        for q in [
            "state=a%00b",
            "username=alice%0A",
            "password=pass%0D%0Aword",
            "nonce=%09",
            "login_hint=%7F",
            "login_hint=%C2%85",
            "a%00=1",
            "client_id=web-app&x=%1B",
        ] {
            let e = parse(q).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{q}");
            assert!(e.description.starts_with("control character"), "{q}");
        }
        let p = parse("password=p%C3%A4ss+w%E2%80%94rd+%F0%9F%94%91&state=%3C%3E%22").unwrap();
        assert_eq!(p.get("password"), Some("päss w—rd 🔑"));
    }

    #[test]
    fn malformed_input_never_panics() {
        for q in ["%", "%zz=1", "=x", "&&&", "a=%ff%fe", "a==b", "\u{0}=\u{0}"] {
            let _ = parse(q);
        }
        assert!(parse("=x").unwrap().is_empty());
    }
}
