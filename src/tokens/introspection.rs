//! Token introspection (RFC 7662 §2.2), bound to the caller (§4, docs/security.md E.31): a client
//! learns about the tokens issued to it and about access tokens meant for it (it is their audience,
//! or it is a resource server and they are for the provider's APIs, or it is the introspecting
//! client of an API they are for, docs/security.md J.5); only the owning client
//! introspects a refresh token; `username` appears only when the token's scope covers the profile.
//! Anything the caller may not see, and anything not active, is just `{"active": false}`.

use serde::Serialize;

use crate::context::Context;
use crate::digest::sha256_hex;
use crate::oauth::scope::Scope;
use crate::oauth::{ErrorCode, OAuthError};
use crate::storage::{Client, TokenFamily, User};
use crate::tokens::access::{self, AccessTokenClaims, Confirmation};
use crate::tokens::audience::Aud;

/// The scope that lets a token's introspection name the user (`username`).
const PROFILE: &str = "profile";

/// RFC 7662 §2.2: the introspection response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(flatten)]
    pub details: Option<Details>,
}

/// The members of an active token's introspection response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Details {
    pub token_type: &'static str,
    pub scope: Scope,
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// RFC 7662 §2.2: a string, or an array when the token is for several APIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Aud>,
    pub iss: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// RFC 9449 §6.2: the key a DPoP-bound token is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// RFC 8693 §4.1: the actor of a delegated token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<serde_json::Value>,
}

impl Introspection {
    /// `{"active": false}`: unknown, expired, revoked, or not the caller's to see.
    pub fn inactive() -> Introspection {
        Introspection {
            active: false,
            details: None,
        }
    }

    fn active(details: Details) -> Introspection {
        Introspection {
            active: true,
            details: Some(details),
        }
    }
}

/// RFC 7662 §2.1: `token_type_hint` only orders the look-ups; both kinds are tried.
pub async fn introspect(
    ctx: &Context,
    caller: &Client,
    token: &str,
    hint: Option<&str>,
) -> Result<Introspection, OAuthError> {
    let found = if hint == Some("refresh_token") {
        match as_refresh(ctx, caller, token).await? {
            Some(v) => Some(v),
            None => as_access(ctx, caller, token).await?,
        }
    } else {
        match as_access(ctx, caller, token).await? {
            Some(v) => Some(v),
            None => as_refresh(ctx, caller, token).await?,
        }
    };
    Ok(found.unwrap_or_else(Introspection::inactive))
}

/// RFC 7662 §4: whether `caller` may learn about this access token: it was issued to the caller,
/// the caller is its audience, the caller is a resource server and the token is for the
/// provider's APIs (the configured audience), or (docs/security.md J.5) the caller is the
/// introspecting client of an API (`api add --introspect-client`) the token is for.
pub(crate) async fn may_see_access(
    ctx: &Context,
    caller: &Client,
    claims: &AccessTokenClaims,
) -> Result<bool, OAuthError> {
    if claims.client_id == caller.client_id
        || claims.aud.contains(&caller.client_id)
        || (caller.resource_server && claims.aud.contains(&ctx.audience))
    {
        return Ok(true);
    }
    if caller.is_public() {
        return Ok(false);
    }
    let apis = ctx.store.apis_introspected_by(&caller.client_id).await?;
    Ok(apis.iter().any(|api| claims.aud.contains(api)))
}

async fn as_access(ctx: &Context, caller: &Client, token: &str) -> Result<Option<Introspection>, OAuthError> {
    if token.split('.').count() != 3 {
        return Ok(None);
    }
    let valid = match access::validate(ctx, token).await {
        Ok(valid) => valid,
        Err(e) if e.code == ErrorCode::InvalidToken => return Ok(Some(Introspection::inactive())),
        Err(e) => return Err(e),
    };
    let c = valid.claims;
    if !may_see_access(ctx, caller, &c).await? {
        return Ok(Some(Introspection::inactive()));
    }
    let username = valid
        .user
        .filter(|_| c.scope.contains(PROFILE))
        .map(|u| u.username);
    // RFC 9449 §6.2: a DPoP-bound token says so, and names its key.
    let token_type = if c.cnf.is_some() { "DPoP" } else { "Bearer" };
    Ok(Some(Introspection::active(Details {
        token_type,
        cnf: c.cnf,
        act: c.act,
        username,
        sub: Some(c.sub),
        aud: Some(c.aud),
        nbf: Some(c.nbf),
        jti: Some(c.jti),
        scope: c.scope,
        client_id: c.client_id,
        iss: c.iss,
        exp: c.exp,
        iat: c.iat,
    })))
}

async fn as_refresh(
    ctx: &Context,
    caller: &Client,
    token: &str,
) -> Result<Option<Introspection>, OAuthError> {
    let Some((rt, family)) = ctx.store.refresh_token(&sha256_hex(token)).await? else {
        return Ok(None);
    };
    // RFC 7662 §4: a refresh token is only ever shown to the client it was issued to.
    if rt.client_id != caller.client_id {
        return Ok(Some(Introspection::inactive()));
    }
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
        return Ok(Some(Introspection::inactive()));
    }
    let username = user.filter(|_| rt.scope.contains(PROFILE)).map(|u| u.username);
    Ok(Some(Introspection::active(Details {
        token_type: "refresh_token",
        username,
        sub: rt.user_id,
        aud: None,
        nbf: None,
        jti: None,
        cnf: None,
        act: None,
        scope: rt.scope,
        client_id: rt.client_id,
        iss: ctx.issuer.to_string(),
        exp: rt.expires_at.min(family.absolute_expires_at),
        iat: rt.created_at,
    })))
}

fn user_ok(user: Option<&User>, family: &TokenFamily) -> bool {
    user.is_some_and(|u| u.accepts_grant(family.auth_time))
}
