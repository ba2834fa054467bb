//! Keys another party published as a JWK Set (RFC 7517 §5): a client's keys for `private_key_jwt`
//! (docs/security.md K.1), or an issuer's JWKS (`portcullis token inspect`, docs/operations.md
//! "Token debugging"). Chooses the key a JWS header names and builds its verifier; asymmetric
//! algorithms only (never `none` or `HS*`).

use josekit::jwk::Jwk;
use josekit::jws::{ES256, EdDSA, JwsVerifier, PS256, RS256};
use serde_json::{Map, Value};

/// The algorithms a published key may verify.
pub const ALGS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];

/// Why no key was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChoice {
    /// No key of the set fits the header's `kid` and `alg`.
    NotFound,
    /// The header names no `kid` and several keys fit.
    NeedsKid,
    /// The chosen key is not a usable JWK.
    NotAJwk(String),
}

/// The key type an algorithm needs.
fn kty_of(alg: &str) -> &'static str {
    match alg {
        "ES256" => "EC",
        "EdDSA" => "OKP",
        _ => "RSA",
    }
}

/// The key of `keys` for `alg`: the one with `kid` when the header names one; without a `kid`,
/// the only key of the right type. A key whose `use` is not `sig` or whose `alg` differs is never
/// chosen.
pub fn select(keys: &[Map<String, Value>], alg: &str, kid: Option<&str>) -> Result<Jwk, KeyChoice> {
    let usable = |k: &&Map<String, Value>| {
        let text = |name: &str| k.get(name).and_then(Value::as_str);
        text("kty") == Some(kty_of(alg))
            && text("use").is_none_or(|u| u == "sig")
            && text("alg").is_none_or(|a| a == alg)
    };
    let candidates: Vec<&Map<String, Value>> = match kid {
        Some(kid) => keys
            .iter()
            .filter(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
            .filter(usable)
            .collect(),
        None => keys.iter().filter(usable).collect(),
    };
    let [key] = candidates.as_slice() else {
        return Err(if candidates.is_empty() {
            KeyChoice::NotFound
        } else {
            KeyChoice::NeedsKid
        });
    };
    let mut key = (*key).clone();
    if kid.is_none() {
        // josekit's verifier would otherwise require the header to name the key.
        key.remove("kid");
    }
    Jwk::from_map(key).map_err(|e| KeyChoice::NotAJwk(e.to_string()))
}

/// The verifier of `alg` (one of [`ALGS`]) with `jwk`.
pub fn verifier(alg: &str, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, josekit::JoseError> {
    Ok(match alg {
        "ES256" => Box::new(ES256.verifier_from_jwk(jwk)?),
        "EdDSA" => Box::new(EdDSA.verifier_from_jwk(jwk)?),
        "PS256" => Box::new(PS256.verifier_from_jwk(jwk)?),
        _ => Box::new(RS256.verifier_from_jwk(jwk)?),
    })
}
