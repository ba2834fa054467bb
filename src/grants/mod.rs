//! The token endpoint's grants, one file per `grant_type` value (docs/architecture.md): each
//! checks its own parameters and hands the result to `tokens::response`.

pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
pub mod password;
pub mod refresh_token;
pub mod token_exchange;

use crate::context::{Context, RequestMeta};
use crate::oauth::params::ParamMap;
use crate::oauth::{ErrorCode, OAuthError};
use crate::storage::{Client, GrantType};
use crate::tokens::TokenResponse;
use crate::tokens::dpop::Binding;

/// RFC 6749 §5.2 order of checks after client authentication: grant_type present, supported,
/// and allowed for this client; then the grant itself. `binding` says whether a DPoP proof came
/// with the request (RFC 9449 §5).
#[tracing::instrument(skip_all, fields(grant_type = params.get("grant_type"), client_id = %client.client_id))]
pub async fn dispatch(
    ctx: &Context,
    client: &Client,
    params: &ParamMap,
    binding: &Binding,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let raw = params.require("grant_type")?;
    let grant = GrantType::parse(raw)
        .filter(|g| *g != GrantType::DeviceCode || ctx.device.enabled)
        .ok_or_else(|| OAuthError::new(ErrorCode::UnsupportedGrantType, "unsupported grant_type"))?;
    if !client.allows_grant(grant) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use this grant_type",
        ));
    }
    match grant {
        GrantType::AuthorizationCode => {
            authorization_code::exchange(ctx, client, params, binding, meta).await
        }
        GrantType::RefreshToken => refresh_token::refresh(ctx, client, params, binding, meta).await,
        GrantType::Password => password::grant(ctx, client, params, binding, meta).await,
        GrantType::ClientCredentials => client_credentials::grant(ctx, client, params, binding).await,
        GrantType::TokenExchange => token_exchange::exchange(ctx, client, params, binding, meta).await,
        GrantType::DeviceCode => device_code::poll(ctx, client, params, binding, meta).await,
    }
}

/// What the token endpoint redeems from an earlier authorization (a code, an approved device
/// request): RFC 8707 §2.2, the audience and scope for the resources the request names among those
/// `granted` (all of them when it names none); and the user, if they may still have tokens from
/// the login at `auth_time` (not disabled, not signed out everywhere since), else `invalid` with
/// "user no longer active".
pub(crate) struct Redemption {
    pub audience: crate::tokens::audience::Audience,
    pub scope: crate::oauth::scope::Scope,
    pub user: crate::storage::User,
}

pub(crate) async fn redeem_authorization(
    ctx: &Context,
    params: &ParamMap,
    granted: (&[String], &crate::oauth::scope::Scope),
    login: (&str, i64),
    invalid: OAuthError,
) -> Result<Redemption, OAuthError> {
    let (resources, scope) = granted;
    let (user_id, auth_time) = login;
    let target = crate::apis::select(ctx, resources, &crate::oauth::resource::requested(params)?).await?;
    let audience = target.audience(ctx)?;
    let scope = target.narrow(scope);
    let user = ctx
        .store
        .user_by_id(user_id)
        .await?
        .filter(|u| u.accepts_grant(auth_time))
        .ok_or_else(|| invalid.with_detail("user no longer active"))?;
    Ok(Redemption {
        audience,
        scope,
        user,
    })
}
