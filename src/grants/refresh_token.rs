//! `grant_type=refresh_token` (RFC 6749 §6, RFC 9700 §4.14, docs/security.md C.13): rotation on
//! every use within one family, reuse revokes the family, idle and absolute expiry, scope only
//! narrows.

use crate::context::{Context, RequestMeta};
use crate::digest::sha256_hex;
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::oauth::scope::Scope;
use crate::random::random_id;
use crate::storage::{AuthMethod, Client, RotateOutcome, TokenFamily, User};
use crate::tokens::Subject;
use crate::tokens::refresh;
use crate::tokens::response::{self, Grant, TokenResponse};

fn invalid() -> OAuthError {
    OAuthError::invalid_grant("invalid refresh token")
}

/// RFC 6749 §6: exchanges a refresh token for new tokens and a new refresh token of the same family.
pub async fn refresh(
    ctx: &Context,
    client: &Client,
    params: &ParamMap,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let hash = sha256_hex(params.require("refresh_token")?);
    let (token, family) = ctx.store.refresh_token(&hash).await?.ok_or_else(invalid)?;
    if token.client_id != client.client_id {
        return Err(invalid().with_detail("refresh token of another client"));
    }
    let t = ctx.now();
    if family.revoked_at.is_some() {
        return Err(invalid().with_detail("family revoked"));
    }
    if token.expires_at <= t || family.absolute_expires_at <= t {
        return Err(invalid().with_detail("refresh token expired"));
    }
    let user = active_user(ctx, &family).await?;
    let scope = narrowed_scope(&family, client, params.get("scope"))?;
    let (value, row) = refresh::mint(ctx, &family);
    match ctx
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
    let subject = Subject {
        user: Some(&user),
        auth_time: Some(family.auth_time),
        sid: family.sid.as_deref(),
        amr: &[AuthMethod::Password],
    };
    let grant = Grant {
        client,
        subject,
        scope: &scope,
        jti: random_id(),
        nonce: None,
        refresh_token: Some(value),
    };
    response::respond(ctx, grant)
}

/// RFC 6749 §6: the scope may only narrow, and is re-checked against what the client may ask for
/// now (docs/security.md C.13).
fn narrowed_scope(
    family: &TokenFamily,
    client: &Client,
    requested: Option<&str>,
) -> Result<Scope, OAuthError> {
    let allowed_now = family.scope.intersect(&client.scopes);
    match requested {
        Some(raw) => {
            let requested = Scope::parse(raw)?;
            if !requested.is_subset_of(&family.scope) {
                return Err(OAuthError::invalid_scope("scope exceeds the original grant"));
            }
            Ok(requested.intersect(&allowed_now))
        }
        None => Ok(allowed_now),
    }
}

/// The family's user must still exist, be enabled, and not have changed password or been logged
/// out since the family began; otherwise the family is revoked.
async fn active_user(ctx: &Context, family: &TokenFamily) -> Result<User, OAuthError> {
    let user = match &family.user_id {
        Some(id) => ctx.store.user_by_id(id).await?,
        None => None,
    };
    match user {
        Some(u) if u.accepts_grant(family.auth_time) => Ok(u),
        _ => {
            ctx.store.revoke_family(&family.id, ctx.now()).await?;
            Err(invalid().with_detail("user disabled, removed, or credentials changed"))
        }
    }
}
