//! docs/security.md M.1: who may call the admin API. RFC 6750 §2.1 bearer tokens only: one of our
//! own JWT access tokens, verified as every other protected resource verifies them
//! ([`crate::tokens::access::validate`]: signature by the key ring, `typ` at+jwt, `iss`, `exp`,
//! the revocation list), whose `aud` names the admin API ([`super::identifier`]) and whose scope
//! holds [`super::ADMIN_SCOPE`].

use crate::context::Context;
use crate::tokens::access::{self, AccessTokenClaims};

use super::{ADMIN_SCOPE, AdminError, ErrorKind, identifier};

/// RFC 6750 §3 + §3.1: the caller's token from the `Authorization` header value, checked.
/// No token: `Unauthenticated`; an invalid one, or one for another API: `InvalidToken` (401); a
/// valid one without the scope: `InsufficientScope` (403).
pub async fn authenticate(
    ctx: &Context,
    authorization: Option<&str>,
) -> Result<AccessTokenClaims, AdminError> {
    let token = bearer_token(authorization)?;
    let valid = access::validate(ctx, token).await?;
    let claims = valid.claims;
    if claims.cnf.is_some() {
        // RFC 9449 §7.1: a DPoP-bound token is never accepted as a plain bearer token.
        return Err(AdminError::new(
            ErrorKind::InvalidToken,
            "a DPoP-bound token is not accepted here",
        ));
    }
    if !claims.aud.contains(&identifier(&ctx.issuer)) {
        return Err(AdminError::new(
            ErrorKind::InvalidToken,
            "the access token is not for the admin API",
        ));
    }
    if !claims.scope.contains(ADMIN_SCOPE) || valid.user.is_some() {
        return Err(AdminError::new(
            ErrorKind::InsufficientScope,
            "the access token lacks the portcullis:admin scope",
        ));
    }
    Ok(claims)
}

/// RFC 6750 §2.1: `Authorization: Bearer <token>` (the scheme is case-insensitive).
fn bearer_token(authorization: Option<&str>) -> Result<&str, AdminError> {
    let missing = || AdminError::new(ErrorKind::Unauthenticated, "a bearer access token is required");
    let value = authorization.ok_or_else(missing)?;
    let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(missing());
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(AdminError::new(ErrorKind::InvalidToken, "empty bearer token"));
    }
    Ok(token)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 6750 §3.1: a request without a bearer token gets a challenge without an error code.
    #[test]
    fn rfc6750_missing_or_other_scheme_is_unauthenticated() {
        for h in [None, Some("Basic abc"), Some("Bearer"), Some("DPoP x.y.z")] {
            let e = bearer_token(h).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Unauthenticated, "{h:?}");
        }
        assert_eq!(bearer_token(Some("bearer a.b.c")).ok(), Some("a.b.c"));
    }
}
