//! Account changes that must end sessions and token families with them (docs/security.md C.13,
//! D.21). Shared by the CLI and the account page.

use crate::accounts::password::{self, PasswordError, PasswordHasher};
use crate::clock::Clock;
use crate::storage::{DynStore, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("no such user")]
    NoSuchUser,
    #[error("{0}")]
    Policy(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("password hashing failed")]
    Hash(#[from] PasswordError),
}

/// Sets a new password; every refresh-token family of the user is revoked and every login
/// session that began before now stops counting.
pub async fn change_password(
    store: &DynStore,
    hasher: &PasswordHasher,
    clock: &Clock,
    user_id: &str,
    new_password: String,
) -> Result<(), AccountError> {
    password::check_policy(&new_password).map_err(AccountError::Policy)?;
    let hash = hasher.hash(new_password).await?;
    if !store.set_password(user_id, &hash, clock.now_ms()).await? {
        return Err(AccountError::NoSuchUser);
    }
    store.revoke_user_families(user_id, clock.now()).await?;
    crate::backchannel::user_logged_out(store, user_id, clock.now()).await?;
    Ok(())
}

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    Enabled,
    Disabled,
}

/// Disables or enables a user; disabling revokes their families at once.
pub async fn set_state(
    store: &DynStore,
    clock: &Clock,
    user_id: &str,
    state: AccountState,
) -> Result<(), AccountError> {
    let t = clock.now();
    let disabled = state == AccountState::Disabled;
    if !store.set_disabled(user_id, disabled, t).await? {
        return Err(AccountError::NoSuchUser);
    }
    if disabled {
        store.revoke_user_families(user_id, t).await?;
        crate::backchannel::user_logged_out(store, user_id, t).await?;
    }
    Ok(())
}

/// Ends every session and token family of a user ("sign out everywhere", admin logout). Each of
/// these changes also queues back-channel logouts (`backchannel.rs`).
pub async fn logout_everywhere(store: &DynStore, clock: &Clock, user_id: &str) -> Result<u64, AccountError> {
    if !store.revoke_sessions(user_id, clock.now_ms()).await? {
        return Err(AccountError::NoSuchUser);
    }
    let ended = store.revoke_user_families(user_id, clock.now()).await?;
    crate::backchannel::user_logged_out(store, user_id, clock.now()).await?;
    Ok(ended)
}
