//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5-4.6, OpenID Core §3.1.3).

use crate::grants::code::CodeRecord;
use crate::grants::issue::{self, NewFamily, Subject};
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::oauth::pkce;
use crate::oauth::scope::Scope;
use crate::oauth::tokens::TokenResponse;
use crate::state::AppState;
use crate::storage::{Client, Consumed, Kind};
use crate::util::{now, sha256_hex};

/// RFC 6749 §4.1.3 + RFC 7636 §4.6: exchanges a single-use code for tokens. A second use is
/// `invalid_grant` and revokes everything the first use issued (SECURITY.md B.8).
pub async fn exchange(
    state: &AppState,
    client: &Client,
    params: &ParamMap,
) -> Result<TokenResponse, OAuthError> {
    let code = params.require("code")?;
    let record = match state.ephemeral.consume(Kind::Code, &sha256_hex(code)).await? {
        Consumed::First(raw) => parse(&raw)?,
        Consumed::Again(raw) => {
            let record = parse(&raw)?;
            revoke_grant(state, &record).await?;
            tracing::warn!(client_id = %client.client_id, grant = %record.grant_id, "authorization code reused; grant revoked");
            return Err(OAuthError::invalid_grant("invalid authorization code").with_detail("code reuse"));
        }
        Consumed::Missing => return Err(OAuthError::invalid_grant("invalid authorization code")),
    };
    let t = now();
    if record.expires_at <= t {
        return Err(OAuthError::invalid_grant("invalid authorization code").with_detail("code expired"));
    }
    if record.client_id != client.client_id {
        return Err(
            OAuthError::invalid_grant("invalid authorization code").with_detail("code of another client")
        );
    }
    check_redirect_uri(&record, params.get("redirect_uri"))?;
    check_pkce(&record, params.get("code_verifier"))?;

    let user = state
        .store
        .user_by_id(&record.user_id)
        .await?
        .filter(|u| u.accepts_grant(record.auth_time))
        .ok_or_else(|| {
            OAuthError::invalid_grant("invalid authorization code").with_detail("user no longer active")
        })?;
    let scope = Scope::from_tokens(record.scope.split(' '));
    let subject = Subject {
        user: Some(&user),
        auth_time: Some(record.auth_time),
        sid: Some(&record.sid),
        amr: &record.amr,
    };
    let refresh = if issue::gets_refresh_token(client, &subject) {
        let new = NewFamily {
            id: record.grant_id.clone(),
            user_id: user.id.clone(),
            scope: record.scope.clone(),
            sid: Some(record.sid.clone()),
            auth_time: record.auth_time,
            device_name: params.device_name().or_else(|| record.device_name.clone()),
            user_agent: record.user_agent.clone(),
            ip: record.ip.clone(),
        };
        Some(issue::start_family(state, client, new).await?)
    } else {
        None
    };
    issue::response(
        state,
        client,
        &subject,
        &scope,
        record.access_jti.clone(),
        record.nonce.as_deref(),
        refresh,
    )
}

fn parse(raw: &str) -> Result<CodeRecord, OAuthError> {
    serde_json::from_str(raw).map_err(OAuthError::server_error)
}

/// RFC 6749 §4.1.3: the redirect_uri must be identical when it was in the authorization request.
fn check_redirect_uri(record: &CodeRecord, sent: Option<&str>) -> Result<(), OAuthError> {
    match sent {
        Some(uri) if uri == record.redirect_uri => Ok(()),
        Some(_) => Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        )),
        None if record.redirect_uri_sent => {
            Err(OAuthError::invalid_request("missing parameter: redirect_uri"))
        }
        None => Ok(()),
    }
}

/// RFC 7636 §4.6 and RFC 9700 §2.1.1: a verifier must match the challenge; a verifier for a code
/// issued without a challenge is a downgrade attempt and refused.
fn check_pkce(record: &CodeRecord, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (&record.code_challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier sent for a code issued without PKCE",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant("missing code_verifier")),
        (Some(challenge), Some(v)) => {
            pkce::validate_verifier(v)?;
            if pkce::verify(challenge, v) {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant("PKCE verification failed")
                    .with_detail("code_verifier does not match code_challenge"))
            }
        }
    }
}

/// Revokes the family and the access token a code's first use created.
async fn revoke_grant(state: &AppState, record: &CodeRecord) -> Result<(), OAuthError> {
    let t = now();
    state.store.revoke_family(&record.grant_id, t).await?;
    let access_expiry = record.expires_at + state.settings.tokens.access_token_ttl_secs as i64;
    issue::revoke_jti(state, &record.access_jti, access_expiry.max(t + 1)).await
}
