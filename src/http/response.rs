//! Building successful responses: pages, 303 redirects, and the authorization response (303 or
//! form post). Errors render themselves (`http/errors.rs`).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};

use crate::http::errors::PageError;
use crate::http::templates::{self, ErrorPage, FormPostPage};
use crate::interaction::AuthResponse;
use crate::oauth::OAuthError;
use crate::oauth::authorization_request::ResponseMode;

/// Adds `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1, docs/security.md C.17).
pub fn no_store(mut res: HttpResponse) -> HttpResponse {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

/// An HTML page with `no-store` (pages carry CSRF tokens and sometimes codes).
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    no_store(
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
    )
}

/// Renders a page with `status` (its override from `branding.dir` when there is one); a
/// template that cannot be rendered is a `server_error` page (500, the built-in error page).
pub fn page<T: templates::Page>(status: StatusCode, page: &T) -> Result<HttpResponse, PageError> {
    let body = templates::render(page).map_err(OAuthError::server_error)?;
    Ok(html(status, body))
}

/// A short message on the error page's layout that is not an error (e.g. "You are still signed in").
pub fn message(title: &str, message: &str) -> Result<HttpResponse, PageError> {
    let notice = ErrorPage {
        title: title.to_string(),
        message: message.to_string(),
        code: None,
        detail: None,
        reference: None,
        time: String::new(),
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
