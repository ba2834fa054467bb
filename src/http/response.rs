//! Building successful responses: pages, 303 redirects, and the authorization response (303 or
//! form post). Errors render themselves (`http/errors.rs`).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;

use crate::http::errors::PageError;
pub use crate::http::errors::{html, no_store};
use crate::http::templates::{self, ErrorPage, FormPostPage};
use crate::interaction::AuthResponse;
use crate::oauth::OAuthError;
use crate::oauth::authorization_request::ResponseMode;

/// Renders a page with `status`; a template that cannot be rendered is a `server_error` page.
pub fn page<T: askama::Template>(status: StatusCode, page: &T) -> Result<HttpResponse, PageError> {
    let body = templates::render(page).map_err(OAuthError::server_error)?;
    Ok(html(status, body))
}

/// A short message on the error page's layout that is not an error (e.g. "You are still signed in").
pub fn message(title: &str, message: &str) -> Result<HttpResponse, PageError> {
    let notice = ErrorPage {
        title: title.to_string(),
        message: message.to_string(),
        code: None,
    };
    page(StatusCode::OK, &notice)
}

/// 303 See Other (docs/security.md A.4: after a POST, and for every redirect we send).
pub fn see_other(location: &str) -> HttpResponse {
    no_store(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish(),
    )
}

/// Delivers an authorization response: a 303 with the parameters in the query, or the auto-
/// submitting form of the Form Post Response Mode. `Referrer-Policy: no-referrer` is on every response.
pub fn authorization_response(res: &AuthResponse) -> Result<HttpResponse, PageError> {
    match res.mode {
        ResponseMode::Query => Ok(see_other(&res.location())),
        ResponseMode::FormPost => page(
            StatusCode::OK,
            &FormPostPage {
                redirect_uri: res.redirect_uri.clone(),
                params: res.params.clone(),
            },
        ),
    }
}
