//! Errors that render themselves (actix `ResponseError`): handlers return `Result` and `?` turns a
//! protocol error into the response its spec prescribes.
//!
//! - [`ApiError`]: the JSON endpoints (token, introspection, revocation, userinfo). RFC 6749 §5.2
//!   error JSON with `Cache-Control: no-store`; `invalid_client` is a 401 with a `Basic` challenge
//!   that carries the error too (RFC 7235 §2.1 auth-params, docs/security.md C.12);
//!   bearer-token endpoints answer with the RFC 6750 §3 `Bearer` challenge, or the RFC 9449 §7.1
//!   `DPoP` challenge for DPoP-bound tokens; a `DPoP-Nonce` goes along when there is one; 503
//!   carries `Retry-After`.
//! - [`PageError`]: the browser pages. The HTML error page, never a redirect (docs/security.md A.3).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use crate::accounts::csrf::CsrfError;
use crate::accounts::password::PasswordError;
use crate::accounts::users::AccountError;
use crate::http::response::{html, no_store};
use crate::http::templates::{self, ErrorPage};
use crate::oauth::{ErrorCode, OAuthError};
use crate::storage::StorageError;

/// Logs an error at the level its kind deserves; never a secret (docs/architecture.md, "Logs").
pub fn log(err: &OAuthError) {
    match err.code {
        ErrorCode::ServerError => tracing::error!(error = %err, cause = ?err.detail, "request failed"),
        ErrorCode::TemporarilyUnavailable => {
            tracing::warn!(error = %err, cause = ?err.detail, "backend unavailable")
        }
        _ => tracing::debug!(error = %err, cause = ?err.detail, "protocol error"),
    }
}

fn status_of(err: &OAuthError) -> StatusCode {
    StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST)
}

/// Which challenge a 401 carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// Client authentication (RFC 6749 §5.2): `Basic` on `invalid_client`.
    Client,
    /// A protected resource (RFC 6750 §3): `Bearer`.
    Bearer,
    /// A protected resource called with a DPoP-bound token (RFC 9449 §7.1): `DPoP`.
    Dpop,
}

/// An error of a JSON endpoint. `None` inside a bearer error means no token was sent at all.
#[derive(Debug)]
pub struct ApiError {
    error: Option<OAuthError>,
    scheme: Scheme,
    /// RFC 9449 §8: a nonce for the client's next DPoP proof (`DPoP-Nonce`).
    dpop_nonce: Option<String>,
    /// The realm of a `Basic` challenge: the issuer, when the error came from client authentication.
    realm: Option<Arc<str>>,
}

/// RFC 9449 §7.1: the `algs` of the `DPoP` challenge.
fn dpop_algs() -> String {
    crate::oauth::dpop::SIGNING_ALGS.join(" ")
}

impl ApiError {
    /// RFC 6750 §3.1: an error of a bearer-token endpoint (`invalid_token`, `invalid_request`,
    /// `insufficient_scope` carry the challenge with the error code).
    pub fn bearer(error: OAuthError) -> ApiError {
        ApiError {
            error: Some(error),
            scheme: Scheme::Bearer,
            dpop_nonce: None,
            realm: None,
        }
    }

    /// RFC 9449 §7.1: an error about a DPoP-bound token or its proof: the `DPoP` challenge with
    /// the error code and `algs`; `invalid_token`, `invalid_dpop_proof` and `use_dpop_nonce` are 401.
    pub fn dpop(error: OAuthError) -> ApiError {
        ApiError {
            error: Some(error),
            scheme: Scheme::Dpop,
            dpop_nonce: None,
            realm: None,
        }
    }

    /// RFC 6750 §3.1 and RFC 9449 §7.1: no token at all: 401 with a bare `Bearer` challenge (no
    /// error code) and a `DPoP` challenge naming the accepted algorithms.
    pub fn bearer_missing() -> ApiError {
        ApiError {
            error: None,
            scheme: Scheme::Bearer,
            dpop_nonce: None,
            realm: None,
        }
    }

    /// RFC 6749 §5.2: an error of client authentication at `issuer`; `invalid_client` carries
    /// `WWW-Authenticate: Basic realm="<issuer>", error="invalid_client", error_description="..."`.
    pub fn client_auth(error: OAuthError, issuer: &Arc<str>) -> ApiError {
        ApiError {
            error: Some(error),
            scheme: Scheme::Client,
            dpop_nonce: None,
            realm: Some(Arc::clone(issuer)),
        }
    }

    /// RFC 9449 §8: sends `nonce` in `DPoP-Nonce` with the error.
    pub fn with_dpop_nonce(mut self, nonce: Option<String>) -> ApiError {
        self.dpop_nonce = nonce;
        self
    }

    fn status(&self) -> StatusCode {
        match &self.error {
            None => StatusCode::UNAUTHORIZED,
            Some(e) if self.scheme == Scheme::Dpop => match e.code {
                ErrorCode::InvalidToken | ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce => {
                    StatusCode::UNAUTHORIZED
                }
                _ => status_of(e),
            },
            Some(e) => status_of(e),
        }
    }

    pub fn oauth(&self) -> Option<&OAuthError> {
        self.error.as_ref()
    }
}

impl From<OAuthError> for ApiError {
    fn from(error: OAuthError) -> ApiError {
        ApiError {
            error: Some(error),
            scheme: Scheme::Client,
            dpop_nonce: None,
            realm: None,
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> ApiError {
        OAuthError::from(e).into()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error {
            Some(e) => e.fmt(f),
            None => f.write_str("no bearer token"),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let Some(err) = &self.error else {
            return no_store(
                HttpResponse::Unauthorized()
                    .insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="portcullis""#))
                    .append_header((
                        header::WWW_AUTHENTICATE,
                        format!(r#"DPoP algs="{}""#, dpop_algs()),
                    ))
                    .finish(),
            );
        };
        log(err);
        let mut res = HttpResponse::build(self.status());
        let bearer_codes = [
            ErrorCode::InvalidToken,
            ErrorCode::InvalidRequest,
            ErrorCode::InsufficientScope,
        ];
        let dpop_codes = [ErrorCode::InvalidDpopProof, ErrorCode::UseDpopNonce];
        if self.scheme == Scheme::Bearer && bearer_codes.contains(&err.code) {
            let challenge = format!(
                r#"Bearer realm="portcullis", error="{}", error_description="{}""#,
                err.code,
                quotable(&err.description)
            );
            res.insert_header((header::WWW_AUTHENTICATE, challenge));
        } else if self.scheme == Scheme::Dpop
            && (bearer_codes.contains(&err.code) || dpop_codes.contains(&err.code))
        {
            let challenge = format!(
                r#"DPoP error="{}", error_description="{}", algs="{}""#,
                err.code,
                quotable(&err.description),
                dpop_algs()
            );
            res.insert_header((header::WWW_AUTHENTICATE, challenge));
        } else if err.code == ErrorCode::InvalidClient {
            // RFC 6749 §5.2: every 401 carries a challenge; the error in it lets relying-party
            // libraries that read only the challenge report `invalid_client`.
            let challenge = format!(
                r#"Basic realm="{}", error="{}", error_description="{}""#,
                quotable(self.realm.as_deref().unwrap_or("portcullis")),
                err.code,
                quotable(&err.description)
            );
            res.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        if err.code == ErrorCode::TemporarilyUnavailable {
            res.insert_header((header::RETRY_AFTER, "5"));
        }
        if let Some(nonce) = &self.dpop_nonce {
            res.insert_header(("DPoP-Nonce", nonce.as_str()));
        }
        no_store(res.json(err.to_json()))
    }
}

/// RFC 9110 §5.6.4: text for a quoted-string, without the characters that would end or escape it
/// (and without control characters, which a header may not carry).
fn quotable(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '"' | '\\') && !c.is_control())
        .collect()
}

/// An error shown to a person as the HTML error page. Its title and message are message ids of
/// `locales/*/errors.ftl`, put into the request's language when the page is rendered.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    title: Cow<'static, str>,
    message: Cow<'static, str>,
    code: Option<&'static str>,
    /// The protocol error behind it (its description is folded away under "Technical details"), logged when the page is rendered.
    cause: Option<OAuthError>,
}

impl PageError {
    /// A page with its own words: the ids of its title and message in `locales/*/errors.ftl`.
    pub fn new(status: StatusCode, title: &'static str, message: &'static str) -> PageError {
        PageError {
            status,
            title: title.into(),
            message: message.into(),
            code: None,
            cause: None,
        }
    }

    /// A submitted form whose CSRF token is missing, spent or another browser's
    /// (docs/security.md D.20): the same page for every form.
    pub fn form_expired() -> PageError {
        PageError {
            code: Some(ErrorCode::InvalidRequest.as_str()),
            ..PageError::new(
                StatusCode::BAD_REQUEST,
                "error-form-expired-title",
                "error-form-expired",
            )
        }
    }

    /// A pending sign-in request that is gone (expired, finished, or from another browser).
    pub fn request_expired() -> PageError {
        PageError {
            code: Some(ErrorCode::InvalidRequest.as_str()),
            ..PageError::new(
                StatusCode::BAD_REQUEST,
                "error-request-expired-title",
                "error-request-expired",
            )
        }
    }
}

/// The words a person reads for a protocol error: what happened and what they can do. The
/// developer's description stays under "Technical details".
fn for_people(code: ErrorCode) -> (StatusCode, &'static str, &'static str) {
    match code {
        ErrorCode::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "error-server-title",
            "error-server",
        ),
        ErrorCode::TemporarilyUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "error-unavailable-title",
            "error-unavailable",
        ),
        ErrorCode::InvalidClient | ErrorCode::UnauthorizedClient => {
            (StatusCode::BAD_REQUEST, "error-client-title", "error-client")
        }
        ErrorCode::InvalidScope => (StatusCode::BAD_REQUEST, "error-scope-title", "error-scope"),
        _ => (StatusCode::BAD_REQUEST, "error-request-title", "error-request"),
    }
}

impl From<OAuthError> for PageError {
    fn from(err: OAuthError) -> PageError {
        let (status, title, message) = for_people(err.code);
        PageError {
            status,
            title: title.into(),
            message: message.into(),
            code: Some(err.code.as_str()),
            cause: Some(err),
        }
    }
}

impl From<StorageError> for PageError {
    fn from(e: StorageError) -> PageError {
        OAuthError::from(e).into()
    }
}

impl From<AccountError> for PageError {
    /// A full hashing queue is the 503 page with `Retry-After` (docs/security.md E.33).
    fn from(e: AccountError) -> PageError {
        match e {
            AccountError::Storage(s) => s.into(),
            AccountError::Hash(PasswordError::Busy) => OAuthError::unavailable(PasswordError::Busy).into(),
            other => OAuthError::server_error(other).into(),
        }
    }
}

impl From<CsrfError> for PageError {
    fn from(e: CsrfError) -> PageError {
        match e {
            CsrfError::Expired => PageError::form_expired(),
            CsrfError::Storage(s) => s.into(),
        }
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let english = |id: &str| crate::i18n::catalog::format(crate::i18n::Lang::En, id, None);
        write!(f, "{}: {}", english(&self.title), english(&self.message))
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            log(cause);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let page = ErrorPage {
            title: crate::i18n::t(&self.title),
            message: crate::i18n::t(&self.message),
            code: self.code.map(str::to_string),
            detail: self.cause.as_ref().map(|c| c.description.to_string()),
            reference: crate::http::observe::current(),
            // Wall-clock time, as on the log lines (the reference matches one of them).
            time: crate::timefmt::second_in(crate::i18n::current(), now),
        };
        let mut res = match templates::render(&page) {
            Ok(body) => html(self.status, body),
            Err(e) => {
                tracing::error!(error = %e, "could not render the error page");
                no_store(
                    HttpResponse::build(self.status)
                        .content_type("text/plain; charset=utf-8")
                        .body(crate::i18n::t(&self.message)),
                )
            }
        };
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // RFC 9110 §15.6.4: when to come back (a full hashing queue, an unreachable store).
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// docs/security.md E.33: a full hashing queue is a 503 with `Retry-After`, on a page (the
    /// login form, the account page's password form) as at the token endpoint; never a 500.
    #[test]
    fn full_hashing_queue_is_503_with_retry_after() {
        let page = PageError::from(AccountError::Hash(PasswordError::Busy)).error_response();
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(page.headers().get(header::RETRY_AFTER).unwrap(), "5");
        let login = crate::accounts::login::LoginError::Hash(PasswordError::Busy);
        let api = ApiError::from(OAuthError::from(login)).error_response();
        assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(api.headers().get(header::RETRY_AFTER).unwrap(), "5");
    }

    /// docs/security.md C.12: the `Basic` challenge names the issuer and carries the error,
    /// without characters that would break the quoted strings.
    #[test]
    fn basic_challenge_carries_the_error_and_the_realm() {
        let issuer: Arc<str> = Arc::from("https://id.example.com");
        let err = OAuthError::invalid_client("bad \"secret\"\\");
        let res = ApiError::client_auth(err, &issuer).error_response();
        assert_eq!(
            res.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            r#"Basic realm="https://id.example.com", error="invalid_client", error_description="bad secret""#
        );
    }
}
