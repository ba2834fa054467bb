//! Rate limits for password checks (docs/security.md C.14, D.20): per client IP and per username,
//! counted in the shared ephemeral store so every node sees the same counts.

use std::time::Duration;

use crate::config::RateLimitSettings;
use crate::digest::sha256_hex;
use crate::storage::{DynEphemeral, Kind, StorageError};

/// Why an attempt is refused before the password is even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Ok,
    TooManyFromIp,
    /// The username is locked for the rest of the window (reported without saying whether it exists).
    Locked,
}

fn user_key(username: &str) -> String {
    format!("user:{}", sha256_hex(&username.to_lowercase()))
}

/// Counts an attempt from `ip` and tells whether it may proceed.
pub async fn check(
    eph: &DynEphemeral,
    settings: &RateLimitSettings,
    ip: &str,
    username: &str,
) -> Result<Limited, StorageError> {
    let window = Duration::from_secs(settings.window_secs);
    let from_ip = eph.incr(Kind::RateLimit, &format!("ip:{ip}"), window).await?;
    if from_ip > settings.attempts_per_ip {
        return Ok(Limited::TooManyFromIp);
    }
    if eph.get(Kind::RateLimit, &lock_key(username)).await?.is_some() {
        return Ok(Limited::Locked);
    }
    Ok(Limited::Ok)
}

fn lock_key(username: &str) -> String {
    format!("lock:{}", sha256_hex(&username.to_lowercase()))
}

/// Records a failed password for `username`; at the limit the username is locked for a window.
/// Returns the failure count.
pub async fn record_failure(
    eph: &DynEphemeral,
    settings: &RateLimitSettings,
    username: &str,
) -> Result<u64, StorageError> {
    let window = Duration::from_secs(settings.window_secs);
    let failures = eph.incr(Kind::RateLimit, &user_key(username), window).await?;
    if failures >= settings.failures_per_user {
        eph.put(Kind::RateLimit, &lock_key(username), "locked", window)
            .await?;
    }
    Ok(failures)
}

/// A growing delay after failures (docs/security.md D.20): 0, 0, 250 ms, 500 ms, 1 s ... capped at 2 s.
pub fn delay_after(failures: u64) -> Duration {
    if failures < 2 {
        return Duration::ZERO;
    }
    Duration::from_millis((250u64 << (failures - 2).min(3)).min(2000))
}

/// Clears the failure count after a successful login.
pub async fn reset(eph: &DynEphemeral, username: &str) -> Result<(), StorageError> {
    eph.delete(Kind::RateLimit, &user_key(username)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_and_is_capped() {
        assert_eq!(delay_after(1), Duration::ZERO);
        assert!(delay_after(3) > delay_after(2));
        assert_eq!(delay_after(50), Duration::from_millis(2000));
    }
}
