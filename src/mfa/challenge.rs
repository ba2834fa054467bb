//! The half-done login (docs/security.md G.3): after the password of a user with a second factor,
//! or for a step-up, what has passed so far waits in the short-lived store, bound to the browser
//! (and its login, if any) like a parked authorization request. It is not a session: only
//! [`complete`], after the second factor, makes one (or adds the factor to the current one).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::accounts::Audit;
use crate::accounts::csrf::Holder;
use crate::accounts::session::{self, LoginSession};
use crate::context::{Context, RequestMeta};
use crate::interaction::Pending;
use crate::interaction::pending::Parking;
use crate::mfa::policy;
use crate::oauth::OAuthError;
use crate::random::secret_256;
use crate::storage::{AuditKind, AuthMethod, Kind};

/// How long the second-factor page stays usable.
pub const TTL: Duration = Duration::from_secs(10 * 60);

const PARKING: Parking = Parking {
    kind: Kind::Mfa,
    ttl: TTL,
};

/// A login waiting for its second factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub user_id: String,
    /// The methods that passed so far (`pwd`, or the current session's for a step-up).
    pub amr: Vec<AuthMethod>,
    /// The pending authorization request, if the login is for one.
    pub request_id: Option<String>,
    /// The client of that request (for the audit trail).
    pub client_id: Option<String>,
    /// A signed-in browser adds a factor to its current login instead of starting a new one.
    pub step_up: bool,
}

/// Parks `challenge` for `holder`; returns its id (for the second-factor page's URL).
pub async fn start(ctx: &Context, holder: Holder<'_>, challenge: &Challenge) -> Result<String, OAuthError> {
    let id = secret_256();
    PARKING.put(ctx, &id, holder, challenge).await?;
    Ok(id)
}

/// The challenge `id`, only for the browser (and login) that started it.
pub async fn load(ctx: &Context, id: &str, holder: Holder<'_>) -> Result<Option<Challenge>, OAuthError> {
    PARKING.get(ctx, id, holder).await
}

/// Like [`load`], and the challenge is gone (a second factor completes it once).
pub async fn take(ctx: &Context, id: &str, holder: Holder<'_>) -> Result<Option<Challenge>, OAuthError> {
    PARKING.take(ctx, id, holder).await
}

/// Where the browser goes after a completed login.
pub fn next_url(request_id: Option<&str>) -> String {
    match request_id {
        Some(id) => format!("/login/continue?request_id={id}"),
        None => "/account".to_string(),
    }
}

/// The result of a passed second factor.
pub struct Completed {
    /// A new session cookie value to set (none for a step-up, which keeps the session).
    pub cookie: Option<String>,
    pub session: LoginSession,
    /// Where the browser goes next: the pending request (`/login/continue`) or the account page.
    pub next: String,
}

/// The browser as it was when the factor passed: its holder, session cookie and session.
#[derive(Clone, Copy)]
pub struct Before<'a> {
    pub holder: Holder<'a>,
    pub cookie: Option<&'a str>,
    pub session: Option<&'a LoginSession>,
}

/// docs/security.md G.3: `method` passed for `challenge`. A new login gets a new session (a new id,
/// session fixation, D.21) with the methods so far plus `method`, and the pending request moves to
/// it as a login made for that request; a step-up adds `method` to the current login.
pub async fn complete(
    ctx: &Context,
    before: Before<'_>,
    challenge: &Challenge,
    method: AuthMethod,
    meta: &RequestMeta,
) -> Result<Completed, OAuthError> {
    let amr = policy::with_method(&challenge.amr, method);
    let next = next_url(challenge.request_id.as_deref());
    let audit = Audit::new(AuditKind::LoginSuccess)
        .user(Some(&challenge.user_id))
        .client(challenge.client_id.as_deref())
        .ip(Some(&meta.ip))
        .detail(json!({ "method": method, "amr": amr }));
    if challenge.step_up {
        let (Some(cookie), Some(current)) = (before.cookie, before.session) else {
            return Err(OAuthError::invalid_request("the sign-in expired"));
        };
        if current.user_id != challenge.user_id {
            return Err(OAuthError::invalid_request("the sign-in expired"));
        }
        let session = session::add_methods(ctx, cookie, current.clone(), amr).await?;
        audit.write(&ctx.store, ctx.now()).await;
        return Ok(Completed {
            cookie: None,
            session,
            next,
        });
    }
    let (cookie, login) = session::renew(ctx, before.cookie, &challenge.user_id, amr).await?;
    // RFC 8628 §3.3: a sign-in that started at `/device` goes back there.
    let next = match &challenge.request_id {
        Some(_) => next,
        None => crate::interaction::device::take_return(ctx, before.holder.binding)
            .await?
            .unwrap_or(next),
    };
    let pending = match &challenge.request_id {
        Some(request_id) => Pending::load(ctx, request_id, before.holder).await?,
        None => None,
    };
    if let Some(mut pending) = pending {
        pending.login_for_request = Some(login.login().to_string());
        pending.park_in(Some(login.login()));
        pending.save(ctx).await?;
    }
    audit.write(&ctx.store, ctx.now()).await;
    Ok(Completed {
        cookie: Some(cookie),
        session: login,
        next,
    })
}
