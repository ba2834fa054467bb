//! The authorization response (RFC 6749 §4.1.2, RFC 9207 `iss`): a code or an error, delivered
//! by redirect (query) or by form post.

use crate::oauth::OAuthError;
use crate::oauth::authorization::{AuthorizationRequest, RedirectError, ResponseMode};
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResponse {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub params: Vec<(String, String)>,
}

impl AuthResponse {
    /// Success: `code`, `state`, `iss` (RFC 9207 §2).
    pub fn code(state: &AppState, request: &AuthorizationRequest, code: &str) -> AuthResponse {
        let mut params = vec![("code".to_string(), code.to_string())];
        if let Some(s) = &request.state {
            params.push(("state".into(), s.clone()));
        }
        params.push(("iss".into(), state.issuer().to_string()));
        AuthResponse {
            redirect_uri: request.redirect_uri.clone(),
            mode: request.response_mode,
            params,
        }
    }

    /// RFC 6749 §4.1.2.1: `error`, `error_description`, `state`, `iss`.
    pub fn error(state: &AppState, request: &AuthorizationRequest, error: OAuthError) -> AuthResponse {
        Self::from_redirect_error(
            state,
            RedirectError {
                error,
                redirect_uri: request.redirect_uri.clone(),
                state: request.state.clone(),
                response_mode: request.response_mode,
            },
        )
    }

    pub fn from_redirect_error(state: &AppState, e: RedirectError) -> AuthResponse {
        tracing::debug!(error = %e.error, "authorization error returned to client");
        let mut params = vec![
            ("error".to_string(), e.error.code.as_str().to_string()),
            ("error_description".to_string(), e.error.description.to_string()),
        ];
        if let Some(s) = e.state {
            params.push(("state".into(), s));
        }
        params.push(("iss".into(), state.issuer().to_string()));
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
