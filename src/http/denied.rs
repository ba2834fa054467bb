//! The page a user outside the groups a client requires sees (docs/clients.md, "Groups"): a clear
//! 403 "Access denied" that issues no code, with a button back to the client that carries the
//! RFC 6749 §4.1.2.1 `error=access_denied` response (to the validated redirect URI), as OpenID
//! Core §3.1.2.6 has it.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::http::errors::PageError;
use crate::http::response;
use crate::interaction::AuthResponse;
use crate::oauth::authorization_request::ResponseMode;

#[derive(Template, serde::Serialize)]
#[template(path = "denied.html")]
pub struct DeniedPage {
    pub client_name: String,
    pub username: String,
    /// Query mode: the link back, `redirect_uri?error=access_denied&state=...&iss=...`.
    pub location: Option<String>,
    /// Form post mode: the form's action and hidden inputs.
    pub redirect_uri: String,
    pub params: Vec<(String, String)>,
}

/// Renders the page for `response` (an `access_denied` authorization response).
pub fn page(client_name: String, username: String, res: &AuthResponse) -> Result<HttpResponse, PageError> {
    let location = (res.mode == ResponseMode::Query).then(|| res.location());
    let page = DeniedPage {
        client_name,
        username,
        location,
        redirect_uri: res.redirect_uri.clone(),
        params: res.params.clone(),
    };
    response::page(StatusCode::FORBIDDEN, &page)
}
