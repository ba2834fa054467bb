//! Consent (OpenID Core §3.1.2.4, docs/security.md D.23): third-party clients need the user's
//! explicit, remembered and revocable consent for the scopes they ask; first-party clients skip it.

use crate::accounts::csrf::Holder;
use crate::context::Context;
use crate::interaction::{AuthResponse, Pending, SignedIn};
use crate::oauth::OAuthError;
use crate::oauth::authorization_request::AuthorizationRequest;
use crate::storage::{Consent, User};

/// docs/security.md E.32: the pending request a consent form answers, for the browser and login
/// session that submit it, and only if its consent page was shown to that very session (the same
/// user and `sid`). `None` for anything else: gone, another browser's, or prepared elsewhere.
pub async fn awaiting_consent(
    ctx: &Context,
    request_id: &str,
    binding: &str,
    signed_in: SignedIn<'_>,
) -> Result<Option<Pending>, OAuthError> {
    let holder = Holder {
        binding,
        login: Some(signed_in.session.login()),
    };
    let pending = Pending::load(ctx, request_id, holder).await?;
    Ok(pending.filter(|p| {
        p.consent_shown_to.as_ref().is_some_and(|shown| {
            shown.user_id == signed_in.user.id && shown.login == signed_in.session.login()
        })
    }))
}

/// Records the user's consent for the pending request's scopes (merged with earlier consent).
pub async fn grant_consent(ctx: &Context, pending: &mut Pending, user: &User) -> Result<(), OAuthError> {
    let client_id = &pending.request.client_id;
    let earlier = ctx.store.consent(&user.id, client_id).await?;
    let scope = match earlier {
        Some(c) => pending.request.scope.union(&c.scope),
        None => pending.request.scope.clone(),
    };
    ctx.store
        .save_consent(Consent {
            user_id: user.id.clone(),
            client_id: client_id.clone(),
            scope,
            granted_at: ctx.now(),
        })
        .await?;
    pending.consent_given = true;
    Ok(())
}

/// RFC 6749 §4.1.2.1: the request as an `access_denied` response when the user said no.
pub fn deny(ctx: &Context, request: &AuthorizationRequest) -> AuthResponse {
    AuthResponse::error(
        &ctx.issuer,
        request,
        OAuthError::access_denied("the user denied the request"),
    )
}
