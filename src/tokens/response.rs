//! The token response (RFC 6749 §5.1, OpenID Core §3.1.3.3), shared by every grant: an access
//! token, then for OpenID requests the ID token bound to it by `at_hash`.

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::oauth::OAuthError;
use crate::oauth::scope::{OPENID, Scope};
use crate::oidc::id_token::{self, IdTokenInput};
use crate::storage::Client;
use crate::tokens::audience::Audience;
use crate::tokens::dpop::Binding;
use crate::tokens::{Subject, access};

/// The JSON body of a successful token response (RFC 6749 §5.1, OpenID Core §3.1.3.3).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Scope::is_empty")]
    pub scope: Scope,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// RFC 8693 §2.2.1: the type of the token issued by a token exchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
}

/// What one token response is made of.
pub struct Grant<'a> {
    pub client: &'a Client,
    pub subject: Subject<'a>,
    pub scope: &'a Scope,
    /// The access token's `jti` (chosen ahead when a code reuse must be able to revoke it).
    pub jti: String,
    /// OpenID Core §3.1.3.6: the authorization request's `nonce`, echoed in the ID token.
    pub nonce: Option<&'a str>,
    /// The refresh token, when the grant issues one.
    pub refresh_token: Option<String>,
    /// Bearer, or bound to the key of the request's DPoP proof (RFC 9449 §5).
    pub binding: &'a Binding,
    /// Who the access token is for (RFC 8707: the API(s), or the configured audience).
    pub audience: &'a Audience,
}

/// RFC 6749 §5.1 + OpenID Core §3.1.3.3: mints the access token and, for OpenID requests of a
/// user, the ID token with `at_hash`. RFC 9449 §5.1: a DPoP-bound access token has `token_type`
/// `DPoP`. A user outside the groups the client requires gets `invalid_grant`; with the `groups`
/// scope both tokens carry the `groups` claim; a client with a back-channel logout URI is recorded
/// as holding tokens of the login session (docs/clients.md).
pub async fn respond(ctx: &Context, grant: Grant<'_>) -> Result<TokenResponse, OAuthError> {
    let Grant {
        client,
        subject,
        scope,
        jti,
        nonce,
        refresh_token,
        binding,
        audience,
    } = grant;
    let groups = match subject.user {
        Some(user) => {
            if !crate::groups::admits(ctx, client, user).await? {
                let e = crate::groups::denied(ctx, client, user, None).await;
                return Err(OAuthError::invalid_grant(e.description));
            }
            crate::backchannel::record(ctx, client, user, subject.sid).await?;
            crate::groups::claim(ctx, client, user, scope).await?
        }
        None => None,
    };
    let groups = groups.as_deref();
    let minted = access::Mint {
        client,
        subject: &subject,
        scope,
        jti,
        binding,
        groups,
        audience,
        act: None,
    };
    let (access_token, expires_in) = access::mint(ctx, minted)?;
    let id_token = match subject.user {
        Some(user) if scope.contains(OPENID) => Some(id_token::sign(
            ctx,
            &IdTokenInput {
                client,
                user,
                nonce,
                auth_time: subject.auth_time,
                sid: subject.sid,
                amr: subject.amr,
                idp: subject.idp,
                access_token: Some(&access_token),
                groups,
            },
        )?),
        _ => None,
    };
    Ok(TokenResponse {
        access_token,
        token_type: binding.token_type(),
        expires_in,
        scope: scope.clone(),
        refresh_token,
        id_token,
        issued_token_type: None,
    })
}
