//! Checking a username and password, shared by the login form and the password grant
//! (docs/security.md D.19, D.20, C.14, E.33): rate-limited per client address and per username
//! (failures only), the same cost for an unknown user as for a wrong password, an answer that never
//! tells which it was, and an audit event for every attempt with its reason.

use std::time::Duration;

use serde_json::json;

use crate::accounts::Audit;
use crate::accounts::password::PasswordError;
use crate::accounts::ratelimit::{self, Limited};
use crate::context::Context;
use crate::oauth::OAuthError;
use crate::storage::{AuditKind, StorageError, User};

/// The outcome of a password check.
#[derive(Debug)]
pub enum LoginOutcome {
    Success(User),
    /// Wrong username or password, or a disabled account: indistinguishable to the caller's user.
    /// `last_chance`: one more failure locks sign-in for this long (docs/security.md D.20).
    Invalid {
        last_chance: Option<Duration>,
    },
    /// Too many failures for this username or from this address: refused for `wait`.
    Locked {
        wait: Duration,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("password verification failed")]
    Hash(#[from] PasswordError),
}

impl From<LoginError> for OAuthError {
    /// A full hashing queue or an unreachable store is `temporarily_unavailable` (503 with
    /// `Retry-After`, docs/security.md E.33); anything else a server error.
    fn from(e: LoginError) -> OAuthError {
        match e {
            LoginError::Storage(s) => s.into(),
            LoginError::Hash(PasswordError::Busy) => OAuthError::unavailable(PasswordError::Busy),
            other => OAuthError::server_error(other),
        }
    }
}

/// Who is trying to sign in, from where, and for which client.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub ip: &'a str,
    pub username: &'a str,
    pub client_id: Option<&'a str>,
}

impl<'a> Attempt<'a> {
    /// An audit event about this attempt.
    fn audit(&self, kind: AuditKind, user: Option<&'a User>) -> Audit<'a> {
        Audit::new(kind)
            .user(user.map(|u| u.id.as_str()))
            .client(self.client_id)
            .ip(Some(self.ip))
    }
}

/// Why a password check failed, as the audit log records it.
fn failure_reason(user: Option<&User>, password_ok: bool) -> &'static str {
    match user {
        None => "unknown_user",
        Some(_) if !password_ok => "wrong_password",
        Some(_) => "disabled",
    }
}

/// Verifies the password of `attempt.username`.
pub async fn check_password(
    ctx: &Context,
    attempt: Attempt<'_>,
    password: String,
) -> Result<LoginOutcome, LoginError> {
    let (ip, username) = (attempt.ip, attempt.username);
    let user = ctx.store.user_by_username(username).await?;
    let limited = ratelimit::check(&ctx.ephemeral, &ctx.rate_limit, ctx.now(), ip, username).await?;
    if let Some(wait) = limited.wait() {
        let limit = match limited {
            Limited::TooManyFromIp { .. } => "address",
            _ => "user",
        };
        let detail = json!({ "reason": "locked", "limit": limit, "retry_after_secs": wait.as_secs() });
        let event = attempt
            .audit(AuditKind::LoginFailure, user.as_ref())
            .detail(detail);
        event.write(&ctx.store, ctx.now()).await;
        return Ok(LoginOutcome::Locked { wait });
    }
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = ctx.hasher.verify(stored, password).await?;
    match user {
        Some(user) if ok && !user.disabled => {
            ratelimit::reset(&ctx.ephemeral, username).await?;
            let event = attempt.audit(AuditKind::LoginSuccess, Some(&user));
            event
                .detail(json!({ "method": "pwd" }))
                .write(&ctx.store, ctx.now())
                .await;
            Ok(LoginOutcome::Success(user))
        }
        user => failed(ctx, attempt, user.as_ref(), failure_reason(user.as_ref(), ok)).await,
    }
}

/// Counts a failure, records it (and the lockout it may start), waits the growing delay.
async fn failed(
    ctx: &Context,
    attempt: Attempt<'_>,
    user: Option<&User>,
    reason: &'static str,
) -> Result<LoginOutcome, LoginError> {
    let (ip, username) = (attempt.ip, attempt.username);
    let failure = ratelimit::record_failure(&ctx.ephemeral, &ctx.rate_limit, ctx.now(), ip, username).await?;
    let event = attempt.audit(AuditKind::LoginFailure, user);
    event
        .detail(json!({ "reason": reason }))
        .write(&ctx.store, ctx.now())
        .await;
    tokio::time::sleep(ratelimit::delay_after(failure.count)).await;
    if let Some(scope) = failure.locked {
        let secs = failure.lock_for.as_secs();
        let detail = json!({ "limit": scope.as_str(), "secs": secs });
        let event = attempt.audit(AuditKind::LoginLockout, user).detail(detail);
        event.write(&ctx.store, ctx.now()).await;
        return Ok(LoginOutcome::Locked {
            wait: failure.lock_for,
        });
    }
    Ok(LoginOutcome::Invalid {
        last_chance: failure.last_chance.then_some(failure.lock_for),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::testing;

    const PASSWORD: &str = "correct horse";

    fn attempt<'a>(ip: &'a str, username: &'a str) -> Attempt<'a> {
        Attempt {
            ip,
            username,
            client_id: None,
        }
    }

    /// E.33: successful logins do not use up the address's budget: a shared address (a load
    /// balancer, an office) signs in any number of times.
    #[tokio::test]
    async fn success_does_not_consume_the_budget() {
        let mut w = testing::world().await;
        w.ctx.rate_limit.attempts_per_ip = 3;
        let name = w.user.username.clone();
        for _ in 0..6 {
            let out = check_password(&w.ctx, attempt("198.51.100.4", &name), PASSWORD.into()).await;
            assert!(matches!(out.unwrap(), LoginOutcome::Success(_)));
        }
    }

    /// E.33: failures from two addresses of one IPv6 /64 share one budget; another /64 has its own.
    #[tokio::test]
    async fn two_ipv6_addresses_in_one_64_share_a_counter() {
        let mut w = testing::world().await;
        w.ctx.rate_limit.attempts_per_ip = 2;
        w.ctx.rate_limit.failures_per_user = 100;
        let (a, b, other) = ("2001:db8:7:1::a", "2001:db8:7:1:ffff::b", "2001:db8:7:2::c");
        let first = check_password(&w.ctx, attempt(a, "nobody"), "x".into())
            .await
            .unwrap();
        assert!(
            matches!(first, LoginOutcome::Invalid { last_chance: Some(_) }),
            "{first:?}"
        );
        let second = check_password(&w.ctx, attempt(b, "someone"), "x".into())
            .await
            .unwrap();
        assert!(matches!(second, LoginOutcome::Locked { .. }), "{second:?}");
        let name = w.user.username.clone();
        let same_64 = check_password(&w.ctx, attempt(a, &name), PASSWORD.into())
            .await
            .unwrap();
        assert!(
            matches!(same_64, LoginOutcome::Locked { .. }),
            "the /64 is locked: {same_64:?}"
        );
        let next_64 = check_password(&w.ctx, attempt(other, &name), PASSWORD.into())
            .await
            .unwrap();
        assert!(matches!(next_64, LoginOutcome::Success(_)), "{next_64:?}");
    }

    /// The detail of the newest audit events of `kind`, newest first.
    async fn details(w: &testing::World, kind: AuditKind) -> Vec<(Option<String>, String)> {
        let filter = crate::storage::AuditFilter {
            kinds: vec![kind],
            ..Default::default()
        };
        let events = w.ctx.store.audit_events(&filter).await.unwrap();
        events.into_iter().map(|e| (e.ip, e.detail)).collect()
    }

    /// D.20: every attempt is audited with the client address and its reason: unknown user, wrong
    /// password, disabled, locked; and the lockout itself.
    #[tokio::test]
    async fn every_attempt_is_audited_with_its_reason() {
        let mut w = testing::world().await;
        w.ctx.rate_limit.failures_per_user = 3;
        let name = w.user.username.clone();
        let ip = "192.0.2.44";
        let _ = check_password(&w.ctx, attempt(ip, "nobody"), "x".into())
            .await
            .unwrap();
        let _ = check_password(&w.ctx, attempt(ip, &name), "wrong".into())
            .await
            .unwrap();
        w.ctx
            .store
            .set_disabled(&w.user.id, true, w.ctx.now())
            .await
            .unwrap();
        for _ in 0..3 {
            let _ = check_password(&w.ctx, attempt(ip, &name), PASSWORD.into())
                .await
                .unwrap();
        }
        let reasons: Vec<String> = details(&w, AuditKind::LoginFailure)
            .await
            .into_iter()
            .map(|(event_ip, detail)| {
                assert_eq!(event_ip.as_deref(), Some(ip));
                let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
                detail["reason"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(
            reasons,
            ["locked", "disabled", "disabled", "wrong_password", "unknown_user"]
        );
        let lockouts = details(&w, AuditKind::LoginLockout).await;
        assert_eq!(lockouts.len(), 1);
        assert_eq!(lockouts[0].1, r#"{"limit":"user","secs":900}"#);
        w.ctx
            .store
            .set_disabled(&w.user.id, false, w.ctx.now())
            .await
            .unwrap();
        w.advance(901);
        let ok = check_password(&w.ctx, attempt(ip, &name), PASSWORD.into())
            .await
            .unwrap();
        assert!(matches!(ok, LoginOutcome::Success(_)), "{ok:?}");
        let successes = details(&w, AuditKind::LoginSuccess).await;
        assert_eq!(
            successes,
            [(Some(ip.to_string()), r#"{"method":"pwd"}"#.to_string())]
        );
    }

    /// D.20: the attempt before the lock warns, the lock says how long is left, and the wait
    /// shrinks with the clock.
    #[tokio::test]
    async fn lock_reports_its_remaining_time() {
        let mut w = testing::world().await;
        w.ctx.rate_limit.failures_per_user = 2;
        let name = w.user.username.clone();
        let ip = "192.0.2.10";
        let first = check_password(&w.ctx, attempt(ip, &name), "wrong".into())
            .await
            .unwrap();
        let window = Duration::from_secs(w.ctx.rate_limit.window_secs);
        assert!(
            matches!(first, LoginOutcome::Invalid { last_chance: Some(d) } if d == window),
            "{first:?}"
        );
        let second = check_password(&w.ctx, attempt(ip, &name), "wrong".into())
            .await
            .unwrap();
        assert!(
            matches!(second, LoginOutcome::Locked { wait } if wait == window),
            "{second:?}"
        );
        w.advance(600);
        let later = check_password(&w.ctx, attempt(ip, &name), PASSWORD.into())
            .await
            .unwrap();
        let LoginOutcome::Locked { wait } = later else {
            panic!("still locked: {later:?}");
        };
        assert_eq!(ratelimit::for_people(wait), "5 minutes");
    }
}
