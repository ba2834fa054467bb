//! `grant_type=client_credentials` (RFC 6749 §4.4): confidential clients only, no refresh token,
//! `sub` is the client_id (RFC 9068 §2.2).

use crate::context::Context;
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::oauth::scope::{OFFLINE_ACCESS, OPENID, Scope};
use crate::random::random_id;
use crate::storage::Client;
use crate::tokens::Subject;
use crate::tokens::dpop::Binding;
use crate::tokens::response::{self, Grant, TokenResponse};

/// RFC 6749 §4.4.2: a token for the client itself. User-centric scopes (`openid`,
/// `offline_access`) make no sense without a user and are refused.
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
    let allowed = client.scopes.without(&[OPENID, OFFLINE_ACCESS]);
    let scope = match params.get("scope") {
        Some(raw) => Scope::parse(raw)?,
        None => Scope::default(),
    };
    if !scope.is_subset_of(&allowed) {
        return Err(OAuthError::invalid_scope(
            "a requested scope is not allowed for this client",
        ));
    }
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
        },
    )
    .await
}
