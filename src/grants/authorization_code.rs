//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5-4.6, OpenID Core §3.1.3).

use crate::context::Context;
use crate::digest::sha256_hex;
use crate::interaction::code::CodeRecord;
use crate::oauth::OAuthError;
use crate::oauth::authorization_request::RedirectUri;
use crate::oauth::params::ParamMap;
use crate::oauth::pkce;
use crate::storage::{Client, Consumed, Kind, User};
use crate::tokens::refresh::{self, NewFamily};
use crate::tokens::response::{self, Grant, TokenResponse};
use crate::tokens::{Subject, revocation};

fn invalid_code() -> OAuthError {
    OAuthError::invalid_grant("invalid authorization code")
}

/// RFC 6749 §4.1.3 + RFC 7636 §4.6: exchanges a single-use code for tokens. A second use is
/// `invalid_grant` and revokes everything the first use issued (docs/security.md B.8).
pub async fn exchange(
    ctx: &Context,
    client: &Client,
    params: &ParamMap,
) -> Result<TokenResponse, OAuthError> {
    let record = redeem(ctx, client, params.require("code")?).await?;
    check_redirect_uri(&record, params.get("redirect_uri"))?;
    check_pkce(&record, params.get("code_verifier"))?;
    let user = ctx
        .store
        .user_by_id(&record.user_id)
        .await?
        .filter(|u| u.accepts_grant(record.auth_time))
        .ok_or_else(|| invalid_code().with_detail("user no longer active"))?;
    let subject = Subject {
        user: Some(&user),
        auth_time: Some(record.auth_time),
        sid: Some(&record.sid),
        amr: &record.amr,
    };
    let refresh_token = if refresh::issued_to(client, &subject) {
        Some(refresh::start_family(ctx, client, new_family(&record, &user, params)).await?)
    } else {
        None
    };
    response::respond(
        ctx,
        Grant {
            client,
            subject,
            scope: &record.scope,
            jti: record.access_jti.clone(),
            nonce: record.nonce.as_deref(),
            refresh_token,
        },
    )
}

/// Consumes the code: the first use gets its record; a reuse revokes what the first use issued.
/// Expired codes and codes of another client are `invalid_grant`.
async fn redeem(ctx: &Context, client: &Client, code: &str) -> Result<CodeRecord, OAuthError> {
    let record = match ctx.ephemeral.consume(Kind::Code, &sha256_hex(code)).await? {
        Consumed::First(raw) => parse(&raw)?,
        Consumed::Again(raw) => {
            let record = parse(&raw)?;
            revoke_grant(ctx, &record).await?;
            tracing::warn!(client_id = %client.client_id, grant = %record.grant_id, "authorization code reused; grant revoked");
            return Err(invalid_code().with_detail("code reuse"));
        }
        Consumed::Missing => return Err(invalid_code()),
    };
    if record.expires_at <= ctx.now() {
        return Err(invalid_code().with_detail("code expired"));
    }
    if record.client_id != client.client_id {
        return Err(invalid_code().with_detail("code of another client"));
    }
    Ok(record)
}

fn new_family(record: &CodeRecord, user: &User, params: &ParamMap) -> NewFamily {
    NewFamily {
        id: record.grant_id.clone(),
        user_id: user.id.clone(),
        scope: record.scope.clone(),
        sid: Some(record.sid.clone()),
        auth_time: record.auth_time,
        device_name: params.device_name().or_else(|| record.device_name.clone()),
        user_agent: record.user_agent.clone(),
        ip: record.ip.clone(),
    }
}

fn parse(raw: &str) -> Result<CodeRecord, OAuthError> {
    serde_json::from_str(raw).map_err(OAuthError::server_error)
}

/// RFC 6749 §4.1.3: the redirect_uri must be identical when it was in the authorization request.
fn check_redirect_uri(record: &CodeRecord, sent: Option<&str>) -> Result<(), OAuthError> {
    match (sent, &record.redirect_uri) {
        (Some(uri), recorded) if uri == recorded.as_str() => Ok(()),
        (Some(_), _) => Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        )),
        (None, RedirectUri::Sent(_)) => Err(OAuthError::invalid_request("missing parameter: redirect_uri")),
        (None, RedirectUri::Registered(_)) => Ok(()),
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
async fn revoke_grant(ctx: &Context, record: &CodeRecord) -> Result<(), OAuthError> {
    let t = ctx.now();
    ctx.store.revoke_family(&record.grant_id, t).await?;
    let access_expiry = record.expires_at + ctx.tokens.access_token_ttl_secs as i64;
    revocation::revoke_jti(ctx, &record.access_jti, access_expiry.max(t + 1)).await
}
