//! Issuing the authorization code (RFC 6749 §4.1.2, docs/security.md B.7): a 256-bit random value
//! whose digest keys a record bound to client, redirect URI, PKCE challenge, nonce, scope and the
//! login session. The token endpoint consumes it in `grants/authorization_code.rs`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::context::{Context, RequestMeta};
use crate::digest::sha256_hex;
use crate::interaction::SignedIn;
use crate::oauth::OAuthError;
use crate::oauth::authorization_request::{AuthorizationRequest, RedirectUri};
use crate::oauth::pkce::CodeChallenge;
use crate::oauth::scope::Scope;
use crate::random::{random_id, secret_256};
use crate::storage::{AuthMethod, Kind};

/// The stored grant behind a code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeRecord {
    pub client_id: String,
    /// The redirect URI, and whether the request named it (then the token request must repeat it).
    #[serde(flatten)]
    pub redirect_uri: RedirectUri,
    pub user_id: String,
    pub scope: Scope,
    pub nonce: Option<String>,
    pub code_challenge: Option<CodeChallenge>,
    pub auth_time: i64,
    pub sid: String,
    pub amr: Vec<AuthMethod>,
    /// The token family the exchange creates: revoked if the code is used twice (docs/security.md B.8).
    pub grant_id: String,
    /// The `jti` of the access token the exchange issues, revoked on reuse.
    pub access_jti: String,
    pub expires_at: i64,
    pub device_name: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// The absolute end of the login session the code was issued in (OpenID Core §11: a family
    /// without offline access never outlives it).
    #[serde(default)]
    pub session_expires_at: Option<i64>,
    /// The upstream OpenID provider of the login, for the ID token's `idp` claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    /// RFC 8707 §2: the APIs the grant is for (empty: the configured audience); the token request
    /// may name any of them.
    #[serde(default)]
    pub resources: Vec<String>,
    /// The longest lifetime an access token of this grant may have (its APIs'), which a
    /// revocation after a reuse must outlast (docs/security.md B.8). `None`: the configured one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_ttl_secs: Option<i64>,
}

/// RFC 6749 §4.1.2: issues a code for an approved request. The record outlives the code by the
/// access-token lifetime so that a replay can still be traced to the tokens it must revoke.
pub async fn issue(
    ctx: &Context,
    request: &AuthorizationRequest,
    signed_in: &SignedIn<'_>,
    meta: &RequestMeta,
) -> Result<String, OAuthError> {
    let code = secret_256();
    let tokens = &ctx.tokens;
    let access_ttl = crate::apis::load(ctx, &request.resources).await?.longest_ttl(ctx);
    let record = CodeRecord {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        user_id: signed_in.user.id.clone(),
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: signed_in.session.auth_time,
        sid: signed_in.session.sid.clone(),
        amr: signed_in.session.amr.clone(),
        grant_id: random_id(),
        access_jti: random_id(),
        expires_at: ctx.now() + tokens.code_ttl_secs as i64,
        device_name: request.device_name.clone(),
        user_agent: meta.user_agent.clone(),
        ip: Some(meta.ip.clone()),
        session_expires_at: Some(signed_in.session.expires_at),
        idp: signed_in.session.idp.clone(),
        resources: request.resources.clone(),
        access_ttl_secs: Some(access_ttl),
    };
    let value = serde_json::to_string(&record).map_err(OAuthError::server_error)?;
    let ttl = Duration::from_secs(tokens.code_ttl_secs + access_ttl.max(0) as u64);
    ctx.ephemeral
        .put(Kind::Code, &sha256_hex(&code), &value, ttl)
        .await?;
    Ok(code)
}
