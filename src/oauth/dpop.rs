//! RFC 9449 §4: DPoP proofs, checked without I/O (docs/security.md F.2): the JWS header (`typ`
//! `dpop+jwt`, an allow-listed asymmetric `alg`, a public `jwk`), the signature with that key, and
//! the claims against the request (`htm`, `htu` normalised per RFC 3986 §6, `iat` within a window,
//! `ath` at a resource). The `jti` replay cache and server nonces need the shared store and the
//! server's key, and are in `tokens/dpop.rs`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jws::{self, ES256, ES384, EdDSA, JwsVerifier, PS256, RS256};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::digest::ct_eq;
use crate::oauth::{ErrorCode, OAuthError};

/// The longest proof accepted, before any parsing (docs/security.md E.28).
pub const MAX_PROOF_LEN: usize = 8 * 1024;
/// The longest `jti` accepted.
const MAX_JTI_LEN: usize = 256;
/// The smallest RSA modulus accepted, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// RFC 9449 §5.1 `dpop_signing_alg_values_supported`: asymmetric algorithms only; `none`, `HS*`
/// and anything else are refused.
pub const SIGNING_ALGS: [&str; 5] = ["ES256", "ES384", "EdDSA", "PS256", "RS256"];

/// JWK members only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The algorithms of [`SIGNING_ALGS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProofAlg {
    Es256,
    Es384,
    EdDsa,
    Ps256,
    Rs256,
}

impl ProofAlg {
    /// Exact, case-sensitive (RFC 7515 §4.1.1).
    fn parse(alg: &str) -> Option<ProofAlg> {
        match alg {
            "ES256" => Some(ProofAlg::Es256),
            "ES384" => Some(ProofAlg::Es384),
            "EdDSA" => Some(ProofAlg::EdDsa),
            "PS256" => Some(ProofAlg::Ps256),
            "RS256" => Some(ProofAlg::Rs256),
            _ => None,
        }
    }

    /// RFC 7638 §3.2: the required members of the key type this algorithm uses, in
    /// lexicographic order.
    fn required_members(self) -> (&'static str, &'static [&'static str]) {
        match self {
            ProofAlg::Es256 | ProofAlg::Es384 => ("EC", &["crv", "kty", "x", "y"]),
            ProofAlg::EdDsa => ("OKP", &["crv", "kty", "x"]),
            ProofAlg::Ps256 | ProofAlg::Rs256 => ("RSA", &["e", "kty", "n"]),
        }
    }

    fn verifier(self, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, josekit::JoseError> {
        Ok(match self {
            ProofAlg::Es256 => Box::new(ES256.verifier_from_jwk(jwk)?),
            ProofAlg::Es384 => Box::new(ES384.verifier_from_jwk(jwk)?),
            ProofAlg::EdDsa => Box::new(EdDSA.verifier_from_jwk(jwk)?),
            ProofAlg::Ps256 => Box::new(PS256.verifier_from_jwk(jwk)?),
            ProofAlg::Rs256 => Box::new(RS256.verifier_from_jwk(jwk)?),
        })
    }
}

/// What the request a proof came with must match (RFC 9449 §4.3).
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The request's method (`htm`).
    pub method: &'a str,
    /// The endpoint's URL, built from the issuer (`htu`).
    pub htu: &'a str,
    /// The access token presented with the proof at a resource (`ath`, §4.3 step 12).
    pub access_token: Option<&'a str>,
    /// Now, in seconds.
    pub now: i64,
    /// How far `iat` may be from `now`, either way.
    pub iat_window: i64,
}

/// A proof that passed every check of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// RFC 7638 SHA-256 thumbprint of the proof's key: what tokens are bound to (`cnf.jkt`).
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
    /// The server nonce the proof carries (RFC 9449 §8), if any.
    pub nonce: Option<String>,
}

fn invalid(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidDpopProof, description)
}

/// RFC 9449 §4.3 steps 2-9, 11 and 12: a well-formed proof of `typ` `dpop+jwt`, signed with an
/// allow-listed algorithm by the public key in its header, whose claims match `expected`. Every
/// failure is `invalid_dpop_proof`.
pub fn verify(proof: &str, expected: &Expected<'_>) -> Result<Proof, OAuthError> {
    let (alg, public) = parse_header(proof)?;
    let jwk = Jwk::from_map(public.to_map())
        .map_err(|e| invalid("the DPoP proof's jwk is not a key").with_detail(e))?;
    let verifier = alg
        .verifier(&jwk)
        .map_err(|e| invalid("the DPoP proof's jwk does not suit its alg").with_detail(e))?;
    let (payload, _) = jws::deserialize_compact(proof, verifier.as_ref())
        .map_err(|e| invalid("the DPoP proof's signature does not verify").with_detail(e))?;
    let claims: Map<String, Value> = serde_json::from_slice(&payload)
        .map_err(|_| invalid("the DPoP proof's payload is not a JSON object"))?;
    let (jti, iat, nonce) = check_claims(&claims, expected)?;
    Ok(Proof {
        jkt: public.thumbprint(),
        jti,
        iat,
        nonce,
    })
}

/// The public key of a proof: the RFC 7638 required members of its key type, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    /// (name, value) in lexicographic order of the names.
    members: Vec<(&'static str, String)>,
}

impl PublicJwk {
    /// RFC 7638 §3: base64url(SHA-256(the required members as compact JSON, sorted by name)).
    pub fn thumbprint(&self) -> String {
        let body: Vec<String> = self
            .members
            .iter()
            .map(|(k, v)| format!("{}:{}", Value::from(*k), Value::from(v.as_str())))
            .collect();
        let canonical = format!("{{{}}}", body.join(","));
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    fn to_map(&self) -> Map<String, Value> {
        self.members
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(v.as_str())))
            .collect()
    }
}

/// RFC 9449 §4.2-4.3 steps 2, 4, 5 and 7: a compact JWS whose header has `typ` `dpop+jwt`, an
/// allow-listed `alg`, no `crit`, and a `jwk` that is a public key of the alg's key type.
fn parse_header(proof: &str) -> Result<(ProofAlg, PublicJwk), OAuthError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(invalid("the DPoP proof is too long"));
    }
    let mut parts = proof.split('.');
    let (Some(head), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("the DPoP proof is not a compact JWS"));
    };
    let header: Map<String, Value> = URL_SAFE_NO_PAD
        .decode(head)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .ok_or_else(|| invalid("the DPoP proof's header is not a JSON object"))?;
    let text = |name: &str| header.get(name).and_then(Value::as_str);
    if !text("typ").is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt")) {
        return Err(invalid("the DPoP proof's typ must be dpop+jwt"));
    }
    let alg = text("alg")
        .and_then(ProofAlg::parse)
        .ok_or_else(|| invalid("the DPoP proof's alg is not supported"))?;
    if header.contains_key("crit") {
        return Err(invalid("the DPoP proof must not have crit"));
    }
    let jwk = header
        .get("jwk")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("the DPoP proof's header needs a jwk"))?;
    Ok((alg, public_jwk(alg, jwk)?))
}

/// RFC 9449 §4.3 step 7: the key must be public, of the alg's key type, with every required member.
fn public_jwk(alg: ProofAlg, jwk: &Map<String, Value>) -> Result<PublicJwk, OAuthError> {
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(invalid("the DPoP proof's jwk must be a public key"));
    }
    let (kty, names) = alg.required_members();
    if jwk.get("kty").and_then(Value::as_str) != Some(kty) {
        return Err(invalid("the DPoP proof's jwk is not of its alg's key type"));
    }
    let mut members = Vec::with_capacity(names.len());
    for name in names {
        let value = jwk
            .get(*name)
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("the DPoP proof's jwk lacks a required member"))?;
        members.push((*name, value.to_string()));
    }
    if kty == "RSA" {
        let n = jwk.get("n").and_then(Value::as_str).unwrap_or_default();
        let bytes = URL_SAFE_NO_PAD.decode(n).map(|b| b.len()).unwrap_or(0);
        if bytes < MIN_RSA_MODULUS_BYTES {
            return Err(invalid("the DPoP proof's RSA key is shorter than 2048 bits"));
        }
    }
    Ok(PublicJwk { members })
}

/// RFC 9449 §4.2, §4.3 steps 3, 8, 9, 11, 12: `jti`, `htm`, `htu` and `iat` present and matching
/// the request; `ath` the hash of the access token when one is presented.
fn check_claims(
    claims: &Map<String, Value>,
    expected: &Expected<'_>,
) -> Result<(String, i64, Option<String>), OAuthError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let jti = text("jti")
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)
        .ok_or_else(|| invalid("the DPoP proof needs a jti of at most 256 characters"))?;
    let htm = text("htm").ok_or_else(|| invalid("the DPoP proof needs htm"))?;
    let htu = text("htu").ok_or_else(|| invalid("the DPoP proof needs htu"))?;
    let iat = claims
        .get("iat")
        .and_then(numeric_date)
        .ok_or_else(|| invalid("the DPoP proof needs a numeric iat"))?;
    if htm != expected.method {
        return Err(invalid("the DPoP proof's htm is not the request's method"));
    }
    match (normalize_htu(htu), normalize_htu(expected.htu)) {
        (Some(got), Some(want)) if got == want => {}
        _ => return Err(invalid("the DPoP proof's htu is not this endpoint")),
    }
    if iat.abs_diff(expected.now) > expected.iat_window.unsigned_abs() {
        return Err(invalid("the DPoP proof's iat is too far from now"));
    }
    if let Some(token) = expected.access_token {
        let ath = text("ath").ok_or_else(|| invalid("the DPoP proof needs ath"))?;
        if !ct_eq(ath, &access_token_hash(token)) {
            return Err(invalid("the DPoP proof's ath does not match the access token"));
        }
    }
    Ok((jti.to_string(), iat, text("nonce").map(str::to_string)))
}

/// RFC 7519 §2 NumericDate: an integer, or a number whose fractional part is dropped.
fn numeric_date(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.is_finite() && f.abs() < 1e15)
            .map(|f| f as i64)
    })
}

/// RFC 9449 §4.2 `ath`: base64url(SHA-256(the ASCII access token)).
pub fn access_token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// RFC 9449 §4.3 step 9 with RFC 3986 §6.2.2-6.2.3: the URL without query and fragment; scheme
/// and host in lower case; no default port; an empty path as `/`; dot segments removed;
/// percent-encodings of unreserved characters decoded, the others in upper case. `None` when it
/// is not an absolute http(s) URL without user information.
pub fn normalize_htu(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let host = url.host_str()?;
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!(
        "{}://{}{}{}",
        url.scheme(),
        host,
        port,
        normalize_percent_encoding(url.path())
    ))
}

/// RFC 3986 §6.2.2.1-6.2.2.2: `%7e` becomes `~`, `%2f` becomes `%2F`.
fn normalize_percent_encoding(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%')
            .then(|| path.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match decoded {
            Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') => {
                out.push(char::from(b));
                i += 3;
            }
            Some(b) => {
                out.push_str(&format!("%{b:02X}"));
                i += 3;
            }
            None => {
                out.push(char::from(bytes[i]));
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use josekit::jwk::alg::ec::EcCurve;
    use josekit::jwk::alg::ed::EdCurve;
    use josekit::jws::{HS256, JwsHeader, JwsSigner};
    use serde_json::json;

    use super::*;

    const HTU: &str = "https://id.example.com/token";
    const NOW: i64 = 1_800_000_000;

    /// A key pair for `alg`: (signer, public JWK).
    fn key(alg: &str) -> (Box<dyn JwsSigner>, Jwk) {
        let private = match alg {
            "ES256" => Jwk::generate_ec_key(EcCurve::P256),
            "ES384" => Jwk::generate_ec_key(EcCurve::P384),
            "EdDSA" => Jwk::generate_ed_key(EdCurve::Ed25519),
            _ => Jwk::generate_rsa_key(2048),
        }
        .unwrap();
        let signer: Box<dyn JwsSigner> = match alg {
            "ES256" => Box::new(ES256.signer_from_jwk(&private).unwrap()),
            "ES384" => Box::new(ES384.signer_from_jwk(&private).unwrap()),
            "EdDSA" => Box::new(EdDSA.signer_from_jwk(&private).unwrap()),
            "PS256" => Box::new(PS256.signer_from_jwk(&private).unwrap()),
            _ => Box::new(RS256.signer_from_jwk(&private).unwrap()),
        };
        (signer, private.to_public_key().unwrap())
    }

    fn claims(htm: &str, htu: &str, iat: i64) -> Value {
        json!({ "jti": crate::random::random_id(), "htm": htm, "htu": htu, "iat": iat })
    }

    fn sign(signer: &dyn JwsSigner, jwk: &Jwk, typ: &str, claims: &Value) -> String {
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_jwk(jwk.clone());
        jws::serialize_compact(claims.to_string().as_bytes(), &header, signer).unwrap()
    }

    fn expected(access_token: Option<&str>) -> Expected<'_> {
        Expected {
            method: "POST",
            htu: HTU,
            access_token,
            now: NOW,
            iat_window: 60,
        }
    }

    fn code(result: Result<Proof, OAuthError>) -> Option<ErrorCode> {
        result.err().map(|e| e.code)
    }

    /// RFC 9449 §4.3 step 11: an `iat` at the ends of the integer range is outside the window, not an
    /// arithmetic overflow (a panic in a debug build).
    #[test]
    fn iat_at_the_ends_of_the_integer_range_is_refused_not_an_overflow() {
        let (signer, public) = key("ES256");
        for iat in [i64::MIN, i64::MIN + 1, i64::MAX] {
            let proof = sign(signer.as_ref(), &public, "dpop+jwt", &claims("POST", HTU, iat));
            assert_eq!(
                code(verify(&proof, &expected(None))),
                Some(ErrorCode::InvalidDpopProof),
                "iat {iat}"
            );
        }
    }

    #[test]
    fn proofs_of_every_allowed_alg_verify_and_name_their_key() {
        for alg in SIGNING_ALGS {
            let (signer, public) = key(alg);
            let proof = sign(signer.as_ref(), &public, "dpop+jwt", &claims("POST", HTU, NOW));
            let got = verify(&proof, &expected(None)).unwrap_or_else(|e| panic!("{alg}: {e}"));
            let jwk = serde_json::to_value(public.as_ref()).unwrap();
            let (_, again) = parse_header(&proof).unwrap();
            assert_eq!(got.jkt, again.thumbprint(), "{alg}");
            assert_eq!(got.jkt.len(), 43, "{alg}: {jwk}");
            assert_eq!(got.iat, NOW);
        }
    }

    #[test]
    fn none_and_hmac_algs_are_refused() {
        let (_, public) = key("ES256");
        let header = json!({ "typ": "dpop+jwt", "alg": "none", "jwk": public.as_ref() });
        let body = claims("POST", HTU, NOW);
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(body.to_string())
        );
        assert_eq!(
            code(verify(&unsigned, &expected(None))),
            Some(ErrorCode::InvalidDpopProof)
        );
        let hs = HS256.signer_from_bytes([7u8; 32]).unwrap();
        let mut h = JwsHeader::new();
        h.set_token_type("dpop+jwt");
        h.set_jwk(public);
        let mac = jws::serialize_compact(body.to_string().as_bytes(), &h, &hs).unwrap();
        assert_eq!(
            code(verify(&mac, &expected(None))),
            Some(ErrorCode::InvalidDpopProof)
        );
    }

    #[test]
    fn private_keys_wrong_typ_and_foreign_signatures_are_refused() {
        let private = Jwk::generate_ec_key(EcCurve::P256).unwrap();
        let signer = ES256.signer_from_jwk(&private).unwrap();
        let body = claims("POST", HTU, NOW);
        let with_private = sign(&signer, &private, "dpop+jwt", &body);
        let e = verify(&with_private, &expected(None)).unwrap_err();
        assert_eq!(e.description, "the DPoP proof's jwk must be a public key");

        let public = private.to_public_key().unwrap();
        let jwt = sign(&signer, &public, "JWT", &body);
        assert_eq!(
            code(verify(&jwt, &expected(None))),
            Some(ErrorCode::InvalidDpopProof)
        );

        let (_, other) = key("ES256");
        let foreign = sign(&signer, &other, "dpop+jwt", &body);
        let e = verify(&foreign, &expected(None)).unwrap_err();
        assert_eq!(e.description, "the DPoP proof's signature does not verify");
    }

    #[test]
    fn htm_htu_iat_and_ath_must_match_the_request() {
        let (signer, public) = key("ES256");
        let proof = |c: &Value| sign(signer.as_ref(), &public, "dpop+jwt", c);
        let refused =
            |c: &Value, token: Option<&str>| verify(&proof(c), &expected(token)).unwrap_err().description;
        assert!(refused(&claims("GET", HTU, NOW), None).contains("htm"));
        assert!(refused(&claims("post", HTU, NOW), None).contains("htm"));
        assert!(refused(&claims("POST", "https://id.example.com/userinfo", NOW), None).contains("htu"));
        assert!(refused(&claims("POST", "https://other.example.com/token", NOW), None).contains("htu"));
        assert!(refused(&claims("POST", HTU, NOW - 61), None).contains("iat"));
        assert!(refused(&claims("POST", HTU, NOW + 61), None).contains("iat"));
        assert!(verify(&proof(&claims("POST", HTU, NOW - 60)), &expected(None)).is_ok());
        assert!(refused(&claims("POST", HTU, NOW), Some("tok")).contains("ath"));
        let mut with_ath = claims("POST", HTU, NOW);
        with_ath["ath"] = json!(access_token_hash("tok"));
        assert!(verify(&proof(&with_ath), &expected(Some("tok"))).is_ok());
        assert!(refused(&with_ath, Some("another")).contains("ath"));
        let mut no_jti = claims("POST", HTU, NOW);
        no_jti.as_object_mut().unwrap().remove("jti");
        assert!(refused(&no_jti, None).contains("jti"));
    }

    #[test]
    fn htu_is_compared_after_rfc3986_normalisation() {
        let want = Some("https://id.example.com/token".to_string());
        for same in [
            "https://id.example.com/token",
            "HTTPS://ID.Example.COM/token",
            "https://id.example.com:443/token",
            "https://id.example.com/a/../token",
            "https://id.example.com/%74oken",
            "https://id.example.com/token?x=1#frag",
        ] {
            assert_eq!(normalize_htu(same), want, "{same}");
        }
        assert_eq!(
            normalize_htu("http://127.0.0.1:80"),
            Some("http://127.0.0.1/".into())
        );
        assert_eq!(
            normalize_htu("https://id.example.com/a%2fb"),
            Some("https://id.example.com/a%2Fb".into())
        );
        assert_ne!(normalize_htu("https://id.example.com:8443/token"), want);
        assert_ne!(normalize_htu("https://id.example.com/Token"), want);
        assert_eq!(normalize_htu("https://user@id.example.com/token"), None);
        assert_eq!(normalize_htu("ftp://id.example.com/token"), None);
        assert_eq!(normalize_htu("/token"), None);
    }

    #[test]
    fn thumbprint_matches_the_rfc7638_example() {
        // RFC 7638 §3.1.
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_\
                  BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_\
                  FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4v\
                  MQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        let public = public_jwk(ProofAlg::Rs256, jwk.as_object().unwrap()).unwrap();
        assert_eq!(public.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn malformed_proofs_are_invalid_dpop_proof_never_a_panic() {
        for garbage in [
            "",
            ".",
            "a.b.c",
            "a.b",
            "e30.e30.",
            &"x".repeat(MAX_PROOF_LEN + 1),
        ] {
            assert_eq!(
                code(verify(garbage, &expected(None))),
                Some(ErrorCode::InvalidDpopProof)
            );
        }
    }
}
