//! `grant_type=client_credentials` (RFC 6749 §4.4): confidential clients only, no refresh token,
//! `sub` is the client_id (RFC 9068 §2.2).

use crate::grants::issue::{self, Subject};
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::oauth::scope::{OFFLINE_ACCESS, OPENID, Scope};
use crate::oauth::tokens::TokenResponse;
use crate::state::AppState;
use crate::storage::Client;
use crate::util::random_id;

/// RFC 6749 §4.4.2: a token for the client itself. User-centric scopes (`openid`,
/// `offline_access`) make no sense without a user and are refused.
pub async fn grant(
    state: &AppState,
    client: &Client,
    params: &ParamMap,
) -> Result<TokenResponse, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "public clients cannot use client_credentials",
        ));
    }
    let allowed = Scope::from_tokens(
        client
            .scopes
            .iter()
            .filter(|s| *s != OPENID && *s != OFFLINE_ACCESS),
    );
    let scope = match params.get("scope") {
        Some(raw) => Scope::parse(raw)?,
        None => Scope::default(),
    };
    if !scope.is_subset_of(&allowed) {
        return Err(OAuthError::invalid_scope(
            "a requested scope is not allowed for this client",
        ));
    }
    let subject = Subject {
        user: None,
        auth_time: None,
        sid: None,
        amr: &[],
    };
    issue::response(state, client, &subject, &scope, random_id(), None, None)
}
