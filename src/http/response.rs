//! Building responses: OAuth error JSON (RFC 6749 §5.2) with the right status and headers, bearer
//! challenges (RFC 6750 §3), pages, and the authorization response (303 or form post).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};

use crate::authorization::AuthResponse;
use crate::http::templates::{self, ErrorPage, FormPostPage};
use crate::oauth::authorization::ResponseMode;
use crate::oauth::{ErrorCode, OAuthError};

/// Logs an error at the level its kind deserves; never a secret (STYLE.md §8).
pub fn log(err: &OAuthError) {
    match err.code {
        ErrorCode::ServerError => tracing::error!(error = %err, cause = ?err.detail, "request failed"),
        ErrorCode::TemporarilyUnavailable => {
            tracing::warn!(error = %err, cause = ?err.detail, "backend unavailable")
        }
        _ => tracing::debug!(error = %err, cause = ?err.detail, "protocol error"),
    }
}

fn status(err: &OAuthError) -> StatusCode {
    StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST)
}

/// Adds `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1, SECURITY.md C.17).
pub fn no_store(mut res: HttpResponse) -> HttpResponse {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

/// RFC 6749 §5.2 error JSON. `invalid_client` is a 401 and every 401 carries a challenge
/// (`WWW-Authenticate: Basic`, required by §5.2 when the client used the header).
pub fn oauth_error(err: &OAuthError) -> HttpResponse {
    log(err);
    let mut builder = HttpResponse::build(status(err));
    if err.code == ErrorCode::InvalidClient {
        builder.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="portcullis""#));
    }
    if err.code == ErrorCode::TemporarilyUnavailable {
        builder.insert_header((header::RETRY_AFTER, "5"));
    }
    no_store(builder.json(err.to_json()))
}

/// RFC 6750 §3: a missing token gets a bare challenge; an invalid one names the error.
pub fn bearer_error(err: Option<&OAuthError>) -> HttpResponse {
    let Some(err) = err else {
        return no_store(
            HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="portcullis""#))
                .finish(),
        );
    };
    log(err);
    match err.code {
        ErrorCode::InvalidToken | ErrorCode::InvalidRequest | ErrorCode::InsufficientScope => {
            let desc = err.description.replace(['"', '\\'], "");
            let challenge = format!(
                r#"Bearer realm="portcullis", error="{}", error_description="{}""#,
                err.code, desc
            );
            let mut res = HttpResponse::build(status(err));
            res.insert_header((header::WWW_AUTHENTICATE, challenge));
            no_store(res.json(err.to_json()))
        }
        _ => oauth_error(err),
    }
}

/// An HTML page with `no-store` (pages carry CSRF tokens and sometimes codes).
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    no_store(
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
    )
}

/// The error page; never a redirect (SECURITY.md A.3).
pub fn error_page(status: StatusCode, title: &str, message: &str, code: Option<&str>) -> HttpResponse {
    let page = ErrorPage {
        title: title.to_string(),
        message: message.to_string(),
        code: code.map(str::to_string),
    };
    match templates::render(&page) {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "could not render the error page");
            no_store(
                HttpResponse::build(status)
                    .content_type("text/plain; charset=utf-8")
                    .body(message.to_string()),
            )
        }
    }
}

/// The error page for a protocol error that may not be redirected.
pub fn error_page_for(err: &OAuthError) -> HttpResponse {
    log(err);
    let (status, title) = match err.code {
        ErrorCode::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong"),
        ErrorCode::TemporarilyUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "Temporarily unavailable"),
        _ => (StatusCode::BAD_REQUEST, "This request cannot be completed"),
    };
    error_page(status, title, &err.description, Some(err.code.as_str()))
}

/// Renders a page or, if rendering fails, the error page.
pub fn page<T: askama::Template>(status: StatusCode, page: &T) -> HttpResponse {
    match templates::render(page) {
        Ok(body) => html(status, body),
        Err(e) => error_page_for(&OAuthError::server_error(e)),
    }
}

/// 303 See Other (SECURITY.md A.4: after a POST, and for every redirect we send).
pub fn see_other(location: &str) -> HttpResponse {
    no_store(
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish(),
    )
}

/// Delivers an authorization response: a 303 with the parameters in the query, or the auto-
/// submitting form of the Form Post Response Mode. `Referrer-Policy: no-referrer` is on every response.
pub fn authorization_response(res: &AuthResponse) -> HttpResponse {
    match res.mode {
        ResponseMode::Query => see_other(&res.location()),
        ResponseMode::FormPost => page(
            StatusCode::OK,
            &FormPostPage {
                redirect_uri: res.redirect_uri.clone(),
                params: res.params.clone(),
            },
        ),
    }
}
