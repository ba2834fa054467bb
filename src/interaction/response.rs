//! The authorization response (RFC 6749 §4.1.2, RFC 9207 `iss`): a code or an error, delivered
//! by redirect (query) or by form post (`http/pages.rs`).

use crate::oauth::OAuthError;
use crate::oauth::authorization_request::{AuthorizationRequest, RedirectError, ResponseMode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResponse {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub params: Vec<(String, String)>,
}

impl AuthResponse {
    /// RFC 6749 §4.1.2 + RFC 9207 §2: `code`, `state`, `iss`.
    pub fn code(issuer: &str, request: &AuthorizationRequest, code: &str) -> AuthResponse {
        let mut params = vec![("code".to_string(), code.to_string())];
        if let Some(s) = &request.state {
            params.push(("state".into(), s.clone()));
        }
        params.push(("iss".into(), issuer.to_string()));
        AuthResponse {
            redirect_uri: request.redirect_uri.as_str().to_string(),
            mode: request.response_mode,
            params,
        }
    }

    /// RFC 6749 §4.1.2.1: `error`, `error_description`, `state`, `iss`.
    pub fn error(issuer: &str, request: &AuthorizationRequest, error: OAuthError) -> AuthResponse {
        Self::from_redirect_error(
            issuer,
            RedirectError {
                error,
                redirect_uri: request.redirect_uri.as_str().to_string(),
                state: request.state.clone(),
                response_mode: request.response_mode,
            },
        )
    }

    pub fn from_redirect_error(issuer: &str, e: RedirectError) -> AuthResponse {
        tracing::debug!(error = %e.error, "authorization error returned to client");
        let mut params = vec![
            ("error".to_string(), e.error.code.as_str().to_string()),
            ("error_description".to_string(), e.error.description.to_string()),
        ];
        if let Some(s) = e.state {
            params.push(("state".into(), s));
        }
        params.push(("iss".into(), issuer.to_string()));
        AuthResponse {
            redirect_uri: e.redirect_uri,
            mode: e.response_mode,
            params,
        }
    }

    /// The redirect target for query mode.
    pub fn location(&self) -> String {
        let pairs: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        crate::oauth::redirect_uri::with_query(&self.redirect_uri, &pairs)
    }
}
