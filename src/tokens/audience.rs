//! Who an access token is for (RFC 7519 §4.1.3 `aud`, RFC 8707 §2, RFC 9068 §3): the API(s) a
//! grant names, or the configured audience; with the lifetime and algorithm those APIs ask for
//! (docs/guides/apis.md, docs/security.md J.3), and the algorithm an access token is signed with
//! (docs/security.md C.15): the API's, else the client's, else `tokens.access_token_alg`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::context::Context;
use crate::keys::Alg;
use crate::oauth::OAuthError;
use crate::storage::Client;

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
    /// The algorithm the API(s) ask for; `None`: the client's or the server's ([`Audience::alg_for`]).
    pub alg: Option<Alg>,
}

impl Audience {
    /// No API named and none by default: `tokens.audience` (else the issuer), the configured
    /// lifetime, and the client's or the configured algorithm.
    pub fn configured(ctx: &Context) -> Audience {
        Audience {
            aud: Aud::one(ctx.audience.to_string()),
            ttl_secs: ctx.tokens.access_token_ttl_secs as i64,
            alg: None,
        }
    }

    /// docs/security.md C.15: the algorithm of `client`'s access tokens for this audience. The
    /// API's own wins (its resource server verifies them), then the client's
    /// (`client add --access-token-alg`), then `tokens.access_token_alg`.
    pub fn alg_for(&self, ctx: &Context, client: &Client) -> Alg {
        choose_alg(self.alg, client.access_token_alg, ctx.tokens.access_token_alg)
    }

    /// [`Audience::alg_for`], refused when the key ring has no active key for it: never a silent
    /// fallback to an algorithm the token's recipient may refuse (docs/security.md J.3).
    pub fn signing_alg(&self, ctx: &Context, client: &Client) -> Result<Alg, OAuthError> {
        let alg = self.alg_for(ctx, client);
        if ctx.keys.signing_algs().contains(&alg) {
            Ok(alg)
        } else {
            Err(OAuthError::server_error(format!(
                "no active {alg} key for access tokens: portcullis keys rotate --alg {alg} --now"
            )))
        }
    }
}

/// The precedence of [`Audience::alg_for`]: the API's, the client's, the server's.
pub fn choose_alg(api: Option<Alg>, client: Option<Alg>, server: Alg) -> Alg {
    api.or(client).unwrap_or(server)
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

    /// C.15: an API's algorithm wins over the client's, which wins over the server's.
    #[test]
    fn per_api_alg_wins_over_per_client_alg_over_server_alg() {
        assert_eq!(choose_alg(None, None, Alg::Es256), Alg::Es256);
        assert_eq!(choose_alg(None, Some(Alg::Rs256), Alg::Es256), Alg::Rs256);
        assert_eq!(
            choose_alg(Some(Alg::EdDsa), Some(Alg::Rs256), Alg::Es256),
            Alg::EdDsa
        );
        assert_eq!(choose_alg(Some(Alg::Rs256), None, Alg::Es256), Alg::Rs256);
    }
}
