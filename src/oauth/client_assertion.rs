//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, RFC 7521 §4.2, OpenID Core §9),
//! checked without I/O (docs/security.md K.1): the JWS header (an allow-listed asymmetric `alg`,
//! no `crit`), the key chosen from the client's JWK Set by `kid`, the signature, and the claims:
//! `iss` = `sub` = the client_id, `aud` the issuer or the endpoint's URL (a single value), `exp`
//! present and at most [`MAX_LIFETIME`] ahead, `nbf`/`iat` not in the future, `jti` present. The
//! single use of `jti` needs the shared store and is in `clients/assertion.rs`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jws;
use serde_json::{Map, Value};

use crate::keys::published::{self, KeyChoice};
use crate::oauth::OAuthError;

/// RFC 7523 §2.2 `client_assertion_type`.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// `token_endpoint_auth_signing_alg_values_supported`: asymmetric algorithms only; `none` and
/// `HS*` (a MAC keyed with something the server would have to know) are refused.
pub const SIGNING_ALGS: [&str; 4] = published::ALGS;
/// The longest an assertion may live from now (`exp - now`), in seconds.
pub const MAX_LIFETIME: i64 = 300;
/// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY: i64 = 30;
/// The longest assertion read, before any parsing (docs/security.md E.28).
pub const MAX_ASSERTION_LEN: usize = 8 * 1024;
/// The largest JWK Set accepted at registration, as JSON text.
pub const MAX_JWKS_LEN: usize = 16 * 1024;
const MAX_JTI_LEN: usize = 256;
const MIN_RSA_MODULUS_BYTES: usize = 256;
/// JWK members only a private (or symmetric) key has.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// What the header and the unverified claims say, enough to find the client and its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peeked {
    pub alg: &'static str,
    pub kid: Option<String>,
    /// The unverified `sub` (RFC 7521 §4.2: the client_id when the body names none).
    pub sub: Option<String>,
}

/// What a verified assertion must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub client_id: &'a str,
    /// Acceptable `aud` values: the issuer, the token endpoint and the endpoint called.
    pub audiences: &'a [String],
    pub now: i64,
}

/// An assertion that passed every check: its `jti` must now be used once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub jti: String,
    pub exp: i64,
}

/// Why verification failed; `KeyNotFound` lets the caller fetch a `jwks_uri` again once.
#[derive(Debug)]
pub enum Failure {
    KeyNotFound,
    Invalid(OAuthError),
}

impl From<OAuthError> for Failure {
    fn from(e: OAuthError) -> Failure {
        Failure::Invalid(e)
    }
}

/// Every failure is `invalid_client` "client authentication failed" (docs/security.md C.12), the
/// real reason in the logged detail.
pub fn fail(reason: &'static str) -> OAuthError {
    OAuthError::invalid_client("client authentication failed").with_detail(reason)
}

fn b64_json(part: &str) -> Option<Map<String, Value>> {
    URL_SAFE_NO_PAD
        .decode(part)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
}

/// The header's `alg` (allow-listed), `kid`, and the unverified `sub`; refuses `crit`, a `typ`
/// other than `JWT` or `client-authentication+jwt`, and anything that is not a compact JWS.
pub fn peek(assertion: &str) -> Result<Peeked, OAuthError> {
    if assertion.len() > MAX_ASSERTION_LEN {
        return Err(fail("the client assertion is too long"));
    }
    let mut parts = assertion.split('.');
    let (Some(head), Some(body), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(fail("the client assertion is not a compact JWS"));
    };
    let header = b64_json(head).ok_or_else(|| fail("the client assertion's header is not JSON"))?;
    let text = |name: &str| header.get(name).and_then(Value::as_str);
    let alg = text("alg")
        .and_then(|a| SIGNING_ALGS.iter().find(|s| **s == a).copied())
        .ok_or_else(|| fail("the client assertion's alg is not allowed"))?;
    if header.contains_key("crit") {
        return Err(fail("the client assertion must not have crit"));
    }
    if let Some(typ) = text("typ") {
        if !typ.eq_ignore_ascii_case("JWT") && !typ.eq_ignore_ascii_case("client-authentication+jwt") {
            return Err(fail("the client assertion's typ is not JWT"));
        }
    }
    let claims = b64_json(body).ok_or_else(|| fail("the client assertion's payload is not JSON"))?;
    Ok(Peeked {
        alg,
        kid: text("kid").map(str::to_string),
        sub: claims.get("sub").and_then(Value::as_str).map(str::to_string),
    })
}

/// RFC 7523 §3: verifies `assertion` with the key of `jwks` its header names, then its claims.
pub fn verify(assertion: &str, jwks: &str, expected: &Expected<'_>) -> Result<Verified, Failure> {
    let peeked = peek(assertion)?;
    let jwk = select_key(jwks, peeked.alg, peeked.kid.as_deref())?;
    let verifier = published::verifier(peeked.alg, &jwk)
        .map_err(|e| fail("the client's key does not suit the assertion's alg").with_detail(e))?;
    let (payload, _) = jws::deserialize_compact(assertion, verifier.as_ref())
        .map_err(|e| fail("the client assertion's signature does not verify").with_detail(e))?;
    let claims: Map<String, Value> = serde_json::from_slice(&payload)
        .map_err(|_| fail("the client assertion's payload is not a JSON object"))?;
    Ok(check_claims(&claims, expected)?)
}

/// The key of `jwks` for `alg` ([`published::select`]); no key: [`Failure::KeyNotFound`].
fn select_key(jwks: &str, alg: &str, kid: Option<&str>) -> Result<Jwk, Failure> {
    let keys = parse_jwks(jwks).map_err(|_| fail("the client's JWK Set is not valid"))?;
    published::select(&keys, alg, kid).map_err(|e| match e {
        KeyChoice::NotFound => Failure::KeyNotFound,
        KeyChoice::NeedsKid => {
            fail("the client assertion needs a kid to choose among the client's keys").into()
        }
        KeyChoice::NotAJwk(e) => Failure::Invalid(fail("the client's key is not a JWK").with_detail(e)),
    })
}

/// RFC 7517 §5: a JWK Set of public signing keys (RSA of at least 2048 bits, EC, OKP), each with
/// the members its type needs. Used at registration too (docs/security.md K.1).
pub fn parse_jwks(text: &str) -> Result<Vec<Map<String, Value>>, String> {
    if text.len() > MAX_JWKS_LEN {
        return Err(format!("the JWK Set is larger than {MAX_JWKS_LEN} bytes"));
    }
    let set: Map<String, Value> =
        serde_json::from_str(text).map_err(|_| "the JWK Set is not a JSON object".to_string())?;
    let keys = set
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the JWK Set has no keys array")?;
    if keys.is_empty() {
        return Err("the JWK Set has no keys".into());
    }
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let key = key.as_object().ok_or("a key is not a JSON object")?;
        if PRIVATE_MEMBERS.iter().any(|m| key.contains_key(*m)) {
            return Err("the JWK Set must hold public keys only".into());
        }
        let text = |name: &str| key.get(name).and_then(Value::as_str);
        let required: &[&str] = match text("kty") {
            Some("RSA") => &["n", "e"],
            Some("EC") => &["crv", "x", "y"],
            Some("OKP") => &["crv", "x"],
            _ => return Err("a key's kty must be RSA, EC or OKP".into()),
        };
        if required.iter().any(|m| text(m).is_none()) {
            return Err("a key lacks a member its kty needs".into());
        }
        if text("kty") == Some("RSA") {
            let n = URL_SAFE_NO_PAD
                .decode(text("n").unwrap_or_default())
                .map(|b| b.len())
                .unwrap_or(0);
            if n < MIN_RSA_MODULUS_BYTES {
                return Err("an RSA key is shorter than 2048 bits".into());
            }
        }
        out.push(key.clone());
    }
    Ok(out)
}

/// RFC 7523 §3 items 1-7.
fn check_claims(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<Verified, OAuthError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let date = |name: &str| claims.get(name).and_then(numeric_date);
    if text("iss") != Some(expected.client_id) {
        return Err(fail("the client assertion's iss is not the client_id"));
    }
    if text("sub") != Some(expected.client_id) {
        return Err(fail("the client assertion's sub is not the client_id"));
    }
    // One audience only: an array naming other parties too could be replayed to them
    // (draft-ietf-oauth-rfc7523bis §4).
    let aud = match claims.get("aud") {
        Some(Value::String(a)) => Some(a.as_str()),
        Some(Value::Array(v)) if v.len() == 1 => v.first().and_then(Value::as_str),
        _ => None,
    };
    if !aud.is_some_and(|a| expected.audiences.iter().any(|e| e == a)) {
        return Err(fail("the client assertion's aud is not this server"));
    }
    let exp = date("exp").ok_or_else(|| fail("the client assertion needs exp"))?;
    let now = expected.now;
    if exp.saturating_add(LEEWAY) <= now {
        return Err(fail("the client assertion has expired"));
    }
    if exp > now.saturating_add(MAX_LIFETIME + LEEWAY) {
        return Err(fail("the client assertion lives too long"));
    }
    for name in ["nbf", "iat"] {
        if let Some(t) = date(name) {
            if t > now.saturating_add(LEEWAY) {
                return Err(fail("the client assertion is not valid yet"));
            }
        }
        if claims.contains_key(name) && date(name).is_none() {
            return Err(fail("the client assertion's dates must be numbers"));
        }
    }
    let jti = text("jti")
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)
        .ok_or_else(|| fail("the client assertion needs a jti of at most 256 characters"))?;
    Ok(Verified {
        jti: jti.to_string(),
        exp,
    })
}

/// RFC 7519 §2 NumericDate.
fn numeric_date(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.is_finite() && f.abs() < 1e15)
            .map(|f| f as i64)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use josekit::jwk::alg::ec::EcCurve;
    use josekit::jwk::alg::ed::EdCurve;
    use josekit::jws::{HS256, JwsHeader, JwsSigner};
    use serde_json::json;

    use super::*;
    use crate::oauth::ErrorCode;
    use josekit::jws::{ES256, EdDSA, PS256, RS256};

    const NOW: i64 = 1_800_000_000;
    const ISS: &str = "https://id.example.com";

    fn key(alg: &str, kid: &str) -> (Box<dyn JwsSigner>, Jwk) {
        let mut private = match alg {
            "ES256" => Jwk::generate_ec_key(EcCurve::P256),
            "EdDSA" => Jwk::generate_ed_key(EdCurve::Ed25519),
            _ => Jwk::generate_rsa_key(2048),
        }
        .unwrap();
        if !kid.is_empty() {
            private.set_key_id(kid);
        }
        let signer: Box<dyn JwsSigner> = match alg {
            "ES256" => Box::new(ES256.signer_from_jwk(&private).unwrap()),
            "EdDSA" => Box::new(EdDSA.signer_from_jwk(&private).unwrap()),
            "PS256" => Box::new(PS256.signer_from_jwk(&private).unwrap()),
            _ => Box::new(RS256.signer_from_jwk(&private).unwrap()),
        };
        // josekit drops `kid` from a public key.
        let mut public = private.to_public_key().unwrap();
        public.set_key_id(if kid.is_empty() { "published-kid" } else { kid });
        (signer, public)
    }

    fn jwks(keys: &[&Jwk]) -> String {
        json!({ "keys": keys.iter().map(|k| serde_json::to_value(k.as_ref()).unwrap()).collect::<Vec<_>>() })
            .to_string()
    }

    fn claims() -> Value {
        json!({ "iss": "c1", "sub": "c1", "aud": ISS, "exp": NOW + 60, "iat": NOW, "jti": "j-1" })
    }

    fn sign(signer: &dyn JwsSigner, kid: Option<&str>, claims: &Value) -> String {
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        if let Some(kid) = kid {
            header.set_key_id(kid);
        }
        jws::serialize_compact(claims.to_string().as_bytes(), &header, signer).unwrap()
    }

    fn run(assertion: &str, set: &str) -> Result<Verified, Failure> {
        let audiences = vec![ISS.to_string(), format!("{ISS}/token")];
        verify(
            assertion,
            set,
            &Expected {
                client_id: "c1",
                audiences: &audiences,
                now: NOW,
            },
        )
    }

    fn refused(r: Result<Verified, Failure>) -> bool {
        match r {
            Err(Failure::Invalid(e)) => e.code == ErrorCode::InvalidClient,
            Err(Failure::KeyNotFound) => true,
            Ok(_) => false,
        }
    }

    #[test]
    fn assertions_of_every_allowed_alg_verify() {
        for alg in SIGNING_ALGS {
            let (signer, public) = key(alg, "k1");
            let a = sign(signer.as_ref(), Some("k1"), &claims());
            let got = run(&a, &jwks(&[&public])).unwrap_or_else(|e| match e {
                Failure::KeyNotFound => panic!("{alg}: no key"),
                Failure::Invalid(e) => panic!("{alg}: {e} {:?}", e.detail),
            });
            assert_eq!(got.jti, "j-1");
            assert_eq!(got.exp, NOW + 60);
        }
    }

    #[test]
    fn iss_and_sub_must_be_the_client_id() {
        let (signer, public) = key("ES256", "k1");
        let set = jwks(&[&public]);
        for (name, value) in [("iss", "other"), ("sub", "other")] {
            let mut c = claims();
            c[name] = json!(value);
            assert!(
                refused(run(&sign(signer.as_ref(), Some("k1"), &c), &set)),
                "{name}"
            );
        }
    }

    #[test]
    fn aud_must_be_this_server_and_alone() {
        let (signer, public) = key("ES256", "k1");
        let set = jwks(&[&public]);
        for aud in [
            json!("https://other.example"),
            json!([ISS, "https://other.example"]),
            json!(null),
        ] {
            let mut c = claims();
            c["aud"] = aud.clone();
            assert!(
                refused(run(&sign(signer.as_ref(), Some("k1"), &c), &set)),
                "{aud}"
            );
        }
        let mut c = claims();
        c["aud"] = json!([format!("{ISS}/token")]);
        assert!(run(&sign(signer.as_ref(), Some("k1"), &c), &set).is_ok());
    }

    #[test]
    fn expired_missing_or_long_lived_exp_is_refused() {
        let (signer, public) = key("ES256", "k1");
        let set = jwks(&[&public]);
        for exp in [
            json!(NOW - 60),
            json!(null),
            json!(NOW + 3600),
            json!("soon"),
            json!(i64::MAX),
        ] {
            let mut c = claims();
            c["exp"] = exp.clone();
            assert!(
                refused(run(&sign(signer.as_ref(), Some("k1"), &c), &set)),
                "{exp}"
            );
        }
        let mut c = claims();
        c["iat"] = json!(NOW + 120);
        assert!(refused(run(&sign(signer.as_ref(), Some("k1"), &c), &set)));
        let mut c = claims();
        c.as_object_mut().unwrap().remove("jti");
        assert!(refused(run(&sign(signer.as_ref(), Some("k1"), &c), &set)));
    }

    #[test]
    fn none_and_hmac_algs_are_refused() {
        let (_, public) = key("ES256", "k1");
        let set = jwks(&[&public]);
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": "k1"}).to_string()),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        assert!(refused(run(&unsigned, &set)));
        let hs = HS256.signer_from_bytes([7u8; 32]).unwrap();
        assert!(refused(run(&sign(&hs, Some("k1"), &claims()), &set)));
    }

    #[test]
    fn a_key_not_in_the_clients_jwks_is_refused() {
        let (_, registered) = key("ES256", "k1");
        let (other, _) = key("ES256", "k1");
        let set = jwks(&[&registered]);
        assert!(refused(run(&sign(other.as_ref(), Some("k1"), &claims()), &set)));
        let (signer, _) = key("ES256", "k2");
        assert!(matches!(
            run(&sign(signer.as_ref(), Some("k2"), &claims()), &set),
            Err(Failure::KeyNotFound)
        ));
    }

    #[test]
    fn without_kid_the_only_key_of_its_type_is_used() {
        // A signer without a key id: the header names no kid.
        let (signer, public) = key("ES256", "");
        let (_, rsa) = key("RS256", "k2");
        let set = jwks(&[&public, &rsa]);
        assert!(run(&sign(signer.as_ref(), None, &claims()), &set).is_ok());
        let (_, second) = key("ES256", "k3");
        let two = jwks(&[&public, &second]);
        assert!(refused(run(&sign(signer.as_ref(), None, &claims()), &two)));
    }

    #[test]
    fn jwks_with_private_or_weak_keys_are_refused() {
        let private = Jwk::generate_ec_key(EcCurve::P256).unwrap();
        let text = json!({ "keys": [serde_json::to_value(private.as_ref()).unwrap()] }).to_string();
        assert!(parse_jwks(&text).is_err());
        let weak = Jwk::generate_rsa_key(1024).unwrap().to_public_key().unwrap();
        assert!(parse_jwks(&jwks(&[&weak])).is_err());
        assert!(parse_jwks(r#"{"keys":[]}"#).is_err());
        assert!(parse_jwks(r#"{"keys":[{"kty":"oct","k":"AAAA"}]}"#).is_err());
        let (_, ok) = key("EdDSA", "k");
        assert_eq!(parse_jwks(&jwks(&[&ok])).unwrap().len(), 1);
    }
}
