//! How an API checks a Portcullis access token (docs/guides/resource-server.md): the signature
//! against the issuer's JWKS, then `typ: at+jwt`, `iss`, `aud`, `exp`/`nbf` and the scope
//! (RFC 9068 §4). Run it with the token on standard input:
//!
//! ```sh
//! curl -sf "$ISSUER/jwks" > jwks.json
//! echo "$ACCESS_TOKEN" | cargo run --example verify_access_token -- \
//!     jwks.json "$ISSUER" https://photos.example/api photos:read
//! ```

use std::time::{Duration, SystemTime};

use josekit::jwk::JwkSet;
use josekit::jws::{ES256, EdDSA, JwsVerifier, RS256};
use josekit::jwt::{self, JwtPayload};

/// What the API expects of every token it accepts.
pub struct Expected<'a> {
    /// The issuer, exactly as in the discovery document.
    pub issuer: &'a str,
    /// The API's own identifier (`portcullis api add IDENTIFIER`).
    pub audience: &'a str,
    /// A scope the request needs, if any (e.g. `photos:read`).
    pub scope: Option<&'a str>,
}

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY: Duration = Duration::from_secs(60);

/// Verifies `token` with the keys in `jwks` (the issuer's `jwks_uri`, `/jwks`) and returns its claims.
pub fn verify_access_token(
    token: &str,
    jwks: &[u8],
    expected: &Expected<'_>,
    now: SystemTime,
) -> Result<JwtPayload, String> {
    // 1. The key: the one the header names, and only for the algorithm it was published for.
    let header = jwt::decode_header(token).map_err(|e| format!("not a JWT: {e}"))?;
    let kid = header.claim("kid").and_then(|v| v.as_str()).ok_or("no kid")?;
    let alg = header.claim("alg").and_then(|v| v.as_str()).ok_or("no alg")?;
    let keys = JwkSet::from_bytes(jwks).map_err(|e| format!("bad JWKS: {e}"))?;
    let jwk = *keys.get(kid).first().ok_or("unknown kid: refresh the JWKS")?;
    if jwk.algorithm() != Some(alg) {
        return Err("the key is not for this algorithm".into());
    }
    let verifier: Box<dyn JwsVerifier> = match alg {
        "RS256" => Box::new(RS256.verifier_from_jwk(jwk).map_err(|e| e.to_string())?),
        "ES256" => Box::new(ES256.verifier_from_jwk(jwk).map_err(|e| e.to_string())?),
        "EdDSA" => Box::new(EdDSA.verifier_from_jwk(jwk).map_err(|e| e.to_string())?),
        other => return Err(format!("algorithm {other} is not accepted")),
    };
    // 2. The signature.
    let (claims, header) =
        jwt::decode_with_verifier(token, &*verifier).map_err(|e| format!("bad signature: {e}"))?;
    // 3. An access token (RFC 9068 §2.1), not an ID token or a logout token.
    let typ = header.token_type().unwrap_or_default().to_ascii_lowercase();
    if typ != "at+jwt" && typ != "application/at+jwt" {
        return Err("not an access token (typ)".into());
    }
    // 4. From our issuer, for this API.
    if claims.issuer() != Some(expected.issuer) {
        return Err("wrong issuer".into());
    }
    let audiences = claims.audience().unwrap_or_default();
    if !audiences.contains(&expected.audience) {
        return Err("not meant for this API (aud)".into());
    }
    // 5. Within its lifetime.
    let exp = claims.expires_at().ok_or("no exp")?;
    if exp + LEEWAY <= now {
        return Err("expired".into());
    }
    if claims.not_before().is_some_and(|nbf| nbf > now + LEEWAY) {
        return Err("not yet valid".into());
    }
    // 6. Allowed to do what the request asks.
    if let Some(needed) = expected.scope {
        let scope = claims.claim("scope").and_then(|v| v.as_str()).unwrap_or_default();
        if !scope.split(' ').any(|s| s == needed) {
            return Err(format!("insufficient_scope: {needed} needed"));
        }
    }
    Ok(claims)
}

/// `verify_access_token JWKS_FILE ISSUER AUDIENCE [SCOPE]`, the token on standard input.
fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [jwks_file, issuer, audience, rest @ ..] = args.as_slice() else {
        return Err("usage: verify_access_token JWKS_FILE ISSUER AUDIENCE [SCOPE] < token".into());
    };
    let jwks = std::fs::read(jwks_file).map_err(|e| format!("{jwks_file}: {e}"))?;
    let mut token = String::new();
    std::io::stdin()
        .read_line(&mut token)
        .map_err(|e| e.to_string())?;
    let expected = Expected {
        issuer,
        audience,
        scope: rest.first().map(String::as_str),
    };
    let claims = verify_access_token(token.trim(), &jwks, &expected, SystemTime::now())?;
    println!("{claims}");
    Ok(())
}
