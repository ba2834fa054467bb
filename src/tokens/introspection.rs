//! Token introspection (RFC 7662 §2.2): `active` plus the token's claims, for access and refresh
//! tokens. Anything not active is just `{"active": false}`.

use serde_json::{Value, json};

use crate::context::Context;
use crate::digest::sha256_hex;
use crate::oauth::{ErrorCode, OAuthError};
use crate::storage::{Client, TokenFamily, User};
use crate::tokens::access;

fn inactive() -> Value {
    json!({ "active": false })
}

/// RFC 7662 §2.1: `token_type_hint` only orders the look-ups; both kinds are tried.
pub async fn introspect(
    ctx: &Context,
    _caller: &Client,
    token: &str,
    hint: Option<&str>,
) -> Result<Value, OAuthError> {
    let access_first = hint != Some("refresh_token");
    if access_first {
        if let Some(v) = as_access(ctx, token).await? {
            return Ok(v);
        }
        Ok(as_refresh(ctx, token).await?.unwrap_or_else(inactive))
    } else {
        if let Some(v) = as_refresh(ctx, token).await? {
            return Ok(v);
        }
        Ok(as_access(ctx, token).await?.unwrap_or_else(inactive))
    }
}

async fn as_access(ctx: &Context, token: &str) -> Result<Option<Value>, OAuthError> {
    if token.split('.').count() != 3 {
        return Ok(None);
    }
    match access::validate(ctx, token).await {
        Ok(valid) => {
            let c = valid.claims;
            let mut body = json!({
                "active": true,
                "token_type": "Bearer",
                "scope": c.scope,
                "client_id": c.client_id,
                "sub": c.sub,
                "aud": c.aud,
                "iss": c.iss,
                "exp": c.exp,
                "iat": c.iat,
                "nbf": c.nbf,
                "jti": c.jti,
            });
            if let Some(user) = valid.user {
                body["username"] = json!(user.username);
            }
            // RFC 9449 §6.2: a DPoP-bound token says so, and names its key.
            if let Some(cnf) = &c.cnf {
                body["token_type"] = json!("DPoP");
                body["cnf"] = json!(cnf);
            }
            Ok(Some(body))
        }
        Err(e) if e.code == ErrorCode::InvalidToken => Ok(Some(inactive())),
        Err(e) => Err(e),
    }
}

async fn as_refresh(ctx: &Context, token: &str) -> Result<Option<Value>, OAuthError> {
    let Some((rt, family)) = ctx.store.refresh_token(&sha256_hex(token)).await? else {
        return Ok(None);
    };
    let t = ctx.now();
    let user = match &rt.user_id {
        Some(id) => ctx.store.user_by_id(id).await?,
        None => None,
    };
    if rt.used_at.is_some()
        || family.revoked_at.is_some()
        || rt.expires_at <= t
        || !user_ok(user.as_ref(), &family)
    {
        return Ok(Some(inactive()));
    }
    Ok(Some(json!({
        "active": true,
        "token_type": "refresh_token",
        "scope": rt.scope,
        "client_id": rt.client_id,
        "sub": rt.user_id,
        "username": user.map(|u| u.username),
        "iss": &*ctx.issuer,
        "exp": rt.expires_at.min(family.absolute_expires_at),
        "iat": rt.created_at,
    })))
}

fn user_ok(user: Option<&User>, family: &TokenFamily) -> bool {
    user.is_some_and(|u| u.accepts_grant(family.auth_time))
}
