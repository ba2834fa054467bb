//! CSRF tokens for every form (SECURITY.md D.20): a random token per rendered form, stored with the
//! digest of the browser's CSRF cookie; a submission must bring both, and a token works once.

use std::time::Duration;

use crate::storage::{DynEphemeral, Kind, StorageError};
use crate::util::{ct_eq, secret_256, sha256_hex};

/// How long a rendered form stays submittable.
pub const CSRF_TTL: Duration = Duration::from_secs(30 * 60);

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
