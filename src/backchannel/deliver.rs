//! Delivering logout tokens from the `backchannel_deliveries` queue (OpenID Back-Channel Logout
//! 1.0 §2.5): an HTTP POST of `logout_token=...` (form-encoded), a short timeout, no redirects
//! followed; a 2xx answer is success (§2.8). A failure is retried with exponential backoff until
//! [`MAX_ATTEMPTS`], then given up and audited. Every node runs [`run`]; a claim in the database
//! keeps two nodes from sending the same delivery at once.

use std::time::Duration;

use futures_util::future::join_all;

use crate::accounts::Audit;
use crate::backchannel::token;
use crate::context::Context;
use crate::storage::{AuditKind, BackchannelDelivery, StorageError};

/// How often each node looks for due deliveries.
pub const POLL: Duration = Duration::from_secs(2);
/// §2.5 asks for a short wait: a receiver that does not answer in time has failed this attempt.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts before a delivery is given up: with [`backoff_secs`], about two hours of retries.
pub const MAX_ATTEMPTS: i64 = 8;
/// Deliveries claimed per pass.
const BATCH: i64 = 32;
/// How long a claimed delivery is left to the node that claimed it (longer than any attempt).
const LEASE_SECS: i64 = 60;

/// Seconds to wait after the `attempts`-th failure: 30 s, doubling, at most an hour.
pub fn backoff_secs(attempts: i64) -> i64 {
    let doublings = attempts.clamp(1, 8) - 1;
    (30_i64 << doublings).min(3600)
}

/// The HTTP client that posts logout tokens.
#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
}

impl Sender {
    pub fn new() -> Result<Sender, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "portcullis/",
                env!("CARGO_PKG_VERSION"),
                " back-channel logout"
            ))
            .build()?;
        Ok(Sender { http })
    }

    /// §2.5: POSTs the token; `Err` says why the attempt failed.
    async fn post(&self, uri: &str, logout_token: &str) -> Result<(), String> {
        let body =
            serde_urlencoded::to_string([("logout_token", logout_token)]).map_err(|e| e.to_string())?;
        let res = self
            .http
            .post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(format!("answered {}", res.status().as_u16()))
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub delivered: u64,
    /// Failed and scheduled again.
    pub retrying: u64,
    /// Failed for the last time, or their client is gone.
    pub given_up: u64,
}

enum Outcome {
    Delivered,
    Retrying,
    GivenUp,
}

/// One pass over the queue: claims the deliveries due now and attempts each (concurrently).
/// Tests call it after advancing the clock, to deliver deterministically.
pub async fn deliver_due(ctx: &Context, sender: &Sender) -> Result<Pass, StorageError> {
    let now = ctx.now();
    let due = ctx
        .store
        .claim_backchannel_deliveries(now, now + LEASE_SECS, BATCH)
        .await?;
    let outcomes = join_all(due.into_iter().map(|d| attempt(ctx, sender, d))).await;
    let mut pass = Pass::default();
    for outcome in outcomes {
        match outcome? {
            Outcome::Delivered => pass.delivered += 1,
            Outcome::Retrying => pass.retrying += 1,
            Outcome::GivenUp => pass.given_up += 1,
        }
    }
    Ok(pass)
}

#[tracing::instrument(name = "backchannel_logout", skip_all, fields(client_id = %d.client_id, delivery = %d.id))]
async fn attempt(ctx: &Context, sender: &Sender, d: BackchannelDelivery) -> Result<Outcome, StorageError> {
    let Some(client) = ctx.store.client_by_id(&d.client_id).await? else {
        tracing::info!("client removed: back-channel logout dropped");
        ctx.store.delete_backchannel_delivery(&d.id).await?;
        return Ok(Outcome::GivenUp);
    };
    let result = match token::sign(ctx, &client, &d.sub, d.sid.as_deref()) {
        Ok(logout_token) => sender.post(&d.uri, &logout_token).await,
        Err(e) => Err(format!("signing failed: {e}")),
    };
    let error = match result {
        Ok(()) => {
            tracing::info!(attempts = d.attempts + 1, "back-channel logout delivered");
            ctx.store.delete_backchannel_delivery(&d.id).await?;
            return Ok(Outcome::Delivered);
        }
        Err(e) => e,
    };
    crate::monitoring::backchannel_error();
    let attempts = d.attempts + 1;
    if attempts >= MAX_ATTEMPTS {
        tracing::warn!(attempts, error = %error, "back-channel logout given up");
        ctx.store.delete_backchannel_delivery(&d.id).await?;
        Audit::new(AuditKind::BackchannelFailed)
            .user(Some(&d.sub))
            .client(Some(&d.client_id))
            .detail(serde_json::json!({ "attempts": attempts, "error": error, "sid": d.sid }))
            .write(&ctx.store, ctx.now())
            .await;
        return Ok(Outcome::GivenUp);
    }
    let next = ctx.now() + backoff_secs(attempts);
    tracing::info!(attempts, error = %error, next_attempt_at = next, "back-channel logout failed; will retry");
    ctx.store
        .retry_backchannel_delivery(&d.id, attempts, next, &error)
        .await?;
    Ok(Outcome::Retrying)
}

/// Runs forever on every node (started by `upkeep.rs`): a pass every [`POLL`].
pub async fn run(ctx: Context) {
    let sender = match Sender::new() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "back-channel logout disabled: no HTTP client");
            return;
        }
    };
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = deliver_due(&ctx, &sender).await {
            tracing::warn!(error = %e, "back-channel logout pass failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_an_hour() {
        let got: Vec<i64> = (1..=9).map(backoff_secs).collect();
        assert_eq!(got, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
