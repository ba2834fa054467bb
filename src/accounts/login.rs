//! Checking a username and password, shared by the login form and the password grant
//! (SECURITY.md D.19, D.20, C.14): rate-limited per IP and per username, the same cost for an
//! unknown user as for a wrong password, and an answer that never tells which it was.

use crate::accounts::password::PasswordHasher;
use crate::accounts::ratelimit::{self, Limited};
use crate::config::RateLimitSettings;
use crate::storage::{DynEphemeral, DynStore, StorageError, User};

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
    #[error("password verification failed: {0}")]
    Hash(String),
}

/// What a password check needs.
pub struct PasswordCheck<'a> {
    pub store: &'a DynStore,
    pub ephemeral: &'a DynEphemeral,
    pub hasher: &'a PasswordHasher,
    pub limits: &'a RateLimitSettings,
}

impl PasswordCheck<'_> {
    /// Verifies `username`/`password` for a request from `ip`.
    pub async fn check(
        &self,
        ip: &str,
        username: &str,
        password: String,
        client_id: Option<&str>,
    ) -> Result<LoginOutcome, LoginError> {
        match ratelimit::check(self.ephemeral, self.limits, ip, username).await? {
            Limited::Ok => {}
            Limited::TooManyFromIp | Limited::Locked => {
                self.audit("login.locked", None, client_id, ip).await;
                return Ok(LoginOutcome::Locked);
            }
        }
        let user = self.store.user_by_username(username).await?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let ok = self
            .hasher
            .verify(stored, password)
            .await
            .map_err(|e| LoginError::Hash(e.to_string()))?;
        match user {
            Some(user) if ok && !user.disabled => {
                ratelimit::reset(self.ephemeral, username).await?;
                self.audit("login.success", Some(&user.id), client_id, ip).await;
                Ok(LoginOutcome::Success(user))
            }
            user => {
                let failures = ratelimit::record_failure(self.ephemeral, self.limits, username).await?;
                self.audit(
                    "login.failure",
                    user.as_ref().map(|u| u.id.as_str()),
                    client_id,
                    ip,
                )
                .await;
                tokio::time::sleep(ratelimit::delay_after(failures)).await;
                Ok(LoginOutcome::Invalid)
            }
        }
    }

    async fn audit(&self, kind: &str, user_id: Option<&str>, client_id: Option<&str>, ip: &str) {
        crate::accounts::audit(self.store, kind, user_id, client_id, Some(ip)).await;
    }
}
