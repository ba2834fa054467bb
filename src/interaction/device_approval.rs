//! The user's side of RFC 8628 (§3.3, §5.1, §5.4; docs/security.md L): at `/device` a signed-in user
//! types the user code; a right one parks a confirmation for this browser and login, whose page
//! names the client and warns about codes sent by someone else; the answer is recorded once.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::accounts::Audit;
use crate::accounts::csrf::Holder;
use crate::context::{Context, RequestMeta};
use crate::interaction::SignedIn;
use crate::interaction::device::{self, Decision, DeviceRequest};
use crate::interaction::pending::Parking;
use crate::oauth::OAuthError;
use crate::oauth::device::UserCode;
use crate::random::secret_256;
use crate::storage::{AuditKind, Client, Consent, Kind};

/// How long a confirmation page stays usable (never beyond its request's end).
const CONFIRM_TTL_SECS: i64 = 10 * 60;

/// A user code entered and found, waiting for the user's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Confirmation {
    /// The digest of the request's device code.
    digest: String,
}

fn parking(ttl_secs: i64) -> Parking {
    Parking {
        kind: Kind::Device,
        ttl: Duration::from_secs(u64::try_from(ttl_secs.max(1)).unwrap_or(1)),
    }
}

/// What a typed user code led to.
#[derive(Debug)]
pub enum Entered {
    /// Found: the confirmation page is parked under this id.
    Found { confirm_id: String },
    /// Malformed, unknown, expired or already answered (one answer for all, counted).
    Wrong,
    /// RFC 8628 §5.1: too many wrong codes from this address or this user; nothing was looked up.
    Locked,
}

/// RFC 8628 §3.3, §5.1: the user code typed by `signed_in` in the browser `holder`.
pub async fn enter(
    ctx: &Context,
    holder: Holder<'_>,
    signed_in: SignedIn<'_>,
    typed: &str,
    meta: &RequestMeta,
) -> Result<Entered, OAuthError> {
    let user_id = &signed_in.user.id;
    if device::user_code_locked(ctx, &meta.ip, user_id).await? {
        return Ok(Entered::Locked);
    }
    let found = match UserCode::parse(typed) {
        Some(code) => device::find(ctx, &code).await?,
        None => None,
    };
    let Some((digest, request)) = found else {
        device::user_code_failed(ctx, &meta.ip, user_id).await?;
        return Ok(Entered::Wrong);
    };
    let confirm_id = secret_256();
    let ttl = (request.expires_at - ctx.now()).min(CONFIRM_TTL_SECS);
    parking(ttl)
        .put(ctx, &confirm_id, holder, &Confirmation { digest })
        .await?;
    Ok(Entered::Found { confirm_id })
}

/// A confirmation page to show: the request, its client and its user code.
pub struct ToConfirm {
    pub request: DeviceRequest,
    pub client: Client,
    pub user_code: UserCode,
    digest: String,
}

/// The confirmation `confirm_id`, only for the browser and login it was parked for, while its
/// request waits for an answer.
pub async fn awaiting(
    ctx: &Context,
    confirm_id: &str,
    holder: Holder<'_>,
) -> Result<Option<ToConfirm>, OAuthError> {
    let parked: Option<Confirmation> = parking(0).get(ctx, confirm_id, holder).await?;
    resolve(ctx, parked).await
}

async fn resolve(ctx: &Context, parked: Option<Confirmation>) -> Result<Option<ToConfirm>, OAuthError> {
    let Some(Confirmation { digest }) = parked else {
        return Ok(None);
    };
    let Some(request) = device::load(ctx, &digest).await? else {
        return Ok(None);
    };
    let Some(user_code) = UserCode::parse(&request.user_code) else {
        return Ok(None);
    };
    if request.expires_at <= ctx.now() || device::find(ctx, &user_code).await?.is_none() {
        return Ok(None);
    }
    let Some(client) = ctx.store.client_by_id(&request.client_id).await? else {
        return Ok(None);
    };
    Ok(Some(ToConfirm {
        request,
        client,
        user_code,
        digest,
    }))
}

/// How the user's answer ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    Approved,
    Denied,
    /// The user may not use this client this way (recorded as a denial): the id of the reason
    /// for people (`locales/*/errors.ftl`).
    NotAllowed(&'static str),
    /// The confirmation or its request is gone, or another answer came first.
    Gone,
}

/// RFC 8628 §3.3: the user's answer to confirmation `confirm_id` (taken: one answer per page).
/// An approval must satisfy what the client asks of a login (its upstreams, a second factor, its
/// groups), else it is recorded as a denial. An approval of a third-party client is remembered as
/// consent, which the account page can withdraw.
pub async fn answer(
    ctx: &Context,
    confirm_id: &str,
    holder: Holder<'_>,
    signed_in: SignedIn<'_>,
    allow: bool,
    meta: &RequestMeta,
) -> Result<Answered, OAuthError> {
    let parked: Option<Confirmation> = parking(0).take(ctx, confirm_id, holder).await?;
    let Some(found) = resolve(ctx, parked).await? else {
        return Ok(Answered::Gone);
    };
    let refusal = if allow {
        refusal(ctx, &found.client, signed_in).await?
    } else {
        None
    };
    let decision = match (allow, refusal) {
        (true, None) => Decision::Approved(device::approval(signed_in)),
        _ => Decision::Denied,
    };
    if !device::decide(ctx, &found.digest, &found.request, &decision).await? {
        return Ok(Answered::Gone);
    }
    if let Some(reason) = refusal {
        return Ok(Answered::NotAllowed(reason));
    }
    if !allow {
        return Ok(Answered::Denied);
    }
    remember_consent(ctx, &found, signed_in).await?;
    Audit::new(AuditKind::ConsentGranted)
        .user(Some(&signed_in.user.id))
        .client(Some(&found.client.client_id))
        .ip(Some(&meta.ip))
        .detail(serde_json::json!({
            "scope": found.request.scope.to_string(),
            "grant": "device_code",
        }))
        .write(&ctx.store, ctx.now())
        .await;
    Ok(Answered::Approved)
}

/// docs/security.md L.5: why this login may not approve for `client`, if it may not: the id of
/// the message (`locales/*/errors.ftl`).
async fn refusal(
    ctx: &Context,
    client: &Client,
    signed_in: SignedIn<'_>,
) -> Result<Option<&'static str>, OAuthError> {
    if !crate::federation::accepts_login(client, signed_in.session) {
        return Ok(Some("error-device-needs-federation"));
    }
    if client.require_mfa && !crate::mfa::policy::satisfied(&signed_in.session.amr) {
        return Ok(Some("error-device-needs-mfa"));
    }
    if !crate::groups::admits(ctx, client, signed_in.user).await? {
        return Ok(Some("error-device-not-allowed"));
    }
    Ok(None)
}

async fn remember_consent(
    ctx: &Context,
    found: &ToConfirm,
    signed_in: SignedIn<'_>,
) -> Result<(), OAuthError> {
    if found.client.first_party {
        return Ok(());
    }
    let user_id = &signed_in.user.id;
    let client_id = &found.client.client_id;
    let scope = match ctx.store.consent(user_id, client_id).await? {
        Some(c) => found.request.scope.union(&c.scope),
        None => found.request.scope.clone(),
    };
    ctx.store
        .save_consent(Consent {
            user_id: user_id.clone(),
            client_id: client_id.clone(),
            scope,
            granted_at: ctx.now(),
        })
        .await?;
    Ok(())
}
