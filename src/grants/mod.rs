//! The token endpoint's grants, one file per `grant_type` value (STYLE.md §1), and the shared
//! issuing of tokens.

pub mod authorization_code;
pub mod client_credentials;
pub mod code;
pub mod issue;
pub mod password;
pub mod refresh_token;

use crate::oauth::params::ParamMap;
use crate::oauth::tokens::TokenResponse;
use crate::oauth::{ErrorCode, OAuthError};
use crate::state::AppState;
use crate::storage::{Client, GrantType};

/// Facts about the HTTP request a grant may record (never used for decisions beyond rate limits).
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: String,
    pub user_agent: Option<String>,
}

/// RFC 6749 §5.2 order of checks after client authentication: grant_type present, supported,
/// and allowed for this client; then the grant itself.
#[tracing::instrument(skip_all, fields(grant_type = params.get("grant_type"), client_id = %client.client_id))]
pub async fn dispatch(
    state: &AppState,
    client: &Client,
    params: &ParamMap,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let raw = params.require("grant_type")?;
    let grant = GrantType::parse(raw)
        .ok_or_else(|| OAuthError::new(ErrorCode::UnsupportedGrantType, "unsupported grant_type"))?;
    if !client.allows_grant(grant) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use this grant_type",
        ));
    }
    match grant {
        GrantType::AuthorizationCode => authorization_code::exchange(state, client, params).await,
        GrantType::RefreshToken => refresh_token::refresh(state, client, params, meta).await,
        GrantType::Password => password::grant(state, client, params, meta).await,
        GrantType::ClientCredentials => client_credentials::grant(state, client, params).await,
    }
}
