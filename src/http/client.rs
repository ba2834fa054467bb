//! The client of a back-channel request (RFC 6749 §2.3, §3.2.1): read from the Authorization
//! header or the form, checked against the registered client (`oauth/client_auth.rs`), or by its
//! `private_key_jwt` assertion (`clients/assertion.rs`, RFC 7523 §2.2).

use actix_web::HttpRequest;

use crate::context::Context;
use crate::http::errors::ApiError;
use crate::http::extract;
use crate::oauth::OAuthError;
use crate::oauth::client_assertion;
use crate::oauth::client_auth::{self, ClientAuth};
use crate::oauth::params::ParamMap;
use crate::storage::Client;

/// Which clients an endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    /// Confidential and public clients (token, revocation).
    AnyClient,
    /// Confidential clients only (introspection).
    ConfidentialOnly,
}

/// RFC 6749 §2.3 / §3.2.1: identifies and authenticates the client. Every failure is
/// `invalid_client` (docs/security.md C.12), whose `Basic` challenge names the issuer as realm.
pub async fn authenticate(
    ctx: &Context,
    req: &HttpRequest,
    params: &ParamMap,
    accepts: Accepts,
) -> Result<Client, ApiError> {
    check(ctx, req, params, accepts)
        .await
        .map_err(|e| ApiError::client_auth(e, &ctx.issuer))
}

async fn check(
    ctx: &Context,
    req: &HttpRequest,
    params: &ParamMap,
    accepts: Accepts,
) -> Result<Client, OAuthError> {
    let header = extract::authorization_header(req)?;
    let auth = client_auth::extract(header, params)?
        .ok_or_else(|| OAuthError::invalid_client("client authentication is required"))?;
    let client = crate::clients::load(ctx, auth.client_id()).await?;
    let client = match &auth {
        ClientAuth::Assertion { assertion, .. } => {
            let client = client.ok_or_else(|| client_assertion::fail("unknown client"))?;
            // The URL of the endpoint called, as the issuer names it (an acceptable `aud`).
            let endpoint = format!("{}{}", ctx.issuer, req.path());
            crate::clients::assertion::verify(ctx, &client, assertion, &endpoint).await?;
            client
        }
        _ => {
            let client = match client_auth::authenticate(client.as_ref(), &auth) {
                Ok(()) => client,
                Err(e) => {
                    // docs/security.md E.35: this node's copy may predate a change made elsewhere
                    // (a rotated secret): read the client again, once, before saying no.
                    let cache = ctx.store.client_cache().filter(|_| client.is_some());
                    let Some(cache) = cache else { return Err(e) };
                    cache.forget(auth.client_id());
                    let fresh = crate::clients::load(ctx, auth.client_id()).await?;
                    client_auth::authenticate(fresh.as_ref(), &auth)?;
                    fresh
                }
            };
            client.ok_or_else(|| OAuthError::invalid_client("client authentication failed"))?
        }
    };
    if accepts == Accepts::ConfidentialOnly && client.is_public() {
        return Err(OAuthError::invalid_client(
            "this endpoint is for confidential clients",
        ));
    }
    Ok(client)
}
