//! `GET|POST /authorize` (RFC 6749 §4.1.1, OpenID Core §3.1.2). Errors about the client or the
//! redirect URI render the error page; all others go back to the client (SECURITY.md A.3).

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::authorization::{self, Pending, SignedIn};
use crate::endpoints::{common, interaction};
use crate::grants::code::Browser;
use crate::http::{cookies, extract, response};
use crate::oauth::OAuthError;
use crate::oauth::authorization as request;
use crate::state::AppState;

#[tracing::instrument(name = "authorize", skip_all)]
pub async fn handle(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let params = match extract::query_or_form(&req, &body) {
        Ok(p) => p,
        Err(e) => return response::error_page_for(&e),
    };
    let client = match params.get("client_id") {
        None => {
            return response::error_page_for(&OAuthError::invalid_request("missing parameter: client_id"));
        }
        Some(id) => match state.store.client_by_id(id).await {
            Ok(c) => c,
            Err(e) => return response::error_page_for(&e.into()),
        },
    };
    let (redirect_uri, sent) = match request::resolve_redirect_uri(&params, client.as_ref()) {
        Ok(r) => r,
        Err(e) => return response::error_page_for(&e),
    };
    let Some(client) = client else {
        return response::error_page_for(&OAuthError::invalid_request("unknown client_id"));
    };
    let allow_plain = state.settings.security.allow_plain_pkce;
    let validated = match request::validate(&params, &client, redirect_uri, sent, allow_plain) {
        Ok(r) => r,
        Err(e) => {
            let res = authorization::AuthResponse::from_redirect_error(&state, *e);
            return response::authorization_response(&res);
        }
    };
    let (binding, new_cookie) = cookies::browser(&req, &state.settings);
    let current = match common::signed_in(&state, &req).await {
        Ok(c) => c,
        Err(e) => return response::error_page_for(&e),
    };
    let signed_in = current.as_ref().map(|c| SignedIn {
        session: &c.session,
        user: &c.user,
    });
    let browser = Browser {
        user_agent: extract::user_agent(&req),
        ip: Some(extract::client_ip(&req)),
    };
    let pending = Pending::new(validated, &binding);
    match authorization::evaluate(&state, pending, &client, signed_in, browser).await {
        Ok(step) => interaction::render(&state, step, &binding, new_cookie.into_iter().collect()).await,
        Err(e) => response::error_page_for(&e),
    }
}
