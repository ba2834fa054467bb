//! What an authorization code stands for (RFC 6749 §4.1.2, SECURITY.md B.7): stored under the
//! code's digest, bound to client, redirect URI, PKCE challenge, nonce, scope and session.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::oauth::OAuthError;
use crate::oauth::authorization::AuthorizationRequest;
use crate::oauth::pkce::CodeChallenge;
use crate::state::AppState;
use crate::storage::Kind;
use crate::util::{now, random_id, secret_256, sha256_hex};

/// The stored grant behind a code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeRecord {
    pub client_id: String,
    pub redirect_uri: String,
    pub redirect_uri_sent: bool,
    pub user_id: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<CodeChallenge>,
    pub auth_time: i64,
    pub sid: String,
    pub amr: Vec<String>,
    /// The token family the exchange creates: revoked if the code is used twice (SECURITY.md B.8).
    pub grant_id: String,
    /// The `jti` of the access token the exchange issues, revoked on reuse.
    pub access_jti: String,
    pub expires_at: i64,
    pub device_name: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// The browser facts recorded with a code.
#[derive(Debug, Clone, Default)]
pub struct Browser {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// Issues a code for an approved request. The record outlives the code by the access-token
/// lifetime so that a replay can still be traced to the tokens it must revoke.
pub async fn issue(
    state: &AppState,
    request: &AuthorizationRequest,
    user_id: &str,
    session: &crate::accounts::session::LoginSession,
    browser: Browser,
) -> Result<String, OAuthError> {
    let code = secret_256();
    let t = now();
    let tokens = &state.settings.tokens;
    let record = CodeRecord {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        redirect_uri_sent: request.redirect_uri_sent,
        user_id: user_id.to_string(),
        scope: request.scope.to_string(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: session.auth_time,
        sid: session.sid.clone(),
        amr: session.amr.clone(),
        grant_id: random_id(),
        access_jti: random_id(),
        expires_at: t + tokens.code_ttl_secs as i64,
        device_name: request.device_name.clone(),
        user_agent: browser.user_agent,
        ip: browser.ip,
    };
    let value = serde_json::to_string(&record).map_err(OAuthError::server_error)?;
    let ttl = Duration::from_secs(tokens.code_ttl_secs + tokens.access_token_ttl_secs);
    state
        .ephemeral
        .put(Kind::Code, &sha256_hex(&code), &value, ttl)
        .await?;
    Ok(code)
}
