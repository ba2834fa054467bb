//! RFC 6749 §3.3: access token scope, a set of case-sensitive scope tokens separated by spaces.
//! The `scope` parameter is parsed by oxide-auth's `Scope` (`oxide_auth::primitives::scope`), which
//! applies RFC 6749 §3.3's `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`; this wrapper keeps the
//! tokens sorted so output is stable, and adds the set operations the grants need.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::oauth::OAuthError;

/// OpenID Core §3.1.2.1: makes an authorization request an OpenID request.
pub const OPENID: &str = "openid";
/// OpenID Core §11: asks for a refresh token usable while the user is away.
pub const OFFLINE_ACCESS: &str = "offline_access";
/// OpenID Core §5.4 and §11: the scope values this provider knows.
pub const STANDARD_SCOPES: [&str; 6] = ["openid", "profile", "email", "address", "phone", "offline_access"];

/// RFC 6749 §3.3: a set of scope tokens, sorted.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Scope {
    tokens: BTreeSet<String>,
}

impl Scope {
    /// RFC 6749 §3.3: parses a space-delimited `scope` parameter. `""` is the empty scope; repeated
    /// spaces are tolerated; any other character outside the scope-token charset is `invalid_scope`.
    pub fn parse(s: &str) -> Result<Scope, OAuthError> {
        let parsed: oxide_auth::primitives::scope::Scope = s
            .parse()
            .map_err(|e| OAuthError::invalid_scope("scope contains an invalid character").with_detail(e))?;
        Ok(Scope::from_tokens(parsed.iter()))
    }

    /// RFC 6749 §3.3: builds a scope from trusted tokens (configuration, storage). Empty tokens are
    /// skipped, so `Scope::from_tokens("".split(' '))` is the empty scope.
    pub fn from_tokens<I: IntoIterator<Item = S>, S: AsRef<str>>(it: I) -> Scope {
        let tokens = it
            .into_iter()
            .filter(|t| !t.as_ref().is_empty())
            .map(|t| t.as_ref().to_string())
            .collect();
        Scope { tokens }
    }

    /// RFC 6749 §3.3: scope tokens are case-sensitive.
    pub fn contains(&self, token: &str) -> bool {
        self.tokens.contains(token)
    }

    /// RFC 6749 §3.3 / §6: every token of `self` is in `other` (a refresh may only narrow).
    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.tokens.is_subset(&other.tokens)
    }

    /// RFC 6749 §3.3: the tokens in both, e.g. requested ∩ allowed for the client.
    pub fn intersect(&self, other: &Scope) -> Scope {
        Scope {
            tokens: self.tokens.intersection(&other.tokens).cloned().collect(),
        }
    }

    /// RFC 6749 §3.3: the tokens in either (consent merged with earlier consent).
    pub fn union(&self, other: &Scope) -> Scope {
        Scope {
            tokens: self.tokens.union(&other.tokens).cloned().collect(),
        }
    }

    /// The scope without the named tokens (e.g. the user-centric ones for client_credentials).
    pub fn without(&self, removed: &[&str]) -> Scope {
        Scope {
            tokens: self
                .tokens
                .iter()
                .filter(|t| !removed.contains(&t.as_str()))
                .cloned()
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The tokens, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().map(String::as_str)
    }
}

/// RFC 6749 §3.3: space-separated, sorted.
impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, token) in self.tokens.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(token)?;
        }
        Ok(())
    }
}

/// Serialized as its RFC 6749 §3.3 string form.
impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserialized from its string form. Stored data is trusted (as [`Scope::from_tokens`]) so that
/// whatever was stored round-trips.
impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(Scope::from_tokens(s.split(' ')))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::oauth::ErrorCode;

    #[test]
    fn empty_scope_parameter_is_the_empty_scope() {
        assert!(Scope::parse("").unwrap().is_empty());
        assert!(Scope::from_tokens("".split(' ')).is_empty());
    }

    #[test]
    fn scope_tokens_outside_the_rfc6749_charset_are_invalid_scope() {
        for bad in ["openid \"x\"", "a\\b", "openid\tprofile", "caf\u{e9}", "a\nb"] {
            assert_eq!(
                Scope::parse(bad).unwrap_err().code,
                ErrorCode::InvalidScope,
                "{bad:?}"
            );
        }
        assert!(Scope::parse("! # [ ] ~ urn:x:read https://api.example.com/read").is_ok());
    }

    #[test]
    fn scope_is_printed_sorted_and_deduplicated() {
        let s = Scope::parse("profile openid  email openid").unwrap();
        assert_eq!(s.to_string(), "email openid profile");
        assert_eq!(s.iter().collect::<Vec<_>>(), ["email", "openid", "profile"]);
    }

    #[test]
    fn scope_tokens_are_case_sensitive() {
        let s = Scope::parse("OpenID").unwrap();
        assert!(!s.contains(OPENID));
        assert!(s.contains("OpenID"));
    }

    #[test]
    fn subset_and_intersection() {
        let allowed = Scope::from_tokens(["openid", "profile", "email"]);
        let requested = Scope::parse("openid email phone").unwrap();
        assert!(!requested.is_subset_of(&allowed));
        let granted = requested.intersect(&allowed);
        assert_eq!(granted.to_string(), "email openid");
        assert!(granted.is_subset_of(&allowed));
        assert!(Scope::default().is_subset_of(&allowed));
    }

    #[test]
    fn scope_serializes_as_its_string_form() {
        let s = Scope::parse("openid profile").unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "\"openid profile\"");
        assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), s);
        assert!(serde_json::from_str::<Scope>("\"\"").unwrap().is_empty());
    }
}
