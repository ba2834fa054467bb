//! OpenID RP-Initiated Logout 1.0 §2-3 (docs/security.md D.22): a verified `id_token_hint`, a
//! `post_logout_redirect_uri` only if registered for the client, `state` echoed. A logout that the
//! user must confirm is parked for the browser like an authorization request.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::accounts::csrf::Holder;
use crate::context::Context;
use crate::interaction::pending::Parking;
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::oidc::id_token;
use crate::random::secret_256;
use crate::storage::Kind;

/// How long the confirmation page may wait for the user.
const CONFIRM_TTL: Duration = Duration::from_secs(600);

const PARKING: Parking = Parking {
    kind: Kind::LogoutRequest,
    ttl: CONFIRM_TTL,
};

/// A validated logout request, as kept while the user confirms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutRequest {
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    /// A registered post-logout redirect URI, or None (no redirect at all).
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    /// `sub` of a verified id_token_hint.
    pub hint_sub: Option<String>,
}

/// Validates the request. Any error is shown on the error page: there is never a redirect to an
/// unverified URI.
pub async fn validate(ctx: &Context, params: &ParamMap) -> Result<LogoutRequest, OAuthError> {
    let hint = match params.get("id_token_hint") {
        Some(h) => Some(id_token::verify_hint(ctx, h).await?),
        None => None,
    };
    let hint_client = hint.as_ref().and_then(|h| h.client_id.clone());
    let client_id = match (params.get("client_id"), hint_client) {
        (Some(a), Some(b)) if a != b => {
            return Err(OAuthError::invalid_request(
                "client_id does not match the id_token_hint",
            ));
        }
        (Some(a), _) => Some(a.to_string()),
        (None, b) => b,
    };
    let client = match &client_id {
        Some(id) => Some(
            ctx.store
                .client_by_id(id)
                .await?
                .ok_or_else(|| OAuthError::invalid_request("unknown client_id"))?,
        ),
        None => None,
    };
    let redirect_uri = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client = client.as_ref().ok_or_else(|| {
                OAuthError::invalid_request("post_logout_redirect_uri needs id_token_hint or client_id")
            })?;
            if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
                return Err(OAuthError::invalid_request(
                    "post_logout_redirect_uri is not registered",
                ));
            }
            Some(uri.to_string())
        }
    };
    Ok(LogoutRequest {
        client_name: client.as_ref().map(|c| c.name.clone()),
        client_id,
        redirect_uri,
        state: params.get("state").map(str::to_string),
        hint_sub: hint.map(|h| h.sub),
    })
}

/// Parks `request` for `holder` (the browser and its login session) until the user confirms;
/// returns its id.
pub async fn park(ctx: &Context, request: &LogoutRequest, holder: Holder<'_>) -> Result<String, OAuthError> {
    let id = secret_256();
    PARKING.put(ctx, &id, holder, request).await?;
    Ok(id)
}

/// The parked request `id`, once, only for the browser that parked it and never in another login
/// session (docs/security.md E.32).
pub async fn unpark(
    ctx: &Context,
    id: &str,
    holder: Holder<'_>,
) -> Result<Option<LogoutRequest>, OAuthError> {
    PARKING.take(ctx, id, holder).await
}

/// Where to send the browser once logged out: the registered URI with `state`, or nowhere.
pub fn after_logout_redirect(request: &LogoutRequest) -> Option<String> {
    let uri = request.redirect_uri.as_ref()?;
    Some(match &request.state {
        Some(s) => crate::oauth::redirect_uri::with_query(uri, &[("state", s)]),
        None => uri.clone(),
    })
}
