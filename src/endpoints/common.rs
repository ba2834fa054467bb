//! Small pieces several handlers share: the signed-in browser, client authentication.

use actix_web::HttpRequest;

use crate::accounts::session::{self, LoginSession};
use crate::http::{cookies, extract};
use crate::oauth::OAuthError;
use crate::oauth::client_auth;
use crate::oauth::params::ParamMap;
use crate::state::AppState;
use crate::storage::{Client, User};

/// The browser's login session and user, if it has a valid one (SECURITY.md D.21).
pub struct Current {
    pub cookie: String,
    pub session: LoginSession,
    pub user: User,
}

pub async fn signed_in(state: &AppState, req: &HttpRequest) -> Result<Option<Current>, OAuthError> {
    let Some(cookie) = cookies::session_value(req, &state.settings) else {
        return Ok(None);
    };
    let Some(session) = session::load(&state.ephemeral, &state.settings.sessions, &cookie).await? else {
        return Ok(None);
    };
    let user = state.store.user_by_id(&session.user_id).await?;
    Ok(user.filter(|u| session.is_valid_for(u)).map(|user| Current {
        cookie,
        session,
        user,
    }))
}

/// RFC 6749 §2.3 / §3.2.1: identifies and authenticates the client of a back-channel request.
/// `confidential_only`: public clients are refused (introspection).
pub async fn authenticate_client(
    state: &AppState,
    req: &HttpRequest,
    params: &ParamMap,
    confidential_only: bool,
) -> Result<Client, OAuthError> {
    let header = extract::authorization_header(req)?;
    let auth = client_auth::extract(header, params)?
        .ok_or_else(|| OAuthError::invalid_client("client authentication is required"))?;
    let client = state.store.client_by_id(auth.client_id()).await?;
    client_auth::authenticate(client.as_ref(), &auth)?;
    let client = client.ok_or_else(|| OAuthError::invalid_client("client authentication failed"))?;
    if confidential_only && client.is_public() {
        return Err(OAuthError::invalid_client(
            "this endpoint is for confidential clients",
        ));
    }
    Ok(client)
}
