//! OAuth error codes and the error value every protocol path returns
//! (RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1, OpenID Core §3.1.2.6,
//! RFC 9449 §12.2).

use std::borrow::Cow;
use std::fmt;

use crate::storage::StorageError;

/// The registered error codes we emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    InvalidToken,
    InsufficientScope,
    UnsupportedTokenType,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    InvalidRequestUri,
    RequestNotSupported,
    RequestUriNotSupported,
    /// RFC 9449 §5.2, §7.1: the DPoP proof is missing, malformed or does not match the request.
    InvalidDpopProof,
    /// RFC 9449 §8: the DPoP proof must carry the nonce the server sends in `DPoP-Nonce`.
    UseDpopNonce,
    /// RFC 8707 §2: the requested resource is invalid, missing, unknown, or malformed.
    InvalidTarget,
    /// RFC 8628 §3.5: the user has not yet approved or denied the device authorization request.
    AuthorizationPending,
    /// RFC 8628 §3.5: polling too fast; the interval grows by 5 seconds.
    SlowDown,
    /// RFC 8628 §3.5: the `device_code` has expired.
    ExpiredToken,
    /// RFC 7591 §3.2.2: a redirect URI of a registration is not acceptable.
    InvalidRedirectUri,
    /// RFC 7591 §3.2.2: a metadata value of a registration is not acceptable.
    InvalidClientMetadata,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::InvalidRequestUri => "invalid_request_uri",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::InvalidDpopProof => "invalid_dpop_proof",
            ErrorCode::UseDpopNonce => "use_dpop_nonce",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::AuthorizationPending => "authorization_pending",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::ExpiredToken => "expired_token",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
        }
    }

    /// docs/architecture.md: invalid_client and invalid_token 401, insufficient_scope 403,
    /// server_error 500, temporarily_unavailable 503, the rest 400.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::InsufficientScope => 403,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A protocol error: its code, a short description the client may see, and a cause that is
/// logged, never sent (docs/architecture.md).
#[derive(Debug, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
    #[source]
    pub detail: Option<Cause>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            code,
            description: description.into(),
            detail: None,
        }
    }

    /// Adds a cause for the log.
    pub fn with_detail(mut self, detail: impl Into<Cause>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn invalid_request(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }
    pub fn invalid_grant(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }
    /// RFC 8707 §2: `invalid_target`.
    pub fn invalid_target(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidTarget, d)
    }

    pub fn invalid_scope(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, d)
    }
    pub fn unauthorized_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, d)
    }
    pub fn invalid_token(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidToken, d)
    }
    pub fn access_denied(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::AccessDenied, d)
    }
    /// An internal failure: the cause is logged, the client sees only `server_error`.
    pub fn server_error(cause: impl Into<Cause>) -> Self {
        Self::new(ErrorCode::ServerError, "internal error").with_detail(cause)
    }
    pub fn unavailable(cause: impl Into<Cause>) -> Self {
        Self::new(
            ErrorCode::TemporarilyUnavailable,
            "the service is temporarily unavailable",
        )
        .with_detail(cause)
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The JSON body of RFC 6749 §5.2.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.code.as_str(), "error_description": self.description })
    }
}

impl From<StorageError> for OAuthError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Unavailable(_) => OAuthError::unavailable(e),
            other => OAuthError::server_error(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_rfc6749_and_rfc6750() {
        assert_eq!(ErrorCode::InvalidClient.status(), 401);
        assert_eq!(ErrorCode::InvalidToken.status(), 401);
        assert_eq!(ErrorCode::InsufficientScope.status(), 403);
        assert_eq!(ErrorCode::InvalidGrant.status(), 400);
        assert_eq!(ErrorCode::TemporarilyUnavailable.status(), 503);
    }

    #[test]
    fn detail_is_never_in_the_json_body() {
        let e = OAuthError::invalid_grant("invalid code")
            .with_detail("code_verifier does not match code_challenge");
        let body = e.to_json().to_string();
        assert!(!body.contains("code_verifier"));
        assert!(body.contains("invalid_grant"));
    }
}
