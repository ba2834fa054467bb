//! Rate limits for password checks (docs/security.md C.14, D.20, E.33): failures per client
//! address and per username, counted in the shared ephemeral store so every node sees the same
//! counts. Only failures count, so users who sign in successfully never use up the budget of the
//! address they share (a load balancer's, an office's). An IPv4 address counts on its own; an IPv6
//! address counts with its /64, the block one subscriber gets, so a client cannot dodge the limit
//! by changing the interface identifier.

use std::net::IpAddr;
use std::time::Duration;

use crate::config::RateLimitSettings;
use crate::digest::sha256_hex;
use crate::storage::{DynEphemeral, Kind, StorageError};

/// Why an attempt is refused before the password is even checked, and for how much longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Ok,
    /// Too many failures from this address (its /64 for IPv6) within the window.
    TooManyFromIp {
        wait: Duration,
    },
    /// The username is locked (reported without saying whether it exists).
    Locked {
        wait: Duration,
    },
}

impl Limited {
    /// How long until the attempt may be made, if it is refused.
    pub fn wait(self) -> Option<Duration> {
        match self {
            Limited::Ok => None,
            Limited::TooManyFromIp { wait } | Limited::Locked { wait } => Some(wait),
        }
    }
}

/// What a failed attempt did to the budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// Failures of this username within the window (for the growing delay).
    pub count: u64,
    /// The next failure will lock sign-in for `lock_for`.
    pub last_chance: bool,
    /// This failure used up a budget: sign-in is now locked for `lock_for`.
    pub locked: Option<LockScope>,
    /// How long a lock lasts: the window.
    pub lock_for: Duration,
}

/// Which budget a lock is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    /// The username.
    User,
    /// The client address (its /64 for IPv6).
    Address,
}

impl LockScope {
    pub fn as_str(self) -> &'static str {
        match self {
            LockScope::User => "user",
            LockScope::Address => "address",
        }
    }
}

/// The budget key of an address: an IPv4 address whole, an IPv6 address by its /64 prefix
/// (`2001:db8:1:2::/64`). Anything else ("unknown") as it is.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V6(v6)) => {
            let prefix = u128::from(v6) & !(u128::MAX >> 64);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
        Ok(v4) => v4.to_string(),
        Err(_) => ip.to_string(),
    }
}

fn ip_key(ip: &str) -> String {
    format!("ip:{}", address_key(ip))
}

fn ip_lock_key(ip: &str) -> String {
    format!("iplock:{}", address_key(ip))
}

fn user_key(username: &str) -> String {
    format!("user:{}", sha256_hex(&username.to_lowercase()))
}

fn lock_key(username: &str) -> String {
    format!("lock:{}", sha256_hex(&username.to_lowercase()))
}

/// The time left on a lock mark (whose value is its end, in seconds), at least one second. A mark
/// from before this format counts as a whole window.
async fn lock_left(
    eph: &DynEphemeral,
    key: &str,
    now: i64,
    window: Duration,
) -> Result<Option<Duration>, StorageError> {
    let Some(mark) = eph.get(Kind::RateLimit, key).await? else {
        return Ok(None);
    };
    let left = match mark.parse::<i64>() {
        Ok(until) => Duration::from_secs(until.saturating_sub(now).max(1) as u64).min(window),
        Err(_) => window,
    };
    Ok(Some(left))
}

/// Tells whether an attempt from `ip` for `username` may proceed at `now` (seconds). Counts nothing.
pub async fn check(
    eph: &DynEphemeral,
    settings: &RateLimitSettings,
    now: i64,
    ip: &str,
    username: &str,
) -> Result<Limited, StorageError> {
    let window = Duration::from_secs(settings.window_secs);
    if let Some(wait) = lock_left(eph, &ip_lock_key(ip), now, window).await? {
        return Ok(Limited::TooManyFromIp { wait });
    }
    if let Some(wait) = lock_left(eph, &lock_key(username), now, window).await? {
        return Ok(Limited::Locked { wait });
    }
    Ok(Limited::Ok)
}

/// Records a failed password for `username` from `ip` at `now`; a budget used up locks for a
/// window (the username's lock wins when both run out at once).
pub async fn record_failure(
    eph: &DynEphemeral,
    settings: &RateLimitSettings,
    now: i64,
    ip: &str,
    username: &str,
) -> Result<Failure, StorageError> {
    let window = Duration::from_secs(settings.window_secs);
    let until = now.saturating_add(settings.window_secs as i64).to_string();
    let from_ip = eph.incr(Kind::RateLimit, &ip_key(ip), window).await?;
    let failures = eph.incr(Kind::RateLimit, &user_key(username), window).await?;
    let mut locked = None;
    if from_ip >= settings.attempts_per_ip {
        eph.put(Kind::RateLimit, &ip_lock_key(ip), &until, window).await?;
        locked = Some(LockScope::Address);
    }
    if failures >= settings.failures_per_user {
        eph.put(Kind::RateLimit, &lock_key(username), &until, window)
            .await?;
        locked = Some(LockScope::User);
    }
    let last_chance = locked.is_none()
        && (failures + 1 == settings.failures_per_user || from_ip + 1 == settings.attempts_per_ip);
    Ok(Failure {
        count: failures,
        last_chance,
        locked,
        lock_for: window,
    })
}

/// A growing delay after failures (docs/security.md D.20): 0, 0, 250 ms, 500 ms, 1 s ... capped at 2 s.
pub fn delay_after(failures: u64) -> Duration {
    if failures < 2 {
        return Duration::ZERO;
    }
    Duration::from_millis((250u64 << (failures - 2).min(3)).min(2000))
}

/// Clears the username's failure count after a successful login. The address's count stays: a
/// guesser cannot clear it by signing in to an account of their own.
pub async fn reset(eph: &DynEphemeral, username: &str) -> Result<(), StorageError> {
    eph.delete(Kind::RateLimit, &user_key(username)).await
}

/// A wait for people: "15 minutes", "1 minute", "2 hours" (rounded up, at least a minute).
pub fn for_people(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    if minutes > 90 {
        return crate::i18n::tn("duration-hours", minutes.div_ceil(60) as i64);
    }
    crate::i18n::tn("duration-minutes", minutes as i64)
}

/// docs/security.md D.20: the message of a refused attempt: how long to wait.
pub fn locked_message(wait: Duration) -> String {
    crate::i18n::t1("login-error-locked", "wait", for_people(wait))
}

/// docs/security.md D.20: the warning after the last failure before a lock.
pub fn last_chance_warning(lock_for: Duration) -> String {
    crate::i18n::t1("login-error-last-chance", "wait", for_people(lock_for))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_and_is_capped() {
        assert_eq!(delay_after(1), Duration::ZERO);
        assert!(delay_after(3) > delay_after(2));
        assert_eq!(delay_after(50), Duration::from_millis(2000));
    }

    /// E.33: two IPv6 addresses in one /64 share a budget; IPv4 addresses do not.
    #[test]
    fn ipv6_addresses_count_by_their_64_prefix() {
        assert_eq!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:2:ffff:eeee:dddd:cccc")
        );
        assert_eq!(address_key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_ne!(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:3::1"));
        assert_eq!(address_key("192.0.2.1"), "192.0.2.1");
        assert_ne!(address_key("192.0.2.1"), address_key("192.0.2.2"));
        assert_eq!(address_key("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(address_key("unknown"), "unknown");
    }

    /// D.20: the messages say how long to wait.
    #[test]
    fn lock_messages_say_how_long_to_wait() {
        assert_eq!(
            locked_message(Duration::from_secs(900)),
            "Too many sign-in attempts. Try again in 15 minutes."
        );
        assert_eq!(
            last_chance_warning(Duration::from_secs(900)),
            "One more failed attempt will lock sign-in for 15 minutes."
        );
        assert_eq!(for_people(Duration::from_secs(1)), "1 minute");
        assert_eq!(for_people(Duration::from_secs(61)), "2 minutes");
        assert_eq!(for_people(Duration::from_secs(3600)), "60 minutes");
        assert_eq!(for_people(Duration::from_secs(4 * 3600)), "4 hours");
    }
}
