//! Refused forms parked for the browser that sent them (docs/security.md O.1): a refused form
//! answers 303 to the GET of the same step, and that GET (a reload too) shows why, so a reload
//! never posts a password or a code again. Why it was refused is kept for [`SHOWN_FOR`], for this
//! browser (and its login session, if any) only; nothing typed is kept but a username, and a lock
//! keeps its end so a reload shows the time still to wait. Used by the login form, the
//! second-factor page, TOTP enrolment and the account page's password form.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::accounts::csrf::Holder;
use crate::accounts::ratelimit;
use crate::context::Context;
use crate::digest::sha256_hex;
use crate::interaction::pending::Parking;
use crate::oauth::OAuthError;
use crate::storage::Kind;

/// docs/security.md O.1: how long a refused form is shown again on a reload of its GET.
pub const SHOWN_FOR: Duration = Duration::from_secs(5 * 60);

fn parking() -> Parking {
    Parking {
        kind: Kind::Page,
        ttl: SHOWN_FOR,
    }
}

/// Where the refusal of form `form` (e.g. `login-refused`) about `key` (a request, a challenge,
/// a login) waits: one place per browser, so a second browser neither sees nor overwrites it.
fn id(form: &str, key: &str, holder: Holder<'_>) -> String {
    format!("{form}:{key}:{}", sha256_hex(holder.binding))
}

/// Parks `value`, the refusal of `form` about `key`, for `holder` (replacing an earlier one).
pub async fn park<T: Serialize>(
    ctx: &Context,
    form: &str,
    key: &str,
    holder: Holder<'_>,
    value: &T,
) -> Result<(), OAuthError> {
    parking().put(ctx, &id(form, key, holder), holder, value).await
}

/// The refusal of `form` about `key` parked by this browser (and login session), if any: none for
/// another browser or login, or after [`SHOWN_FOR`]. Reading it leaves it for the next reload.
pub async fn shown<T: DeserializeOwned>(
    ctx: &Context,
    form: &str,
    key: &str,
    holder: Holder<'_>,
) -> Result<Option<T>, OAuthError> {
    parking().get(ctx, &id(form, key, holder), holder).await
}

/// Why a password or a code was refused, counted by the rate limits (docs/security.md D.20,
/// E.33): shown again without counting again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Wrong; with the lock the next failure starts, in seconds (the warning before the lock).
    Wrong { lock_next_secs: Option<u64> },
    /// Locked until this time (seconds since the epoch).
    LockedUntil(i64),
}

impl Refusal {
    /// A wrong password or code; `last_chance`: the lock one more failure would start.
    pub fn wrong(last_chance: Option<Duration>) -> Refusal {
        Refusal::Wrong {
            lock_next_secs: last_chance.map(|d| d.as_secs()),
        }
    }

    /// Locked at `now` for `wait` more.
    pub fn locked(now: i64, wait: Duration) -> Refusal {
        Refusal::LockedUntil(now.saturating_add(i64::try_from(wait.as_secs()).unwrap_or(i64::MAX)))
    }

    /// The message at `now`, in the request's language: `wrong` (a message id) with the warning
    /// before the lock, or how long the lock has left (at least a second).
    pub fn message(self, wrong: &str, now: i64) -> String {
        match self {
            Refusal::Wrong { lock_next_secs: None } => crate::i18n::t(wrong),
            Refusal::Wrong {
                lock_next_secs: Some(secs),
            } => format!(
                "{} {}",
                crate::i18n::t(wrong),
                ratelimit::last_chance_warning(Duration::from_secs(secs))
            ),
            Refusal::LockedUntil(end) => ratelimit::locked_message(Self::left(end, now)),
        }
    }

    fn left(end: i64, now: i64) -> Duration {
        Duration::from_secs(u64::try_from(end.saturating_sub(now)).unwrap_or(0).max(1))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parked_lock_counts_down_from_its_end() {
        let locked = Refusal::locked(1_000, Duration::from_secs(15 * 60));
        assert_eq!(locked, Refusal::LockedUntil(1_900));
        assert_eq!(Refusal::left(1_900, 1_300), Duration::from_secs(600));
        assert_eq!(Refusal::left(1_900, 2_000), Duration::from_secs(1), "never zero");
    }

    #[test]
    fn parked_refusals_are_one_per_browser() {
        let a = Holder {
            binding: "browser-a",
            login: None,
        };
        let b = Holder {
            binding: "browser-b",
            login: None,
        };
        assert_ne!(id("login-refused", "r1", a), id("login-refused", "r1", b));
        assert!(
            !id("login-refused", "r1", a).contains("browser-a"),
            "the binding is not kept"
        );
    }
}
