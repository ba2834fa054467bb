//! New signing key pairs (docs/architecture.md, "Flows"): RS256 (RSA 2048), ES256 (P-256) and
//! EdDSA (Ed25519), with random key ids (docs/security.md E.24: never derived from a secret).
//! RSA generation takes tens of milliseconds: call [`generate`] on the blocking pool.

use josekit::jwk::{Ed25519, Jwk, KeyPair};
use josekit::jws::{ES256, EdDSA, RS256};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use super::{Alg, KeyError, jwks};

/// RSA modulus size for RS256 (RFC 7518 §3.3 requires at least 2048).
pub const RSA_BITS: u32 = 2048;

/// A freshly generated key pair.
pub struct GeneratedKey {
    /// Random: 128 bits, hex.
    pub kid: String,
    pub alg: Alg,
    /// The private JWK as JSON (with `kid`, `alg`, `use`); seal it before storing.
    pub private_jwk: SecretString,
    /// The public JWK as JSON, as published: `kty, kid, use: "sig", alg` and the public members.
    pub public_jwk: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// RFC 7517 §4 + RFC 7518 §6: generates a key pair for `alg` with a new random `kid`.
pub fn generate(alg: Alg) -> Result<GeneratedKey, KeyError> {
    let mut private: Jwk = match alg {
        Alg::Rs256 => RS256.generate_key_pair(RSA_BITS)?.to_jwk_key_pair(),
        Alg::Es256 => ES256.generate_key_pair()?.to_jwk_key_pair(),
        Alg::EdDsa => EdDSA.generate_key_pair(Ed25519)?.to_jwk_key_pair(),
    };
    let kid = crate::random::random_id();
    private.set_key_id(kid.clone());
    private.set_algorithm(alg.as_str());
    private.set_key_use("sig");
    let public = jwks::public_members(private.as_ref());
    if ["n", "x"].iter().all(|m| !public.contains_key(*m)) {
        return Err(KeyError::Crypto(format!(
            "generated {alg} key has no public member"
        )));
    }
    Ok(GeneratedKey {
        kid,
        alg,
        private_jwk: SecretString::from(private.to_string()),
        public_jwk: Value::Object(public).to_string(),
    })
}

impl GeneratedKey {
    /// The same key pair under another key id: `kid` is replaced in both JWKs, nothing else
    /// changes. Key ids stay random (docs/security.md E.24); the test servers use this to share one
    /// RSA pair per test process (docs/architecture.md, "Tests").
    pub fn with_kid(&self, kid: String) -> Result<GeneratedKey, KeyError> {
        let rekey = |json: &str| -> Result<String, KeyError> {
            let mut jwk: Map<String, Value> = serde_json::from_str(json)
                .map_err(|e| KeyError::Invalid(format!("generated JWK is not a JSON object: {e}")))?;
            jwk.insert("kid".into(), Value::from(kid.as_str()));
            Ok(Value::Object(jwk).to_string())
        };
        Ok(GeneratedKey {
            private_jwk: SecretString::from(rekey(self.private_jwk.expose_secret())?),
            public_jwk: rekey(&self.public_jwk)?,
            kid,
            alg: self.alg,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_public_halves_without_private_members() {
        for alg in Alg::ALL {
            let k = generate(alg).unwrap();
            let public: Map<String, Value> = serde_json::from_str(&k.public_jwk).unwrap();
            assert_eq!(public["kid"], k.kid.as_str());
            assert_eq!(public["alg"], alg.as_str());
            assert_eq!(public["use"], "sig");
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                assert!(!public.contains_key(private), "{alg} public JWK has {private}");
            }
            let private: Map<String, Value> = serde_json::from_str(k.private_jwk.expose_secret()).unwrap();
            assert!(private.contains_key("d"));
            assert_eq!(private["kid"], k.kid.as_str());
        }
        assert_ne!(
            generate(Alg::EdDsa).unwrap().kid,
            generate(Alg::EdDsa).unwrap().kid
        );
    }

    #[test]
    fn with_kid_renames_the_key_and_keeps_its_material() {
        let k = generate(Alg::Es256).unwrap();
        let renamed = k.with_kid("other".into()).unwrap();
        assert_eq!(renamed.kid, "other");
        assert_eq!(renamed.alg, Alg::Es256);
        for (old, new) in [
            (k.public_jwk.as_str(), renamed.public_jwk.as_str()),
            (k.private_jwk.expose_secret(), renamed.private_jwk.expose_secret()),
        ] {
            let mut old: Map<String, Value> = serde_json::from_str(old).unwrap();
            let new: Map<String, Value> = serde_json::from_str(new).unwrap();
            assert_eq!(new["kid"], "other");
            old.insert("kid".into(), Value::from("other"));
            assert_eq!(old, new);
        }
    }
}
