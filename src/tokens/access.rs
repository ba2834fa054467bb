//! Validating a bearer access token (RFC 6750 §3.1, RFC 9068 §4, SECURITY.md C.15, C.18).

use crate::oauth::OAuthError;
use crate::oauth::tokens::{AccessTokenClaims, check_access_token_claims};
use crate::state::AppState;
use crate::storage::{Kind, User};
use crate::util::now;

/// A valid access token and, when it was issued to a user, that user.
pub struct ValidToken {
    pub claims: AccessTokenClaims,
    pub user: Option<User>,
}

/// Verifies signature (allow-listed algorithm, the kid's own), `typ`, issuer, expiry, that the
/// `jti` was not revoked, and that the user is still enabled and not logged out since. Every
/// failure is `invalid_token`.
pub async fn validate(state: &AppState, token: &str) -> Result<ValidToken, OAuthError> {
    if token.len() > 8192 || token.split('.').count() != 3 {
        return Err(OAuthError::invalid_token("malformed access token"));
    }
    let (header, claims) = state
        .keys
        .verify(token)
        .map_err(|e| OAuthError::invalid_token("invalid access token").with_detail(e))?;
    let claims = check_access_token_claims(&header, claims, state.issuer(), now())?;
    if state
        .ephemeral
        .get(Kind::RevokedJti, &claims.jti)
        .await?
        .is_some()
    {
        return Err(OAuthError::invalid_token("the access token was revoked"));
    }
    let user = if claims.has_user() {
        let user = state
            .store
            .user_by_id(&claims.sub)
            .await?
            .filter(|u| u.accepts_access_token(claims.iat))
            .ok_or_else(|| OAuthError::invalid_token("the access token is no longer valid"))?;
        Some(user)
    } else {
        None
    };
    Ok(ValidToken { claims, user })
}
