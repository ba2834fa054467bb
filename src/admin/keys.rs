//! Signing keys (docs/security.md E.24-25) for `portcullis keys ...` and `/admin/api/v1/keys`:
//! listed with their state (never a private key), and rotated.

use serde::Deserialize;
use serde_json::json;

use super::audit::{Actor, record};
use super::{AdminError, Page, PageRequest};
use crate::clock::Clock;
use crate::config::Settings;
use crate::keys::{Activation, Alg, KeyInfo, KeyStore};
use crate::storage::{AuditKind, DynStore};

/// Every stored key with its state at now, oldest first.
pub async fn all(store: &DynStore, clock: &Clock) -> Result<Vec<KeyInfo>, AdminError> {
    let t = clock.now();
    Ok(store
        .list_keys()
        .await?
        .iter()
        .map(|k| crate::keys::describe(k, t))
        .collect())
}

/// Keys by kid, a page at a time.
pub async fn list(store: &DynStore, clock: &Clock, page: &PageRequest) -> Result<Page<KeyInfo>, AdminError> {
    page.paginate(all(store, clock).await?, |k| k.kid.clone())
}

/// What a rotation asks for.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSpec {
    /// Algorithm of the new key [default: keys.default_alg].
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub alg: Option<Alg>,
    /// Sign with it at once instead of after keys.publish_delay_secs.
    #[serde(default)]
    pub now: bool,
}

/// A new key, published now; running servers learn of it at once (Redis notice) or within
/// seconds (poll). The previous key of its algorithm retires when it starts to sign.
pub async fn rotate(
    store: &DynStore,
    clock: &Clock,
    settings: &Settings,
    actor: &Actor,
    spec: RotateSpec,
) -> Result<KeyInfo, AdminError> {
    let alg = spec.alg.unwrap_or(settings.keys.default_alg);
    let activation = if spec.now {
        Activation::Now
    } else {
        Activation::AfterPublishDelay
    };
    let t = &settings.tokens;
    let max_lifetime = t.access_token_ttl_secs.max(t.id_token_ttl_secs) as i64;
    let keys = KeyStore { store, clock };
    let key = crate::keys::rotate(keys, &settings.keys, alg, max_lifetime, activation)
        .await
        .map_err(AdminError::internal)?;
    crate::keys::notify::announce(&settings.redis).await;
    let via = match actor {
        Actor::Cli { .. } => "cli",
        Actor::Api { .. } => "admin_api",
    };
    let detail =
        json!({ "by": via, "kid": key.kid, "alg": key.alg.as_str(), "activates_at": key.activates_at });
    record(store, actor, AuditKind::KeyRotated, None, None, detail).await;
    Ok(crate::keys::describe(&key, clock.now()))
}
