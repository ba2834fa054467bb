//! CSRF tokens for every form (docs/security.md D.20): a random token per rendered form, stored
//! with the digest of the browser's binding cookie; a submission must bring both, and a token
//! works once.

use std::time::Duration;

use crate::digest::{ct_eq, sha256_hex};
use crate::oauth::params::ParamMap;
use crate::random::secret_256;
use crate::storage::{DynEphemeral, Kind, StorageError};

/// How long a rendered form stays submittable.
pub const CSRF_TTL: Duration = Duration::from_secs(30 * 60);

/// Why a form submission was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CsrfError {
    /// The `csrf_token` is missing, spent, expired, or was issued to another browser.
    #[error("the form has expired")]
    Expired,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Issues a form token bound to the browser cookie value `binding`.
pub async fn issue(eph: &DynEphemeral, binding: &str) -> Result<String, StorageError> {
    let token = secret_256();
    eph.put(Kind::Csrf, &sha256_hex(&token), &sha256_hex(binding), CSRF_TTL)
        .await?;
    Ok(token)
}

/// Checks and spends a form token: true only if it was issued to this browser and not used before.
pub async fn verify(eph: &DynEphemeral, token: &str, binding: &str) -> Result<bool, StorageError> {
    if token.is_empty() || binding.is_empty() {
        return Ok(false);
    }
    match eph.take(Kind::Csrf, &sha256_hex(token)).await? {
        Some(stored) => Ok(ct_eq(&stored, &sha256_hex(binding))),
        None => Ok(false),
    }
}

/// The check every form POST starts with: the form's `csrf_token` must be one this browser got
/// and has not used yet.
pub async fn require(eph: &DynEphemeral, form: &ParamMap, binding: &str) -> Result<(), CsrfError> {
    let token = form.get("csrf_token").unwrap_or_default();
    if verify(eph, token, binding).await? {
        Ok(())
    } else {
        Err(CsrfError::Expired)
    }
}
