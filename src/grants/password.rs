//! `grant_type=password` (RFC 6749 §4.3). Legacy: RFC 9700 §2.4 says MUST NOT be used; it exists
//! only for clients that list it, and is rate-limited and locked out like the login form
//! (SECURITY.md C.14).

use crate::accounts::login::{LoginOutcome, PasswordCheck};
use crate::grants::RequestMeta;
use crate::grants::issue::{self, NewFamily, Subject};
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::oauth::scope::Scope;
use crate::oauth::tokens::TokenResponse;
use crate::state::AppState;
use crate::storage::Client;
use crate::util::{now, random_id};

/// RFC 6749 §4.3.2: the resource owner's credentials for tokens.
pub async fn grant(
    state: &AppState,
    client: &Client,
    params: &ParamMap,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let username = params.require("username")?;
    let password = params.require("password")?;
    let allowed = Scope::from_tokens(&client.scopes);
    let scope = match params.get("scope") {
        Some(raw) => Scope::parse(raw)?,
        None => allowed.clone(),
    };
    if !scope.is_subset_of(&allowed) {
        return Err(OAuthError::invalid_scope(
            "a requested scope is not allowed for this client",
        ));
    }
    let check = PasswordCheck {
        store: &state.store,
        ephemeral: &state.ephemeral,
        hasher: &state.hasher,
        limits: &state.settings.rate_limit,
    };
    let user = match check
        .check(&meta.ip, username, password.to_string(), Some(&client.client_id))
        .await
        .map_err(OAuthError::server_error)?
    {
        LoginOutcome::Success(user) => user,
        LoginOutcome::Invalid => return Err(OAuthError::invalid_grant("invalid username or password")),
        LoginOutcome::Locked => {
            return Err(OAuthError::invalid_grant("too many attempts; try again later"));
        }
    };
    let t = now();
    let amr = vec!["pwd".to_string()];
    let subject = Subject {
        user: Some(&user),
        auth_time: Some(t),
        sid: None,
        amr: &amr,
    };
    let refresh = if issue::gets_refresh_token(client, &subject) {
        let new = NewFamily {
            id: random_id(),
            user_id: user.id.clone(),
            scope: scope.to_string(),
            sid: None,
            auth_time: t,
            device_name: params.device_name(),
            user_agent: meta.user_agent.clone(),
            ip: Some(meta.ip.clone()),
        };
        Some(issue::start_family(state, client, new).await?)
    } else {
        None
    };
    issue::response(state, client, &subject, &scope, random_id(), None, refresh)
}
