//! The one source of "now" (docs/architecture.md, "Time"). Production reads the system clock;
//! tests set it, or shift it ahead of real time, so expiry is tested without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where a [`Clock`] reads the time.
#[derive(Debug, Clone)]
enum Source {
    /// The system clock.
    System,
    /// The system clock plus an offset (ms) that tests move forward: time keeps flowing, and
    /// jumps when a test advances it.
    Shifted(Arc<AtomicI64>),
    /// A fixed instant (ms) that only moves when a test sets or advances it.
    Fixed(Arc<AtomicI64>),
}

/// Now, in seconds or milliseconds since the Unix epoch. Cheap to clone; clones share one time,
/// so a test that advances its clock advances every node and store built with it.
#[derive(Debug, Clone)]
pub struct Clock {
    source: Source,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Clock {
    /// The system clock (production).
    pub fn system() -> Clock {
        Clock {
            source: Source::System,
        }
    }

    /// Real time plus an offset that [`Clock::advance`] grows (integration tests).
    pub fn shifted() -> Clock {
        Clock {
            source: Source::Shifted(Arc::new(AtomicI64::new(0))),
        }
    }

    /// A clock stopped at `at_ms` (unit tests).
    pub fn fixed(at_ms: i64) -> Clock {
        Clock {
            source: Source::Fixed(Arc::new(AtomicI64::new(at_ms))),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        match &self.source {
            Source::System => system_ms(),
            Source::Shifted(offset) => system_ms().saturating_add(offset.load(Ordering::Relaxed)),
            Source::Fixed(at) => at.load(Ordering::Relaxed),
        }
    }

    /// Whole seconds since the Unix epoch (JWT `iat`/`exp`, stored times).
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves a test clock forward by `by`. The system clock cannot be moved: returns false.
    pub fn advance(&self, by: Duration) -> bool {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        match &self.source {
            Source::System => false,
            Source::Shifted(v) | Source::Fixed(v) => {
                v.fetch_add(ms, Ordering::Relaxed);
                true
            }
        }
    }

    /// Sets a fixed clock to `at_ms`. Other clocks cannot be set: returns false.
    pub fn set_ms(&self, at_ms: i64) -> bool {
        match &self.source {
            Source::Fixed(at) => {
                at.store(at_ms, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_reads_the_system_time_and_cannot_be_moved() {
        let c = Clock::system();
        assert!((c.now_ms() - system_ms()).abs() < 1000);
        assert!(!c.advance(Duration::from_secs(1)));
        assert!(!c.set_ms(0));
    }

    #[test]
    fn fixed_clock_moves_only_when_told_and_clones_share_it() {
        let c = Clock::fixed(10_500);
        let clone = c.clone();
        assert_eq!((c.now(), c.now_ms()), (10, 10_500));
        assert!(c.advance(Duration::from_millis(600)));
        assert_eq!(clone.now(), 11);
        assert!(clone.set_ms(-1));
        assert_eq!(c.now(), -1, "whole seconds round down, also before 1970");
    }

    #[test]
    fn shifted_clock_runs_ahead_of_real_time() {
        let c = Clock::shifted();
        assert!(c.advance(Duration::from_secs(3600)));
        let ahead = c.now() - Clock::system().now();
        assert!((3599..=3601).contains(&ahead), "{ahead}");
    }
}
