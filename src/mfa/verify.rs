//! Checking a typed code at sign-in (docs/security.md G.5): a TOTP code of the current step or one
//! either side that was not used before (the step is recorded atomically), or an unused recovery
//! code (used up atomically). Attempts are rate-limited like passwords (`accounts/ratelimit.rs`),
//! with a counter per user of its own, so a correct password never resets it, and every failure
//! is audited.

use std::time::Duration;

use serde_json::json;

use crate::accounts::Audit;
use crate::accounts::ratelimit::{self, Limited};
use crate::context::Context;
use crate::mfa::{recovery, totp};
use crate::oauth::OAuthError;
use crate::storage::{AuditKind, AuthMethod};

/// The outcome of a typed code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeOutcome {
    Accepted(AuthMethod),
    /// Wrong, outside the window, or used before; `last_chance`: one more failure locks.
    Invalid {
        last_chance: Option<Duration>,
    },
    Locked {
        wait: Duration,
    },
}

/// Who types the code, from where, for which client.
#[derive(Debug, Clone, Copy)]
pub struct CodeAttempt<'a> {
    pub user_id: &'a str,
    pub ip: &'a str,
    pub client_id: Option<&'a str>,
}

impl<'a> CodeAttempt<'a> {
    /// The rate-limit counter of this user's second factor (never a username: user ids are random).
    fn limit_key(&self) -> String {
        format!("mfa:{}", self.user_id)
    }

    fn audit(&self, kind: AuditKind) -> Audit<'a> {
        Audit::new(kind)
            .user(Some(self.user_id))
            .client(self.client_id)
            .ip(Some(self.ip))
    }
}

/// docs/security.md G.5: checks `typed` (a TOTP code or a recovery code) for `attempt.user_id`.
pub async fn check_code(
    ctx: &Context,
    attempt: CodeAttempt<'_>,
    typed: &str,
) -> Result<CodeOutcome, OAuthError> {
    let key = attempt.limit_key();
    let limited = ratelimit::check(&ctx.ephemeral, &ctx.rate_limit, ctx.now(), attempt.ip, &key).await?;
    if let Some(wait) = limited.wait() {
        let limit = match limited {
            Limited::TooManyFromIp { .. } => "address",
            _ => "user",
        };
        let detail = json!({ "reason": "locked", "limit": limit });
        attempt
            .audit(AuditKind::MfaFailure)
            .detail(detail)
            .write(&ctx.store, ctx.now())
            .await;
        return Ok(CodeOutcome::Locked { wait });
    }
    let (factor, failure) = if recovery::looks_like_recovery_code(typed) {
        ("recovery", recovery_code(ctx, attempt, typed).await?)
    } else {
        ("totp", totp_code(ctx, attempt.user_id, typed).await?)
    };
    let Some(reason) = failure else {
        ratelimit::reset(&ctx.ephemeral, &key).await?;
        return Ok(CodeOutcome::Accepted(AuthMethod::Otp));
    };
    let now = ctx.now();
    let failed = ratelimit::record_failure(&ctx.ephemeral, &ctx.rate_limit, now, attempt.ip, &key).await?;
    attempt
        .audit(AuditKind::MfaFailure)
        .detail(json!({ "factor": factor, "reason": reason }))
        .write(&ctx.store, now)
        .await;
    tokio::time::sleep(ratelimit::delay_after(failed.count)).await;
    if let Some(scope) = failed.locked {
        let detail = json!({ "limit": scope.as_str(), "secs": failed.lock_for.as_secs(), "factor": "mfa" });
        let event = attempt.audit(AuditKind::LoginLockout).detail(detail);
        event.write(&ctx.store, now).await;
        return Ok(CodeOutcome::Locked {
            wait: failed.lock_for,
        });
    }
    Ok(CodeOutcome::Invalid {
        last_chance: failed.last_chance.then_some(failed.lock_for),
    })
}

/// `None` when the TOTP code is accepted, else why not (`wrong`, `replayed`, `no_totp`).
async fn totp_code(ctx: &Context, user_id: &str, typed: &str) -> Result<Option<&'static str>, OAuthError> {
    let Some(stored) = ctx.store.totp(user_id).await? else {
        return Ok(Some("no_totp"));
    };
    let secret = open_secret(ctx, user_id, &stored.secret_sealed)?;
    let Some(step) = totp::matching_step(&secret, typed, ctx.now()) else {
        return Ok(Some("wrong"));
    };
    if !ctx.store.use_totp_step(user_id, step).await? {
        return Ok(Some("replayed"));
    }
    Ok(None)
}

/// `None` when the recovery code is accepted (and now used up), else why not.
async fn recovery_code(
    ctx: &Context,
    attempt: CodeAttempt<'_>,
    typed: &str,
) -> Result<Option<&'static str>, OAuthError> {
    let used = ctx
        .store
        .use_recovery_code(attempt.user_id, &recovery::digest(typed), ctx.now())
        .await?;
    if !used {
        return Ok(Some("wrong_recovery_code"));
    }
    let left = ctx.store.recovery_codes_left(attempt.user_id).await?;
    attempt
        .audit(AuditKind::MfaRecoveryUsed)
        .detail(json!({ "left": left }))
        .write(&ctx.store, ctx.now())
        .await;
    Ok(None)
}

/// The associated data a user's TOTP secret is sealed with: it opens only as that user's.
pub fn secret_aad(user_id: &str) -> Vec<u8> {
    format!("totp:{user_id}").into_bytes()
}

/// Opens a sealed TOTP secret of `user_id`.
pub fn open_secret(ctx: &Context, user_id: &str, sealed: &str) -> Result<Vec<u8>, OAuthError> {
    ctx.keys
        .open(sealed, &secret_aad(user_id))
        .map_err(OAuthError::server_error)
}
