//! `grant_type=client_credentials` (RFC 6749 §4.4): confidential clients only, no refresh token,
//! `sub` is the client_id (RFC 9068 §2.2); for the API(s) named by `resource` (RFC 8707), else
//! the client's default API, else the configured audience.

use crate::apis;
use crate::context::Context;
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::oauth::resource;
use crate::oauth::scope::{OFFLINE_ACCESS, OPENID, Scope};
use crate::random::random_id;
use crate::storage::Client;
use crate::tokens::Subject;
use crate::tokens::dpop::Binding;
use crate::tokens::response::{self, Grant, TokenResponse};

/// RFC 6749 §4.4.2: a token for the client itself. User-centric scopes (`openid`,
/// `offline_access`) make no sense without a user and are refused. RFC 8707 §2: for an API, the
/// scope is within what it defines (J.3); without `scope`, every scope of the API the client may
/// ask for.
pub async fn grant(
    ctx: &Context,
    client: &Client,
    params: &ParamMap,
    binding: &Binding,
) -> Result<TokenResponse, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "public clients cannot use client_credentials",
        ));
    }
    let mut resources = resource::requested(params)?;
    // docs/admin-api.md: `scope=portcullis:admin` without `resource` means the admin API.
    let wants_admin = params
        .get("scope")
        .is_some_and(|raw| raw.split(' ').any(|s| s == crate::admin::ADMIN_SCOPE));
    if resources.is_empty() && wants_admin {
        resources.push(crate::admin::identifier(&ctx.issuer));
    }
    let target = apis::for_request(ctx, client, &resources).await?;
    let allowed = client.scopes.without(&[OPENID, OFFLINE_ACCESS]);
    let scope = match params.get("scope") {
        Some(raw) => Scope::parse(raw)?,
        None if target.apis.is_empty() => Scope::default(),
        None => allowed.intersect(&target.api_scope()),
    };
    if !scope.is_subset_of(&allowed) {
        return Err(OAuthError::invalid_scope(
            "a requested scope is not allowed for this client",
        ));
    }
    target.check_scope(&scope)?;
    let audience = target.audience(ctx)?;
    response::respond(
        ctx,
        Grant {
            client,
            subject: Subject::CLIENT,
            scope: &scope,
            jti: random_id(),
            nonce: None,
            refresh_token: None,
            binding,
            audience: &audience,
        },
    )
    .await
}
