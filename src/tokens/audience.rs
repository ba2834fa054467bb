//! Who an access token is for (RFC 7519 §4.1.3 `aud`, RFC 8707 §2, RFC 9068 §3): the API(s) a
//! grant names, or the configured audience; with the lifetime and algorithm those APIs ask for
//! (docs/guides/apis.md, docs/security.md J.3).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::context::Context;
use crate::keys::Alg;

/// RFC 7519 §4.1.3: `aud`, a single string, or an array when there are several (RFC 8707 §2:
/// a token for several resources names each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aud(Vec<String>);

impl Aud {
    pub fn one(value: impl Into<String>) -> Aud {
        Aud(vec![value.into()])
    }

    /// Several audiences, in order (one is serialized as a string).
    pub fn many(values: Vec<String>) -> Aud {
        Aud(values)
    }

    pub fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|v| v == value)
    }

    pub fn values(&self) -> &[String] {
        &self.0
    }
}

impl Serialize for Aud {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => serializer.serialize_str(one),
            many => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Aud {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        Ok(match Raw::deserialize(deserializer)? {
            Raw::One(s) => Aud(vec![s]),
            Raw::Many(v) => Aud(v),
        })
    }
}

/// What the access tokens of one grant look like: `aud`, lifetime and signing algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    pub aud: Aud,
    pub ttl_secs: i64,
    pub alg: Alg,
}

impl Audience {
    /// No API named and none by default: `tokens.audience` (else the issuer), the configured
    /// lifetime and `keys.default_alg`, as before APIs existed.
    pub fn configured(ctx: &Context) -> Audience {
        Audience {
            aud: Aud::one(ctx.audience.to_string()),
            ttl_secs: ctx.tokens.access_token_ttl_secs as i64,
            alg: ctx.default_alg,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// J.3: RFC 8707 §2 / RFC 7519 §4.1.3: one audience is a string, several an array.
    #[test]
    fn aud_is_an_array_only_when_several() {
        assert_eq!(
            serde_json::to_string(&Aud::one("https://a")).unwrap(),
            "\"https://a\""
        );
        let two = Aud::many(vec!["https://a".into(), "https://b".into()]);
        assert_eq!(
            serde_json::to_string(&two).unwrap(),
            "[\"https://a\",\"https://b\"]"
        );
        let back: Aud = serde_json::from_str("[\"https://a\",\"https://b\"]").unwrap();
        assert_eq!(back, two);
        let back: Aud = serde_json::from_str("\"https://a\"").unwrap();
        assert!(back.contains("https://a") && !back.contains("https://b"));
    }
}
