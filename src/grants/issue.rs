//! Minting tokens, shared by every grant (DESIGN.md §5 Tokens): RFC 9068 access tokens, OpenID ID
//! tokens, and opaque refresh tokens stored as digests in their family.

use std::time::Duration;

use crate::oauth::OAuthError;
use crate::oauth::scope::{OPENID, Scope};
use crate::oauth::tokens::{AccessTokenClaims, TokenResponse};
use crate::oidc::id_token::{self, IdTokenInput};
use crate::state::AppState;
use crate::storage::{Client, GrantType, Kind, RefreshToken, TokenFamily, User};
use crate::util::{now, secret_256, sha256_hex};

/// Who the tokens are about and how they authenticated.
pub struct Subject<'a> {
    pub user: Option<&'a User>,
    pub auth_time: Option<i64>,
    pub sid: Option<&'a str>,
    pub amr: &'a [String],
}

/// RFC 9068 §2: signs an access token for `sub` with the configured algorithm.
pub fn access_token(
    state: &AppState,
    client: &Client,
    subject: &Subject<'_>,
    scope: &Scope,
    jti: String,
) -> Result<(String, i64), OAuthError> {
    let t = now();
    let ttl = state.settings.tokens.access_token_ttl_secs as i64;
    let claims = AccessTokenClaims {
        iss: state.settings.issuer.clone(),
        sub: subject
            .user
            .map(|u| u.id.clone())
            .unwrap_or_else(|| client.client_id.clone()),
        aud: state.settings.audience().to_string(),
        client_id: client.client_id.clone(),
        scope: scope.to_string(),
        exp: t + ttl,
        iat: t,
        nbf: t,
        jti,
        auth_time: subject.auth_time,
        sid: subject.sid.map(str::to_string),
    };
    let token = state
        .keys
        .sign(
            &state.settings.keys.default_alg,
            Some("at+jwt"),
            &claims.to_map()?,
        )
        .map_err(OAuthError::server_error)?;
    Ok((token, ttl))
}

/// A new refresh token for `family`: (the value handed out, the row to store).
pub fn refresh_token(state: &AppState, family: &TokenFamily) -> (String, RefreshToken) {
    let value = secret_256();
    let t = now();
    let idle = t + state.settings.tokens.refresh_idle_ttl_secs as i64;
    let row = RefreshToken {
        token_hash: sha256_hex(&value),
        family_id: family.id.clone(),
        client_id: family.client_id.clone(),
        user_id: family.user_id.clone(),
        scope: family.scope.clone(),
        created_at: t,
        expires_at: idle.min(family.absolute_expires_at),
        used_at: None,
    };
    (value, row)
}

/// Whether this client gets a refresh token: it must be allowed the refresh_token grant.
pub fn gets_refresh_token(client: &Client, subject: &Subject<'_>) -> bool {
    client.allows_grant(GrantType::RefreshToken) && subject.user.is_some()
}

/// Builds the full response: access token, then (OpenID) the ID token bound to it by `at_hash`.
pub fn response(
    state: &AppState,
    client: &Client,
    subject: &Subject<'_>,
    scope: &Scope,
    jti: String,
    nonce: Option<&str>,
    refresh_token: Option<String>,
) -> Result<TokenResponse, OAuthError> {
    let (access_token, expires_in) = access_token(state, client, subject, scope, jti)?;
    let id_token = match subject.user {
        Some(user) if scope.contains(OPENID) => Some(id_token::sign(
            state,
            &IdTokenInput {
                client,
                user,
                nonce,
                auth_time: subject.auth_time,
                sid: subject.sid,
                amr: subject.amr,
                access_token: Some(&access_token),
            },
        )?),
        _ => None,
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        scope: scope.to_string(),
        refresh_token,
        id_token,
    })
}

/// RFC 7009 §2.1 / SECURITY.md C.18: an access token's `jti` is refused until the token expires.
pub async fn revoke_jti(state: &AppState, jti: &str, expires_at: i64) -> Result<(), OAuthError> {
    let remaining = (expires_at - now()).max(1) as u64;
    state
        .ephemeral
        .put(Kind::RevokedJti, jti, "1", Duration::from_secs(remaining))
        .await?;
    Ok(())
}
