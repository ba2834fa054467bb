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

/// Where a token family comes from: everything but the times, which [`start_family`] sets.
pub struct NewFamily {
    pub id: String,
    pub user_id: String,
    pub scope: String,
    pub sid: Option<String>,
    pub auth_time: i64,
    pub device_name: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// RFC 9700 §4.14.2: begins a token family for `client` with its first refresh token; returns
/// the token's value. The absolute lifetime counts from now.
pub async fn start_family(state: &AppState, client: &Client, new: NewFamily) -> Result<String, OAuthError> {
    let t = now();
    let family = TokenFamily {
        id: new.id,
        user_id: Some(new.user_id),
        client_id: client.client_id.clone(),
        scope: new.scope,
        sid: new.sid,
        auth_time: new.auth_time,
        created_at: t,
        last_used_at: t,
        absolute_expires_at: t + state.settings.tokens.refresh_absolute_ttl_secs as i64,
        revoked_at: None,
        device_name: new.device_name,
        user_agent: new.user_agent,
        ip: new.ip,
    };
    let (value, row) = refresh_token(state, &family);
    state.store.create_family(family, Some(row)).await?;
    Ok(value)
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
