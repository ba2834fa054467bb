//! RFC 8628 device authorization (docs/guides/device.md, docs/security.md L): the device asks for
//! a pair of codes (§3.1-3.2), the user enters the user code at `/device` while signed in and
//! approves or denies (§3.3), and the device polls the token endpoint (`grants/device_code.rs`).
//!
//! Everything lives in the short-lived store under [`Kind::Device`]: the request under the digest
//! of its device code (`dc:`), the user code pointing to it (`uc:`), the user's decision (`ok:`,
//! consumed once), the device's polling pace (`poll:`). The user code is taken when the user
//! decides, so of two people entering the same code only one decides.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::accounts::ratelimit::address_key;
use crate::context::{Context, RequestMeta};
use crate::digest::sha256_hex;
use crate::interaction::SignedIn;
use crate::oauth::device::UserCode;
use crate::oauth::params::ParamMap;
use crate::oauth::scope::Scope;
use crate::oauth::{ErrorCode, OAuthError};
use crate::random::secret_256;
use crate::storage::{AuthMethod, Client, Consumed, Kind};

/// RFC 8628 §3.5: how much `slow_down` adds to the interval.
pub const SLOW_DOWN_SECS: i64 = 5;

/// A device authorization request as stored, under the digest of its device code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceRequest {
    pub client_id: String,
    pub scope: Scope,
    /// RFC 8707: the APIs the tokens will be for (the `resource`s asked for, else the client's
    /// default API); empty: the configured audience.
    #[serde(default)]
    pub resources: Vec<String>,
    /// The user code, normalized (taken from the store when the user decides).
    pub user_code: String,
    pub expires_at: i64,
    /// The interval handed out in the response.
    pub interval: i64,
    /// The device's address and User-Agent, for the token family (the account page's "devices").
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub device_name: Option<String>,
}

/// The approving user's login: what the tokens say about the user (as in the code flow).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Approval {
    pub user_id: String,
    pub auth_time: i64,
    pub sid: String,
    pub amr: Vec<AuthMethod>,
    #[serde(default)]
    pub idp: Option<String>,
    /// The absolute end of that login session (a family without offline access never outlives it).
    pub session_expires_at: i64,
}

/// The user's answer to a device authorization request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Approved(Approval),
    Denied,
}

/// RFC 8628 §3.2: the device authorization response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

fn request_key(digest: &str) -> String {
    format!("dc:{digest}")
}

fn user_code_key(code: &str) -> String {
    format!("uc:{}", sha256_hex(code))
}

fn decision_key(digest: &str) -> String {
    format!("ok:{digest}")
}

fn pace_key(digest: &str) -> String {
    format!("poll:{digest}")
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(u64::try_from(n.max(1)).unwrap_or(1))
}

/// RFC 8628 §3.1-3.2 + RFC 6749 §3.3: a new device authorization for `client` (already
/// authenticated and allowed the grant): the scope asked for (the client's scopes when absent)
/// must be within the client's, and within what the target APIs define (RFC 8707 `resource`, as
/// at `/authorize`, docs/security.md J.1); a 256-bit device code and an unused user code.
pub async fn start(
    ctx: &Context,
    client: &Client,
    params: &ParamMap,
    meta: &RequestMeta,
) -> Result<DeviceAuthorization, OAuthError> {
    let target = crate::apis::for_request(ctx, client, &crate::oauth::resource::requested(params)?).await?;
    let too_wide = "a requested scope is not allowed for this client";
    let scope = target.scope_for(params.get("scope"), &client.scopes, too_wide)?;
    if scope.is_empty() {
        return Err(OAuthError::invalid_scope(too_wide));
    }
    let lifetime = ctx.device.code_ttl_secs as i64;
    let device_code = secret_256();
    let digest = sha256_hex(&device_code);
    let user_code = unused_user_code(ctx).await?;
    let request = DeviceRequest {
        client_id: client.client_id.clone(),
        scope,
        resources: target.identifiers(),
        user_code: user_code.as_str().to_string(),
        expires_at: ctx.now() + lifetime,
        interval: ctx.device.interval_secs as i64,
        ip: Some(meta.ip.clone()),
        user_agent: meta.user_agent.clone(),
        device_name: params.device_name(),
    };
    let value = serde_json::to_string(&request).map_err(OAuthError::server_error)?;
    // Kept twice its lifetime so that a late poll is told `expired_token`, not `invalid_grant`.
    let eph = &ctx.ephemeral;
    eph.put(Kind::Device, &request_key(&digest), &value, secs(2 * lifetime))
        .await?;
    eph.put(
        Kind::Device,
        &user_code_key(user_code.as_str()),
        &digest,
        secs(lifetime),
    )
    .await?;
    let verification_uri = format!("{}/device", ctx.issuer);
    Ok(DeviceAuthorization {
        device_code,
        verification_uri_complete: format!("{verification_uri}?user_code={}", user_code.display()),
        user_code: user_code.display(),
        verification_uri,
        expires_in: lifetime,
        interval: request.interval,
    })
}

/// A user code no live request has (20^8 codes: a clash is rare; a few draws settle it).
async fn unused_user_code(ctx: &Context) -> Result<UserCode, OAuthError> {
    for _ in 0..5 {
        let code = UserCode::generate();
        let key = user_code_key(code.as_str());
        if ctx.ephemeral.get(Kind::Device, &key).await?.is_none() {
            return Ok(code);
        }
    }
    Err(OAuthError::new(
        ErrorCode::TemporarilyUnavailable,
        "no user code is free; try again",
    ))
}

/// The request stored under the digest of a device code, if it is still kept.
pub async fn load(ctx: &Context, digest: &str) -> Result<Option<DeviceRequest>, OAuthError> {
    let raw = ctx.ephemeral.get(Kind::Device, &request_key(digest)).await?;
    raw.map(|r| serde_json::from_str(&r).map_err(OAuthError::server_error))
        .transpose()
}

/// A live request waiting for its user, found by the user code typed at `/device`: the digest of
/// its device code and the request. `None` for an unknown, expired or already answered code.
pub async fn find(ctx: &Context, code: &UserCode) -> Result<Option<(String, DeviceRequest)>, OAuthError> {
    let key = user_code_key(code.as_str());
    let Some(digest) = ctx.ephemeral.get(Kind::Device, &key).await? else {
        return Ok(None);
    };
    let request = load(ctx, &digest).await?;
    let now = ctx.now();
    Ok(request
        .filter(|r| r.expires_at > now && r.user_code == code.as_str())
        .map(|r| (digest, r)))
}

/// RFC 8628 §3.3: records the user's decision for the request with device-code digest `digest`.
/// The user code is taken first, atomically across nodes: false when another decision took it
/// (or the request ended), and nothing is recorded.
pub async fn decide(
    ctx: &Context,
    digest: &str,
    request: &DeviceRequest,
    decision: &Decision,
) -> Result<bool, OAuthError> {
    let eph = &ctx.ephemeral;
    let taken = eph.take(Kind::Device, &user_code_key(&request.user_code)).await?;
    if taken.as_deref() != Some(digest) || request.expires_at <= ctx.now() {
        return Ok(false);
    }
    let value = serde_json::to_string(decision).map_err(OAuthError::server_error)?;
    let left = request.expires_at - ctx.now();
    eph.put(Kind::Device, &decision_key(digest), &value, secs(left + 1))
        .await?;
    Ok(true)
}

/// The approval of `signed_in`'s login.
pub fn approval(signed_in: SignedIn<'_>) -> Approval {
    let s = signed_in.session;
    Approval {
        user_id: signed_in.user.id.clone(),
        auth_time: s.auth_time,
        sid: s.sid.clone(),
        amr: s.amr.clone(),
        idp: s.idp.clone(),
        session_expires_at: s.expires_at,
    }
}

/// Where the device's request stands when it polls.
#[derive(Debug)]
pub enum Redeemed {
    /// Approved, and this poll is the first to redeem it.
    Approved(Approval),
    Denied,
    /// Approved and redeemed before (RFC 8628 §3.5: the device code is single use).
    Used,
    /// No decision yet.
    Pending,
}

/// RFC 8628 §3.5: the decision for `digest`; an approval is redeemed once across every node
/// (`Ephemeral::consume`).
pub async fn redeem(ctx: &Context, digest: &str) -> Result<Redeemed, OAuthError> {
    let eph = &ctx.ephemeral;
    let key = decision_key(digest);
    let Some(raw) = eph.get(Kind::Device, &key).await? else {
        return Ok(Redeemed::Pending);
    };
    if matches!(parse(&raw)?, Decision::Denied) {
        return Ok(Redeemed::Denied);
    }
    Ok(match eph.consume(Kind::Device, &key).await? {
        Consumed::First(raw) => match parse(&raw)? {
            Decision::Approved(a) => Redeemed::Approved(a),
            Decision::Denied => Redeemed::Denied,
        },
        Consumed::Again(_) => Redeemed::Used,
        Consumed::Missing => Redeemed::Pending,
    })
}

fn parse(raw: &str) -> Result<Decision, OAuthError> {
    serde_json::from_str(raw).map_err(OAuthError::server_error)
}

/// The device's polling pace: when it last polled and the interval it must keep.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Pace {
    last: i64,
    interval: i64,
}

/// RFC 8628 §3.5: a poll sooner than the interval after the previous one is `slow_down`, and the
/// interval grows by 5 seconds for every later poll; otherwise `authorization_pending`. Two polls
/// racing on two nodes may both be answered `authorization_pending`; neither gets tokens early.
pub async fn pending_poll(
    ctx: &Context,
    digest: &str,
    request: &DeviceRequest,
) -> Result<OAuthError, OAuthError> {
    let eph = &ctx.ephemeral;
    let key = pace_key(digest);
    let now = ctx.now();
    let previous: Option<Pace> = eph
        .get(Kind::Device, &key)
        .await?
        .and_then(|raw| serde_json::from_str(&raw).ok());
    let mut pace = previous.unwrap_or(Pace {
        last: i64::MIN,
        interval: request.interval,
    });
    let too_soon = previous.is_some() && now.saturating_sub(pace.last) < pace.interval;
    if too_soon {
        pace.interval += SLOW_DOWN_SECS;
    }
    pace.last = now;
    let value = serde_json::to_string(&pace).map_err(OAuthError::server_error)?;
    eph.put(Kind::Device, &key, &value, secs(request.expires_at - now + 1))
        .await?;
    Ok(if too_soon {
        OAuthError::new(
            ErrorCode::SlowDown,
            format!("polling too fast; wait at least {} seconds", pace.interval),
        )
    } else {
        OAuthError::new(ErrorCode::AuthorizationPending, "the user has not answered yet")
    })
}

/// Where a signed-out browser goes after signing in: back to `/device` (with the code it came
/// with), remembered for the browser `binding` for the life of a login form.
pub async fn remember_return(ctx: &Context, binding: &str, path: &str) -> Result<(), OAuthError> {
    let key = format!("ret:{}", sha256_hex(binding));
    ctx.ephemeral
        .put(Kind::Device, &key, path, crate::accounts::csrf::CSRF_TTL)
        .await?;
    Ok(())
}

/// The path [`remember_return`] kept for `binding`, once. Only `/device` paths come back.
pub async fn take_return(ctx: &Context, binding: &str) -> Result<Option<String>, OAuthError> {
    let key = format!("ret:{}", sha256_hex(binding));
    let path = ctx.ephemeral.take(Kind::Device, &key).await?;
    Ok(path.filter(|p| p == "/device" || p.starts_with("/device?")))
}

/// The `/device` path that comes back to `code` (prefilled), or the empty form.
pub fn device_path(code: Option<&UserCode>) -> String {
    match code {
        Some(c) => format!("/device?user_code={}", c.display()),
        None => "/device".to_string(),
    }
}

/// RFC 8628 §5.1: wrong user codes are limited per client address (its /64 for IPv6) and per
/// signed-in user: `device.user_code_failures` within `rate_limit.window_secs`, then refused until
/// the window ends. Returns whether this address or user is locked now.
pub async fn user_code_locked(ctx: &Context, ip: &str, user_id: &str) -> Result<bool, OAuthError> {
    let now = ctx.now();
    for key in lock_keys(ip, user_id) {
        let mark = ctx.ephemeral.get(Kind::RateLimit, &key).await?;
        if mark.is_some_and(|until| until.parse::<i64>().is_ok_and(|u| u > now)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Counts a wrong user code against the address and the user; the budget used up locks them.
pub async fn user_code_failed(ctx: &Context, ip: &str, user_id: &str) -> Result<(), OAuthError> {
    let window = Duration::from_secs(ctx.rate_limit.window_secs);
    let until = ctx.now() + ctx.rate_limit.window_secs as i64;
    let counters = [
        format!("devfail:{}", address_key(ip)),
        format!("devfailu:{user_id}"),
    ];
    for (counter, lock) in counters.iter().zip(lock_keys(ip, user_id)) {
        let n = ctx.ephemeral.incr(Kind::RateLimit, counter, window).await?;
        if n >= ctx.device.user_code_failures {
            ctx.ephemeral
                .put(Kind::RateLimit, &lock, &until.to_string(), window)
                .await?;
        }
    }
    Ok(())
}

fn lock_keys(ip: &str, user_id: &str) -> [String; 2] {
    [
        format!("devlock:{}", address_key(ip)),
        format!("devlocku:{user_id}"),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::testing::{self, THIRD_PARTY};

    async fn started(w: &testing::World) -> (String, UserCode) {
        let client = w.client(THIRD_PARTY).await;
        let params = ParamMap::from_urlencoded(b"scope=openid").unwrap();
        let auth = start(&w.ctx, &client, &params, &testing::meta()).await.unwrap();
        (
            sha256_hex(&auth.device_code),
            UserCode::parse(&auth.user_code).unwrap(),
        )
    }

    /// L.4: a request gets one answer (the user code is taken by the first), and an approval is
    /// redeemed once (L.3).
    #[tokio::test]
    async fn a_request_gets_one_answer_and_one_redemption() {
        let w = testing::world().await;
        let (digest, code) = started(&w).await;
        let (found, request) = find(&w.ctx, &code).await.unwrap().expect("live");
        assert_eq!(found, digest);
        assert!(matches!(
            redeem(&w.ctx, &digest).await.unwrap(),
            Redeemed::Pending
        ));
        let session = w.sign_in().await;
        let signed_in = SignedIn {
            session: &session,
            user: &w.user,
        };
        let approved = Decision::Approved(approval(signed_in));
        assert!(decide(&w.ctx, &digest, &request, &approved).await.unwrap());
        assert!(
            !decide(&w.ctx, &digest, &request, &Decision::Denied)
                .await
                .unwrap(),
            "a second answer is refused"
        );
        assert!(find(&w.ctx, &code).await.unwrap().is_none(), "the code is spent");
        let Redeemed::Approved(a) = redeem(&w.ctx, &digest).await.unwrap() else {
            panic!("the approval");
        };
        assert_eq!((a.user_id, a.sid), (w.user.id.clone(), session.sid.clone()));
        assert!(matches!(redeem(&w.ctx, &digest).await.unwrap(), Redeemed::Used));
    }

    /// L.4: an expired request cannot be found or answered.
    #[tokio::test]
    async fn an_expired_request_is_not_found_or_answered() {
        let w = testing::world().await;
        let (digest, code) = started(&w).await;
        let (_, request) = find(&w.ctx, &code).await.unwrap().unwrap();
        w.advance(w.ctx.device.code_ttl_secs);
        assert!(find(&w.ctx, &code).await.unwrap().is_none());
        assert!(
            !decide(&w.ctx, &digest, &request, &Decision::Denied)
                .await
                .unwrap()
        );
    }

    /// L.4: the way back after signing in is a `/device` path, for its browser, once.
    #[tokio::test]
    async fn the_way_back_to_device_is_taken_once_and_only_to_device() {
        let w = testing::world().await;
        let code = UserCode::parse("BCDF-GHJK").unwrap();
        remember_return(&w.ctx, "browser-a", &device_path(Some(&code)))
            .await
            .unwrap();
        assert_eq!(take_return(&w.ctx, "browser-b").await.unwrap(), None);
        let back = take_return(&w.ctx, "browser-a").await.unwrap();
        assert_eq!(back.as_deref(), Some("/device?user_code=BCDF-GHJK"));
        assert_eq!(take_return(&w.ctx, "browser-a").await.unwrap(), None);
        remember_return(&w.ctx, "browser-a", "https://evil.example/")
            .await
            .unwrap();
        assert_eq!(take_return(&w.ctx, "browser-a").await.unwrap(), None);
    }
}
