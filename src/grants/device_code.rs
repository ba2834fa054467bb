//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4-3.5,
//! docs/guides/device.md, docs/security.md L): the device polls with its device code until the user
//! has answered at `/device`.

use crate::context::{Context, RequestMeta};
use crate::digest::sha256_hex;
use crate::interaction::device::{self, Approval, DeviceRequest, Redeemed};
use crate::oauth::params::ParamMap;
use crate::oauth::scope::OFFLINE_ACCESS;
use crate::oauth::{ErrorCode, OAuthError};
use crate::random::random_id;
use crate::storage::{Client, FamilyLifetime};
use crate::tokens::Subject;
use crate::tokens::dpop::Binding;
use crate::tokens::refresh::{self, NewFamily};
use crate::tokens::response::{self, Grant, TokenResponse};

fn invalid_code() -> OAuthError {
    OAuthError::invalid_grant("invalid device_code")
}

/// RFC 8628 §3.4-3.5: `authorization_pending` until the user answers, `slow_down` for a poll
/// sooner than the interval (which grows by 5 s), `access_denied` when the user said no,
/// `expired_token` once the code's lifetime is over; on approval the token response for the
/// approving user and login, once (a second redemption is `invalid_grant`). A device code is
/// good only for the client it was issued to.
pub async fn poll(
    ctx: &Context,
    client: &Client,
    params: &ParamMap,
    binding: &Binding,
    _meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let digest = sha256_hex(params.require("device_code")?);
    let request = device::load(ctx, &digest).await?.ok_or_else(invalid_code)?;
    if request.client_id != client.client_id {
        return Err(invalid_code().with_detail("device code of another client"));
    }
    if request.expires_at <= ctx.now() {
        return Err(OAuthError::new(
            ErrorCode::ExpiredToken,
            "the device code has expired",
        ));
    }
    let approval = match device::redeem(ctx, &digest).await? {
        Redeemed::Approved(a) => a,
        Redeemed::Denied => return Err(OAuthError::access_denied("the user denied the request")),
        Redeemed::Used => {
            tracing::warn!(client_id = %client.client_id, "device code redeemed twice");
            return Err(invalid_code().with_detail("device code already redeemed"));
        }
        Redeemed::Pending => return Err(device::pending_poll(ctx, &digest, &request).await?),
    };
    issue(ctx, client, &request, &approval, binding, params).await
}

/// The token response for the approving user, with their login's `sid`, `amr`, `auth_time` and
/// `idp`, as the code flow issues it (`grants/authorization_code.rs`).
async fn issue(
    ctx: &Context,
    client: &Client,
    request: &DeviceRequest,
    approval: &Approval,
    binding: &Binding,
    params: &ParamMap,
) -> Result<TokenResponse, OAuthError> {
    let super::Redemption {
        audience,
        scope,
        user,
    } = super::redeem_authorization(
        ctx,
        params,
        (&request.resources, &request.scope),
        (&approval.user_id, approval.auth_time),
        invalid_code(),
    )
    .await?;
    let subject = Subject {
        user: Some(&user),
        auth_time: Some(approval.auth_time),
        sid: Some(&approval.sid),
        amr: &approval.amr,
        idp: approval.idp.as_deref(),
    };
    let refresh_token = if refresh::issued_to(client, &subject) {
        // OpenID Core §11: without offline_access the family ends with the approving login.
        let lifetime = if request.scope.contains(OFFLINE_ACCESS) {
            FamilyLifetime::Offline
        } else {
            FamilyLifetime::Session
        };
        let new = NewFamily {
            id: random_id(),
            user_id: user.id.clone(),
            scope: request.scope.clone(),
            sid: Some(approval.sid.clone()),
            auth_time: approval.auth_time,
            device_name: params.device_name().or_else(|| request.device_name.clone()),
            user_agent: request.user_agent.clone(),
            ip: request.ip.clone(),
            lifetime,
            not_after: match lifetime {
                FamilyLifetime::Offline => None,
                FamilyLifetime::Session => Some(approval.session_expires_at),
            },
            dpop_jkt: binding.for_new_family(client),
            amr: approval.amr.clone(),
            idp: approval.idp.clone(),
            resources: request.resources.clone(),
        };
        Some(refresh::start_family(ctx, client, new).await?)
    } else {
        None
    };
    response::respond(
        ctx,
        Grant {
            client,
            subject,
            scope: &scope,
            jti: random_id(),
            nonce: None,
            refresh_token,
            binding,
            audience: &audience,
        },
    )
    .await
}
