//! Login sessions (docs/security.md D.21): a random 256-bit id in a cookie, stored server-side only
//! as its digest, with idle and absolute expiry, and a public `sid` for ID tokens and logout. The
//! token families bound to a session (no `offline_access`, OpenID Core §11) end with it: ending a
//! session revokes them in the database, and they never outlive its absolute lifetime.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::digest::sha256_hex;
use crate::random::{random_id, secret_256};
use crate::storage::{AuthMethod, Kind, StorageError, User};

/// How often a used session's idle lifetime is extended (at most).
const TOUCH_EVERY_SECS: i64 = 60;

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginSession {
    pub user_id: String,
    /// The public session id (OpenID Front-Channel Logout `sid`), unrelated to the cookie value.
    pub sid: String,
    /// When the user last authenticated (OpenID Core `auth_time`).
    pub auth_time: i64,
    /// The same instant in milliseconds, to order it against credential changes.
    #[serde(default)]
    pub auth_time_ms: i64,
    pub last_seen: i64,
    /// Absolute end of the session.
    pub expires_at: i64,
    /// Authentication methods (RFC 8176), e.g. `["pwd"]`.
    pub amr: Vec<AuthMethod>,
    /// This login: new at every login, where `sid` continues across logins of the same user in
    /// the same browser. Forms and parked requests are bound to it (docs/security.md E.32).
    #[serde(default)]
    pub login_id: String,
    /// The upstream OpenID provider (`[[upstream]]` id) the user signed in through, if any: the
    /// `idp` claim of ID tokens from this login (docs/guides/federation.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
}

impl LoginSession {
    /// The id of this login (see `login_id`; sessions made before it existed use their `sid`).
    pub fn login(&self) -> &str {
        if self.login_id.is_empty() {
            &self.sid
        } else {
            &self.login_id
        }
    }

    /// The session still counts for this user: not disabled, no password change or admin logout since login.
    pub fn is_valid_for(&self, user: &User) -> bool {
        user.accepts_session(self.auth_time_ms.max(self.auth_time.saturating_mul(1000)))
    }
}

/// Creates a session for `user_id` and returns (cookie value, session). A new id at every login
/// (session fixation, docs/security.md D.21).
pub async fn create(
    ctx: &Context,
    user_id: &str,
    amr: Vec<AuthMethod>,
) -> Result<(String, LoginSession), StorageError> {
    start(ctx, user_id, amr, random_id(), None).await
}

/// A login in a browser that may already be signed in (`old_cookie`): the cookie value is always
/// new (session fixation). When the old session is the same user's, the login continues it: the
/// public `sid` stays, so apps bound to it stay signed in. Otherwise the old session ends.
pub async fn renew(
    ctx: &Context,
    old_cookie: Option<&str>,
    user_id: &str,
    amr: Vec<AuthMethod>,
) -> Result<(String, LoginSession), StorageError> {
    renew_via(ctx, old_cookie, user_id, amr, None).await
}

/// [`renew`] for a login through the upstream OpenID provider `idp` (`None`: a local login).
pub async fn renew_via(
    ctx: &Context,
    old_cookie: Option<&str>,
    user_id: &str,
    amr: Vec<AuthMethod>,
    idp: Option<String>,
) -> Result<(String, LoginSession), StorageError> {
    let old = match old_cookie {
        Some(c) => load(ctx, c).await?.map(|s| (c, s)),
        None => None,
    };
    match old {
        Some((cookie, s)) if s.user_id == user_id => {
            ctx.ephemeral.delete(Kind::Session, &sha256_hex(cookie)).await?;
            start(ctx, user_id, amr, s.sid, idp).await
        }
        Some((cookie, _)) => {
            destroy(ctx, cookie).await?;
            start(ctx, user_id, amr, random_id(), idp).await
        }
        None => start(ctx, user_id, amr, random_id(), idp).await,
    }
}

async fn start(
    ctx: &Context,
    user_id: &str,
    amr: Vec<AuthMethod>,
    sid: String,
    idp: Option<String>,
) -> Result<(String, LoginSession), StorageError> {
    let t_ms = ctx.clock.now_ms();
    let t = t_ms.div_euclid(1000);
    let cookie = secret_256();
    let session = LoginSession {
        user_id: user_id.to_string(),
        sid,
        auth_time: t,
        auth_time_ms: t_ms,
        last_seen: t,
        expires_at: t + ctx.sessions.absolute_ttl_secs as i64,
        amr,
        login_id: random_id(),
        idp,
    };
    store(ctx, &cookie, &session).await?;
    Ok((cookie, session))
}

/// docs/guides/mfa.md: the same login (same cookie, `sid` and login id) with the methods `amr`,
/// after a second factor passed for it (step-up, or enrolment while signed in).
pub async fn add_methods(
    ctx: &Context,
    cookie: &str,
    mut session: LoginSession,
    amr: Vec<AuthMethod>,
) -> Result<LoginSession, StorageError> {
    session.amr = amr;
    store(ctx, cookie, &session).await?;
    Ok(session)
}

async fn store(ctx: &Context, cookie: &str, session: &LoginSession) -> Result<(), StorageError> {
    let remaining = (session.expires_at - session.last_seen).max(1) as u64;
    let ttl = Duration::from_secs(ctx.sessions.idle_ttl_secs.min(remaining));
    let value = serde_json::to_string(session).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    ctx.ephemeral
        .put(Kind::Session, &sha256_hex(cookie), &value, ttl)
        .await
}

/// Whether the session `session` is still live at the clock's now (not past its absolute end,
/// used within its idle lifetime).
fn live(ctx: &Context, session: &LoginSession) -> bool {
    let t = ctx.now();
    session.expires_at > t && t - session.last_seen < ctx.sessions.idle_ttl_secs as i64
}

fn parse(raw: &str) -> Option<LoginSession> {
    serde_json::from_str(raw).ok()
}

/// The session behind a cookie value, unless it ended (absolute or idle lifetime); a used session's
/// idle lifetime is extended (at most once a minute).
pub async fn load(ctx: &Context, cookie: &str) -> Result<Option<LoginSession>, StorageError> {
    let Some(raw) = ctx.ephemeral.get(Kind::Session, &sha256_hex(cookie)).await? else {
        return Ok(None);
    };
    let Some(mut session) = parse(&raw).filter(|s| live(ctx, s)) else {
        return Ok(None);
    };
    let t = ctx.now();
    if t - session.last_seen >= TOUCH_EVERY_SECS {
        session.last_seen = t;
        store(ctx, cookie, &session).await?;
    }
    Ok(Some(session))
}

/// Ends the session behind a cookie value, and the token families bound to it (OpenID Core §11:
/// those without `offline_access`); the clients that hold its tokens get a back-channel logout.
pub async fn destroy(ctx: &Context, cookie: &str) -> Result<(), StorageError> {
    let key = sha256_hex(cookie);
    let raw = ctx.ephemeral.get(Kind::Session, &key).await?;
    ctx.ephemeral.delete(Kind::Session, &key).await?;
    if let Some(session) = raw.as_deref().and_then(parse) {
        ctx.store.revoke_session_families(&session.sid, ctx.now()).await?;
        crate::backchannel::session_ended(&ctx.store, &session.user_id, &session.sid, ctx.now()).await?;
    }
    Ok(())
}
