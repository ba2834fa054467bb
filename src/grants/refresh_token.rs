//! `grant_type=refresh_token` (RFC 6749 §6, RFC 9700 §4.14, SECURITY.md C.13): rotation on every
//! use within one family, reuse revokes the family, idle and absolute expiry, scope only narrows.

use crate::grants::RequestMeta;
use crate::grants::issue::{self, Subject};
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::oauth::scope::Scope;
use crate::oauth::tokens::TokenResponse;
use crate::state::AppState;
use crate::storage::{Client, RotateOutcome, TokenFamily, User};
use crate::util::{now, random_id, sha256_hex};

fn invalid() -> OAuthError {
    OAuthError::invalid_grant("invalid refresh token")
}

/// RFC 6749 §6: exchanges a refresh token for new tokens and a new refresh token of the same family.
pub async fn refresh(
    state: &AppState,
    client: &Client,
    params: &ParamMap,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let presented = params.require("refresh_token")?;
    let hash = sha256_hex(presented);
    let (token, family) = state.store.refresh_token(&hash).await?.ok_or_else(invalid)?;
    if token.client_id != client.client_id {
        return Err(invalid().with_detail("refresh token of another client"));
    }
    let t = now();
    if family.revoked_at.is_some() {
        return Err(invalid().with_detail("family revoked"));
    }
    if token.expires_at <= t || family.absolute_expires_at <= t {
        return Err(invalid().with_detail("refresh token expired"));
    }
    let user = active_user(state, &family).await?;

    // Scope may only narrow (RFC 6749 §6) and is re-checked against what the client may have now.
    let granted = Scope::from_tokens(family.scope.split(' '));
    let allowed_now = granted.intersect(&Scope::from_tokens(&client.scopes));
    let scope = match params.get("scope") {
        Some(raw) => {
            let requested = Scope::parse(raw)?;
            if !requested.is_subset_of(&granted) {
                return Err(OAuthError::invalid_scope("scope exceeds the original grant"));
            }
            requested.intersect(&allowed_now)
        }
        None => allowed_now,
    };

    let (value, row) = issue::refresh_token(state, &family);
    match state
        .store
        .rotate_refresh_token(&hash, row, t, Some(meta.ip.clone()))
        .await?
    {
        RotateOutcome::Rotated => {}
        RotateOutcome::Reused { family_id } => {
            tracing::warn!(family = %family_id, client_id = %client.client_id, "refresh token reused; family revoked");
            return Err(invalid().with_detail("refresh token reuse"));
        }
        RotateOutcome::NotFound => return Err(invalid()),
    }
    let amr = vec!["pwd".to_string()];
    let subject = Subject {
        user: Some(&user),
        auth_time: Some(family.auth_time),
        sid: family.sid.as_deref(),
        amr: &amr,
    };
    issue::response(state, client, &subject, &scope, random_id(), None, Some(value))
}

/// The family's user must still exist, be enabled, and not have changed password or been logged
/// out since the family began; otherwise the family is revoked.
async fn active_user(state: &AppState, family: &TokenFamily) -> Result<User, OAuthError> {
    let user = match &family.user_id {
        Some(id) => state.store.user_by_id(id).await?,
        None => None,
    };
    match user {
        Some(u) if u.accepts_grant(family.auth_time) => Ok(u),
        _ => {
            state.store.revoke_family(&family.id, now()).await?;
            Err(invalid().with_detail("user disabled, removed, or credentials changed"))
        }
    }
}
