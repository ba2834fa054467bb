//! Account changes that must end sessions and token families with them (SECURITY.md C.13, D.21).
//! Shared by the CLI and the account page.

use crate::accounts::password::PasswordHasher;
use crate::storage::{DynStore, StorageError};
use crate::util::{now, now_ms};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("no such user")]
    NoSuchUser,
    #[error("{0}")]
    Policy(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Sets a new password; every refresh-token family of the user is revoked and every login
/// session that began before now stops counting.
pub async fn change_password(
    store: &DynStore,
    hasher: &PasswordHasher,
    user_id: &str,
    new_password: String,
) -> Result<(), AccountError> {
    crate::accounts::password::check_policy(&new_password).map_err(AccountError::Policy)?;
    let hash = hasher
        .hash(new_password)
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?;
    if !store.set_password(user_id, &hash, now_ms()).await? {
        return Err(AccountError::NoSuchUser);
    }
    store.revoke_user_families(user_id, now()).await?;
    Ok(())
}

/// Disables or enables a user; disabling revokes their families at once.
pub async fn set_disabled(store: &DynStore, user_id: &str, disabled: bool) -> Result<(), AccountError> {
    let t = now();
    if !store.set_disabled(user_id, disabled, t).await? {
        return Err(AccountError::NoSuchUser);
    }
    if disabled {
        store.revoke_user_families(user_id, t).await?;
    }
    Ok(())
}

/// Ends every session and token family of a user ("sign out everywhere", admin logout).
pub async fn logout_everywhere(store: &DynStore, user_id: &str) -> Result<u64, AccountError> {
    if !store.revoke_sessions(user_id, now_ms()).await? {
        return Err(AccountError::NoSuchUser);
    }
    Ok(store.revoke_user_families(user_id, now()).await?)
}
