//! The admin API's one error shape (docs/admin-api.md, "Errors"): a code, a status and a
//! description for the operator. Internal failures are logged with their cause and reach the
//! caller only as `server_error`.

use std::borrow::Cow;

use crate::oauth::{ErrorCode, OAuthError};
use crate::storage::StorageError;

/// What went wrong, with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: malformed JSON, unknown fields, wrong types, values that fail validation.
    InvalidRequest,
    /// 401: no bearer token (RFC 6750 §3.1: the challenge then carries no error code).
    Unauthenticated,
    /// 401: a token that is not a valid access token for the admin API (RFC 6750 §3.1).
    InvalidToken,
    /// 403: a valid token without `portcullis:admin` (RFC 6750 §3.1).
    InsufficientScope,
    /// 404: no such resource.
    NotFound,
    /// 405: the path exists, the method does not.
    MethodNotAllowed,
    /// 409: it exists already.
    Conflict,
    /// 413: a body larger than `security.max_body_bytes`.
    PayloadTooLarge,
    /// 415: a body that is not JSON (`Content-Type` other than `application/json`).
    UnsupportedMediaType,
    /// 503: the database could not be reached.
    Unavailable,
    /// 500.
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::InvalidRequest => 400,
            ErrorKind::Unauthenticated | ErrorKind::InvalidToken => 401,
            ErrorKind::InsufficientScope => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::Conflict => 409,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }

    /// The `error` member of the JSON body.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Unauthenticated => "unauthorized",
            ErrorKind::InvalidToken => "invalid_token",
            ErrorKind::InsufficientScope => "insufficient_scope",
            ErrorKind::NotFound => "not_found",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
            ErrorKind::Conflict => "conflict",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::UnsupportedMediaType => "unsupported_media_type",
            ErrorKind::Unavailable => "temporarily_unavailable",
            ErrorKind::Internal => "server_error",
        }
    }
}

/// An admin operation's failure. `description` is sent; `detail` is only logged.
#[derive(Debug, thiserror::Error)]
#[error("{}: {description}", kind.code())]
pub struct AdminError {
    pub kind: ErrorKind,
    pub description: Cow<'static, str>,
    #[source]
    pub detail: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl AdminError {
    pub fn new(kind: ErrorKind, description: impl Into<Cow<'static, str>>) -> AdminError {
        AdminError {
            kind,
            description: description.into(),
            detail: None,
        }
    }

    pub fn invalid(description: impl Into<Cow<'static, str>>) -> AdminError {
        AdminError::new(ErrorKind::InvalidRequest, description)
    }

    pub fn not_found(description: impl Into<Cow<'static, str>>) -> AdminError {
        AdminError::new(ErrorKind::NotFound, description)
    }

    pub fn conflict(description: impl Into<Cow<'static, str>>) -> AdminError {
        AdminError::new(ErrorKind::Conflict, description)
    }

    pub fn internal(detail: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> AdminError {
        AdminError {
            kind: ErrorKind::Internal,
            description: "internal error".into(),
            detail: Some(detail.into()),
        }
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }
}

impl From<StorageError> for AdminError {
    fn from(e: StorageError) -> AdminError {
        match e {
            StorageError::Conflict(what) => AdminError::conflict(format!("already exists: {what}")),
            StorageError::Unavailable(_) => AdminError {
                kind: ErrorKind::Unavailable,
                description: "the database is unavailable; try again".into(),
                detail: Some(Box::new(e)),
            },
            e => AdminError::internal(e),
        }
    }
}

/// Token validation failures (`tokens::access::validate`): an unreachable database stays 503,
/// a server error 500, anything else is `invalid_token`.
impl From<OAuthError> for AdminError {
    fn from(e: OAuthError) -> AdminError {
        let kind = match e.code {
            ErrorCode::TemporarilyUnavailable => ErrorKind::Unavailable,
            ErrorCode::ServerError => ErrorKind::Internal,
            ErrorCode::InsufficientScope => ErrorKind::InsufficientScope,
            _ => ErrorKind::InvalidToken,
        };
        AdminError {
            kind,
            description: e.description.clone(),
            detail: Some(Box::new(e)),
        }
    }
}
