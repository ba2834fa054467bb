//! Everything a request handler needs, built once at start-up and shared (DESIGN.md §1).

use std::sync::Arc;

use crate::accounts::password::PasswordHasher;
use crate::config::Settings;
use crate::keys::KeyRing;
use crate::storage::{DynEphemeral, DynStore};

/// Shared application state. Cheap to clone (everything is behind `Arc`).
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: DynStore,
    pub ephemeral: DynEphemeral,
    pub keys: Arc<KeyRing>,
    pub hasher: PasswordHasher,
    /// The discovery document, rendered once (it changes only with the key ring's algorithms).
    pub discovery: Arc<crate::oidc::metadata::DiscoveryCache>,
}

impl AppState {
    pub fn issuer(&self) -> &str {
        &self.settings.issuer
    }
}
