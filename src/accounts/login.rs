//! Checking a username and password, shared by the login form and the password grant
//! (docs/security.md D.19, D.20, C.14): rate-limited per IP and per username, the same cost for an
//! unknown user as for a wrong password, and an answer that never tells which it was.

use crate::accounts::password::PasswordError;
use crate::accounts::ratelimit::{self, Limited};
use crate::accounts::{AuditSubject, audit};
use crate::context::Context;
use crate::storage::{AuditKind, StorageError, User};

/// The outcome of a password check.
#[derive(Debug)]
pub enum LoginOutcome {
    Success(User),
    /// Wrong username or password, or a disabled account: indistinguishable to the caller's user.
    Invalid,
    /// Too many failures for this username, or too many attempts from this address.
    Locked,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("password verification failed")]
    Hash(#[from] PasswordError),
}

/// Who is trying to sign in, from where, and for which client.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub ip: &'a str,
    pub username: &'a str,
    pub client_id: Option<&'a str>,
}

/// Verifies the password of `attempt.username`.
pub async fn check_password(
    ctx: &Context,
    attempt: Attempt<'_>,
    password: String,
) -> Result<LoginOutcome, LoginError> {
    let Attempt {
        ip,
        username,
        client_id,
    } = attempt;
    let at = |user_id| AuditSubject {
        user_id,
        client_id,
        ip: Some(ip),
    };
    match ratelimit::check(&ctx.ephemeral, &ctx.rate_limit, ip, username).await? {
        Limited::Ok => {}
        Limited::TooManyFromIp | Limited::Locked => {
            audit(&ctx.store, ctx.now(), AuditKind::LoginLocked, at(None)).await;
            return Ok(LoginOutcome::Locked);
        }
    }
    let user = ctx.store.user_by_username(username).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = ctx.hasher.verify(stored, password).await?;
    match user {
        Some(user) if ok && !user.disabled => {
            ratelimit::reset(&ctx.ephemeral, username).await?;
            audit(&ctx.store, ctx.now(), AuditKind::LoginSuccess, at(Some(&user.id))).await;
            Ok(LoginOutcome::Success(user))
        }
        user => {
            let failures = ratelimit::record_failure(&ctx.ephemeral, &ctx.rate_limit, username).await?;
            let user_id = user.as_ref().map(|u| u.id.as_str());
            audit(&ctx.store, ctx.now(), AuditKind::LoginFailure, at(user_id)).await;
            tokio::time::sleep(ratelimit::delay_after(failures)).await;
            Ok(LoginOutcome::Invalid)
        }
    }
}
