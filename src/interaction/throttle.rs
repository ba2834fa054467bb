//! docs/security.md A.7: a limit on authorization requests per client address, so unauthenticated
//! requests cannot fill the short-lived store with pending requests. Counted in fixed windows of
//! `rate_limit.authorize_window_secs` on the test-able clock, in the shared store, so every node
//! sees the same count.

use std::time::Duration;

use crate::context::Context;
use crate::storage::{Kind, StorageError};

/// Whether an authorization request may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Over the limit: try again in this many seconds (the end of the current window).
    RetryAfter(u64),
}

/// Counts one authorization request from `ip` and tells whether it may go on.
pub async fn admit(ctx: &Context, ip: &str) -> Result<Admission, StorageError> {
    let limit = ctx.rate_limit.authorize_per_ip;
    if limit == 0 {
        return Ok(Admission::Admitted);
    }
    let window = ctx.rate_limit.authorize_window_secs.max(1);
    let now = u64::try_from(ctx.now()).unwrap_or_default();
    let start = now - now % window;
    let key = format!("authz:{ip}:{start}");
    let count = ctx
        .ephemeral
        .incr(Kind::RateLimit, &key, Duration::from_secs(window))
        .await?;
    if count > limit {
        Ok(Admission::RetryAfter((start + window - now).max(1)))
    } else {
        Ok(Admission::Admitted)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::testing;

    /// A.7: past `authorize_per_ip` in a window, requests from that address wait until the window
    /// ends; other addresses are not affected.
    #[tokio::test]
    async fn authorization_requests_are_limited_per_address_and_window() {
        let mut w = testing::world().await;
        w.ctx.rate_limit.authorize_per_ip = 3;
        w.ctx.rate_limit.authorize_window_secs = 60;
        let now = u64::try_from(w.ctx.now()).unwrap();
        w.advance(60 - now % 60 + 10);
        for _ in 0..3 {
            assert_eq!(admit(&w.ctx, "203.0.113.7").await.unwrap(), Admission::Admitted);
        }
        assert_eq!(
            admit(&w.ctx, "203.0.113.7").await.unwrap(),
            Admission::RetryAfter(50)
        );
        assert_eq!(admit(&w.ctx, "203.0.113.8").await.unwrap(), Admission::Admitted);
        w.advance(50);
        assert_eq!(admit(&w.ctx, "203.0.113.7").await.unwrap(), Admission::Admitted);
        w.ctx.rate_limit.authorize_per_ip = 0;
        for _ in 0..10 {
            assert_eq!(admit(&w.ctx, "203.0.113.7").await.unwrap(), Admission::Admitted);
        }
    }
}
