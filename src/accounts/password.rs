//! Password hashing with Argon2id (RFC 9106; DESIGN.md §2 argon2; SECURITY.md D.19).
//!
//! Hashing and verification run on the blocking pool, never on the async executor. An unknown
//! user is verified against a dummy hash made with the same parameters, so it costs the same
//! time as a wrong password and does not reveal whether the user exists.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version};

use crate::config::Argon2Settings;

/// Errors of password hashing. Messages never contain the password.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The configured Argon2 parameters are out of range.
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    /// Hashing failed (RNG or internal error).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The stored hash is not a PHC string this hasher understands.
    #[error("stored password hash is malformed: {0}")]
    Malformed(String),
    /// The blocking task was cancelled or panicked.
    #[error("password hashing task failed: {0}")]
    Join(String),
}

struct Inner {
    argon2: Argon2<'static>,
    /// A hash of a random value, verified against when the user is unknown.
    dummy: String,
    /// At most this many hashes at once (one per core): each takes `memory_kib` of memory and a
    /// core for tens of milliseconds, so a flood of password attempts queues instead of exhausting
    /// memory and the blocking pool.
    permits: tokio::sync::Semaphore,
}

/// RFC 9106 Argon2id hasher with the configured parameters. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", self.inner.argon2.params())
            .finish()
    }
}

impl PasswordHasher {
    /// RFC 9106 §4: Argon2id, version 0x13, with `settings`' m (KiB), t and p.
    /// Precomputes the dummy hash used for unknown users.
    pub fn new(settings: &Argon2Settings) -> Result<PasswordHasher, PasswordError> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|e| PasswordError::Params(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy = hash_with(&argon2, &crate::util::secret_256())?;
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Ok(PasswordHasher {
            inner: Arc::new(Inner {
                argon2,
                dummy,
                permits: tokio::sync::Semaphore::new(cores),
            }),
        })
    }

    /// RFC 9106: hashes `password` on the blocking pool; returns the PHC string (`$argon2id$...`).
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|e| PasswordError::Join(e.to_string()))?;
        let this = self.clone();
        crate::util::spawn_blocking_traced(move || this.hash_blocking(&password))
            .await
            .map_err(|e| PasswordError::Join(e.to_string()))?
    }

    /// RFC 9106: hashes `password` on the current thread (CLI and tests only).
    pub fn hash_blocking(&self, password: &str) -> Result<String, PasswordError> {
        hash_with(&self.inner.argon2, password)
    }

    /// SECURITY.md D.19: verifies on the blocking pool. `stored = None` (unknown user) verifies
    /// against the dummy hash and returns false, so it costs the same as a wrong password.
    pub async fn verify(&self, stored: Option<String>, password: String) -> Result<bool, PasswordError> {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|e| PasswordError::Join(e.to_string()))?;
        let this = self.clone();
        crate::util::spawn_blocking_traced(move || this.verify_blocking(stored.as_deref(), &password))
            .await
            .map_err(|e| PasswordError::Join(e.to_string()))?
    }

    /// Like [`PasswordHasher::verify`], on the current thread.
    pub fn verify_blocking(&self, stored: Option<&str>, password: &str) -> Result<bool, PasswordError> {
        let (hash, known) = match stored {
            Some(h) => (h, true),
            None => (self.inner.dummy.as_str(), false),
        };
        let parsed = PasswordHash::new(hash).map_err(|e| PasswordError::Malformed(e.to_string()))?;
        match self.inner.argon2.verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(known),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(e) => Err(PasswordError::Malformed(e.to_string())),
        }
    }
}

fn hash_with(argon2: &Argon2<'static>, password: &str) -> Result<String, PasswordError> {
    argon2
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Shortest accepted password, in characters (NIST SP 800-63B §3.1.1.2: at least 8).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password, in characters (bounds the hashing input).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// NIST SP 800-63B §3.1.1.2: length only (8..=1024 characters), no composition rules.
/// The error explains what is wrong, for the user.
pub fn check_policy(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters long"
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!(
            "password must be at most {MAX_PASSWORD_CHARS} characters long"
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(&Argon2Settings {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn hash_then_verify_round_trips() {
        let h = hasher();
        let stored = h.hash("correct horse".into()).await.unwrap();
        assert!(h.verify(Some(stored), "correct horse".into()).await.unwrap());
    }

    #[tokio::test]
    async fn wrong_password_is_false() {
        let h = hasher();
        let stored = h.hash("correct horse".into()).await.unwrap();
        assert!(!h.verify(Some(stored), "battery staple".into()).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_user_is_false() {
        let h = hasher();
        assert!(!h.verify(None, "anything at all".into()).await.unwrap());
        assert!(!h.verify(None, String::new()).await.unwrap());
    }

    #[test]
    fn hash_is_argon2id_with_configured_parameters() {
        let h = PasswordHasher::new(&Argon2Settings {
            memory_kib: 72,
            iterations: 3,
            parallelism: 2,
        })
        .unwrap();
        let stored = h.hash_blocking("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$"), "{stored}");
        assert!(stored.contains("m=72"), "{stored}");
        assert!(stored.contains("t=3"), "{stored}");
        assert!(stored.contains("p=2"), "{stored}");
        assert_ne!(stored, h.hash_blocking("correct horse").unwrap(), "salted");
    }

    #[test]
    fn malformed_stored_hash_is_an_error() {
        assert!(hasher().verify_blocking(Some("not a hash"), "x").is_err());
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(
            PasswordHasher::new(&Argon2Settings {
                memory_kib: 1,
                iterations: 1,
                parallelism: 1
            })
            .is_err()
        );
    }

    #[test]
    fn policy_is_length_only() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("12345678").is_ok());
        assert!(check_policy("ñññññññ").is_err());
        assert!(check_policy(&"a".repeat(1024)).is_ok());
        assert!(check_policy(&"a".repeat(1025)).is_err());
    }
}
