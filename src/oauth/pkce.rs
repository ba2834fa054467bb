//! RFC 7636 (PKCE) primitives. That S256 is required for public clients, and that a verifier sent
//! for a code issued without a challenge is refused (RFC 9700 §2.1.1), is enforced by the callers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::digest::ct_eq;
use crate::oauth::OAuthError;

/// RFC 7636 §4.1 / §4.2: shortest and longest verifier (and challenge).
const MIN_LEN: usize = 43;
const MAX_LEN: usize = 128;
/// RFC 7636 §4.2: BASE64URL(SHA256(..)) of 32 bytes, no padding.
const S256_LEN: usize = 43;

/// RFC 7636 §4.2 / §4.3: `code_challenge_method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChallengeMethod {
    S256,
    Plain,
}

impl ChallengeMethod {
    /// RFC 7636 §4.3: the parameter value ("S256" or "plain").
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeMethod::S256 => "S256",
            ChallengeMethod::Plain => "plain",
        }
    }
}

/// Whether `code_challenge_method=plain` is accepted (RFC 9700 §2.1.1: S256 only, unless an
/// operator allows plain with `security.allow_plain_pkce`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PkcePolicy {
    S256Only,
    AllowPlain,
}

impl PkcePolicy {
    /// The policy the `security.allow_plain_pkce` setting asks for.
    pub fn from_setting(allow_plain: bool) -> PkcePolicy {
        if allow_plain {
            PkcePolicy::AllowPlain
        } else {
            PkcePolicy::S256Only
        }
    }
}

/// RFC 7636 §4.4: the challenge stored with the authorization code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeChallenge {
    pub challenge: String,
    pub method: ChallengeMethod,
}

/// RFC 7636 §4.1: `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"`, 43 to 128 characters.
fn is_well_formed(value: &str) -> bool {
    (MIN_LEN..=MAX_LEN).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// RFC 7636 §4.3: the authorization request side. Both absent: `Ok(None)`. A method without a
/// challenge, an unknown method, `plain` (explicit, or implied by an absent method) unless
/// `policy` allows it, or a malformed challenge: `invalid_request`. An S256 challenge must be 43 characters
/// (the length of BASE64URL(SHA256(..))), since no other can ever match.
pub fn parse_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
    policy: PkcePolicy,
) -> Result<Option<CodeChallenge>, OAuthError> {
    let challenge = match (challenge, method) {
        (None, None) => return Ok(None),
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request(
                "code_challenge_method sent without code_challenge",
            ));
        }
        (Some(c), _) => c,
    };
    let method = match method {
        Some("S256") => ChallengeMethod::S256,
        // §4.3: "defaults to plain if not present in the request".
        Some("plain") | None => ChallengeMethod::Plain,
        Some(_) => return Err(OAuthError::invalid_request("unsupported code_challenge_method")),
    };
    if method == ChallengeMethod::Plain && policy == PkcePolicy::S256Only {
        return Err(OAuthError::invalid_request("code_challenge_method must be S256"));
    }
    if !is_well_formed(challenge) || (method == ChallengeMethod::S256 && challenge.len() != S256_LEN) {
        return Err(OAuthError::invalid_request("code_challenge is malformed"));
    }
    Ok(Some(CodeChallenge {
        challenge: challenge.to_string(),
        method,
    }))
}

/// RFC 7636 §4.1: verifier syntax, 43 to 128 unreserved characters; otherwise `invalid_request`.
pub fn validate_verifier(verifier: &str) -> Result<(), OAuthError> {
    if is_well_formed(verifier) {
        Ok(())
    } else {
        Err(OAuthError::invalid_request("code_verifier is malformed"))
    }
}

/// RFC 7636 §4.6: compares BASE64URL(SHA256(verifier)) (S256) or the verifier itself (plain) with the
/// challenge, in constant time. A malformed verifier never matches.
pub fn verify(challenge: &CodeChallenge, verifier: &str) -> bool {
    if !is_well_formed(verifier) {
        return false;
    }
    match challenge.method {
        ChallengeMethod::S256 => {
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            ct_eq(&computed, &challenge.challenge)
        }
        ChallengeMethod::Plain => ct_eq(verifier, &challenge.challenge),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::oauth::ErrorCode;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn code(e: Result<Option<CodeChallenge>, OAuthError>) -> ErrorCode {
        e.unwrap_err().code
    }

    #[test]
    fn pkce_rfc7636_appendix_b_vector() {
        let c = parse_challenge(Some(CHALLENGE), Some("S256"), PkcePolicy::S256Only)
            .unwrap()
            .unwrap();
        assert_eq!(c.method, ChallengeMethod::S256);
        assert!(verify(&c, VERIFIER));
        let other = format!("{}A", &VERIFIER[..VERIFIER.len() - 1]);
        assert!(!verify(&c, &other));
    }

    #[test]
    fn no_challenge_and_no_method_is_no_pkce() {
        assert_eq!(parse_challenge(None, None, PkcePolicy::S256Only).unwrap(), None);
    }

    #[test]
    fn method_without_challenge_is_rejected() {
        assert_eq!(
            code(parse_challenge(None, Some("S256"), PkcePolicy::AllowPlain)),
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn absent_method_means_plain_and_is_refused_unless_allowed() {
        assert_eq!(
            code(parse_challenge(Some(VERIFIER), None, PkcePolicy::S256Only)),
            ErrorCode::InvalidRequest
        );
        let c = parse_challenge(Some(VERIFIER), None, PkcePolicy::AllowPlain)
            .unwrap()
            .unwrap();
        assert_eq!(c.method, ChallengeMethod::Plain);
        assert!(verify(&c, VERIFIER));
        assert!(!verify(&c, CHALLENGE));
    }

    #[test]
    fn plain_is_refused_unless_configured() {
        assert_eq!(
            code(parse_challenge(
                Some(VERIFIER),
                Some("plain"),
                PkcePolicy::S256Only
            )),
            ErrorCode::InvalidRequest
        );
        assert!(parse_challenge(Some(VERIFIER), Some("plain"), PkcePolicy::AllowPlain).is_ok());
    }

    #[test]
    fn unknown_challenge_method_is_rejected() {
        for m in ["s256", "SHA256", "S512", "PLAIN"] {
            assert_eq!(
                code(parse_challenge(Some(CHALLENGE), Some(m), PkcePolicy::AllowPlain)),
                ErrorCode::InvalidRequest
            );
        }
    }

    #[test]
    fn challenge_length_and_charset_are_checked() {
        let short = "a".repeat(42);
        let long = "a".repeat(129);
        let bad_char = format!("{}+", "a".repeat(42));
        for c in [short.as_str(), long.as_str(), bad_char.as_str()] {
            assert_eq!(
                code(parse_challenge(Some(c), Some("plain"), PkcePolicy::AllowPlain)),
                ErrorCode::InvalidRequest
            );
        }
        assert!(
            parse_challenge(
                Some(&"a~._-".repeat(26)[..128]),
                Some("plain"),
                PkcePolicy::AllowPlain
            )
            .is_ok()
        );
    }

    #[test]
    fn s256_challenge_must_be_43_characters() {
        let long = "a".repeat(44);
        assert_eq!(
            code(parse_challenge(Some(&long), Some("S256"), PkcePolicy::S256Only)),
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn verifier_length_and_charset_are_checked() {
        assert!(validate_verifier(VERIFIER).is_ok());
        let e = validate_verifier(&"a".repeat(42)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert_eq!(e.description, "code_verifier is malformed");
        assert!(validate_verifier(&"a".repeat(129)).is_err());
        assert!(validate_verifier(&format!("{} ", "a".repeat(43))).is_err());
        assert!(validate_verifier(&"é".repeat(43)).is_err());
    }

    #[test]
    fn malformed_verifier_never_verifies() {
        let c = CodeChallenge {
            challenge: "short".into(),
            method: ChallengeMethod::Plain,
        };
        assert!(!verify(&c, "short"));
    }
}
