//! Key lifecycle (docs/operations.md, "Key rotation"; docs/security.md E.25): a new key is published before it
//! signs; the keys it replaces stop signing when it starts and stay published until every token
//! they signed has expired; expired keys are deleted.

use secrecy::ExposeSecret;
use serde::Serialize;

use super::{Alg, GeneratedKey, KeyError, MasterKey, generate};
use crate::clock::Clock;
use crate::config::KeySettings;
use crate::storage::{DynStore, SigningKey};

/// Used when a key must be created at start-up and the token lifetimes are not known here: the
/// largest lifetime `Settings::validate` accepts for access and ID tokens (24 h).
pub const FALLBACK_MAX_TOKEN_LIFETIME_SECS: i64 = 86_400;

/// True when the stored key signs at `now` (activated, not retired, not expired).
pub fn row_signs(k: &SigningKey, now: i64) -> bool {
    k.activates_at <= now && k.retired_at.is_none_or(|r| r > now) && k.expires_at.is_none_or(|e| e > now)
}

/// When a new key starts to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// After `keys.publish_delay_secs`, so that cached JWKS learn it first (rotation).
    AfterPublishDelay,
    /// At once (first start, and `keys rotate --now`).
    Now,
}

/// Where keys are stored and whose time they follow.
#[derive(Clone, Copy)]
pub struct KeyStore<'a> {
    pub store: &'a DynStore,
    pub clock: &'a Clock,
}

/// Creates a new key for `alg`, published now, signing as `activation` says; every older key of
/// that alg gets retired_at = the new key's activates_at and expires_at = retired_at +
/// `max_token_lifetime_secs` (so it stays published until the tokens it signed have expired,
/// docs/security.md E.25). Returns the new key. (An older key already retired earlier keeps its
/// earlier `retired_at` and `expires_at`.)
pub async fn rotate(
    keys: KeyStore<'_>,
    settings: &KeySettings,
    alg: Alg,
    max_token_lifetime_secs: i64,
    activation: Activation,
) -> Result<SigningKey, KeyError> {
    let master = MasterKey::from_settings(settings)?;
    let plan = Plan {
        alg,
        publish_delay_secs: settings.publish_delay_secs,
        max_token_lifetime_secs,
        activation,
    };
    rotate_with(keys, &master, plan).await
}

/// Automatic rotation: for every algorithm whose active key has signed for `keys.rotation_days`
/// or longer and that has no newer key waiting, [`rotate`]s with the publish delay. Returns the
/// new keys (none when `rotation_days` is 0). Call it periodically, then reload.
pub async fn rotate_due(
    keys: KeyStore<'_>,
    settings: &KeySettings,
    max_token_lifetime_secs: i64,
) -> Result<Vec<SigningKey>, KeyError> {
    let stored = keys.store.list_keys().await?;
    let due = due_for_rotation(&stored, keys.clock.now(), settings.rotation_days);
    let mut created = Vec::with_capacity(due.len());
    for alg in due {
        let activation = Activation::AfterPublishDelay;
        created.push(rotate(keys, settings, alg, max_token_lifetime_secs, activation).await?);
    }
    Ok(created)
}

/// One rotation: which key to make and how its predecessors retire.
pub(crate) struct Plan {
    pub alg: Alg,
    pub publish_delay_secs: u64,
    pub max_token_lifetime_secs: i64,
    pub activation: Activation,
}

pub(crate) async fn rotate_with(
    keys: KeyStore<'_>,
    master: &MasterKey,
    plan: Plan,
) -> Result<SigningKey, KeyError> {
    let Plan {
        alg,
        publish_delay_secs,
        max_token_lifetime_secs,
        activation,
    } = plan;
    let store = keys.store;
    let generated = crate::telemetry::spawn_blocking_traced(move || generate(alg))
        .await
        .map_err(|e| KeyError::Crypto(format!("key generation task failed: {e}")))??;
    let t = keys.clock.now();
    let delay = i64::try_from(publish_delay_secs).unwrap_or(i64::MAX / 4);
    let activates_at = match activation {
        Activation::Now => t,
        Activation::AfterPublishDelay => t.saturating_add(delay),
    };
    let key = seal_row(&generated, master, t, activates_at)?;
    let existing = store.list_keys().await?;
    store.insert_key(key.clone()).await?;
    for (kid, retired_at, expires_at) in plan_retirements(&existing, &key, max_token_lifetime_secs) {
        store
            .update_key_lifecycle(&kid, Some(retired_at), Some(expires_at))
            .await?;
        tracing::info!(kid = %kid, retired_at, expires_at, "signing key retiring");
    }
    tracing::info!(kid = %key.kid, alg = %alg, activates_at, "signing key created");
    Ok(key)
}

/// The stored row of a generated key: its private JWK sealed with the kid as associated data
/// (docs/security.md E.24), published from `created_at`, signing from `activates_at`.
pub fn seal_row(
    g: &GeneratedKey,
    master: &MasterKey,
    created_at: i64,
    activates_at: i64,
) -> Result<SigningKey, KeyError> {
    Ok(SigningKey {
        kid: g.kid.clone(),
        alg: g.alg,
        private_jwk_sealed: master.seal(g.private_jwk.expose_secret().as_bytes(), g.kid.as_bytes())?,
        public_jwk: g.public_jwk.clone(),
        created_at,
        activates_at,
        retired_at: None,
        expires_at: None,
    })
}

/// docs/security.md E.25: `(kid, retired_at, expires_at)` for every key of `new`'s alg in `existing`
/// whose retirement moves: it stops signing when `new` starts (or earlier, if it already did).
pub(crate) fn plan_retirements(
    existing: &[SigningKey],
    new: &SigningKey,
    max_token_lifetime_secs: i64,
) -> Vec<(String, i64, i64)> {
    let keep = max_token_lifetime_secs.max(0);
    existing
        .iter()
        .filter(|k| k.alg == new.alg && k.kid != new.kid)
        .filter_map(|k| {
            let retired = k.retired_at.map_or(new.activates_at, |r| r.min(new.activates_at));
            (k.retired_at != Some(retired)).then(|| (k.kid.clone(), retired, retired.saturating_add(keep)))
        })
        .collect()
}

/// Algorithms whose active key is at least `rotation_days` old and have no pending successor.
pub(crate) fn due_for_rotation(keys: &[SigningKey], now: i64, rotation_days: u64) -> Vec<Alg> {
    if rotation_days == 0 {
        return Vec::new();
    }
    let period = i64::try_from(rotation_days.saturating_mul(86_400)).unwrap_or(i64::MAX);
    Alg::ALL
        .into_iter()
        .filter(|alg| {
            let of_alg = || keys.iter().filter(|k| k.alg == *alg);
            let newest_active = of_alg()
                .filter(|k| row_signs(k, now))
                .max_by_key(|k| (k.activates_at, k.created_at));
            let pending = of_alg().any(|k| k.activates_at > now && k.retired_at.is_none());
            newest_active.is_some_and(|k| k.activates_at.saturating_add(period) <= now) && !pending
        })
        .collect()
}

/// Deletes keys whose expires_at has passed (never the active one). Returns how many.
pub async fn retire_expired(keys: KeyStore<'_>) -> Result<u64, KeyError> {
    let (store, t) = (keys.store, keys.clock.now());
    for k in store.list_keys().await? {
        // An expiry before the key even stopped signing is inconsistent: keep the key.
        if k.expires_at.is_some_and(|e| e < t) && k.retired_at.is_none_or(|r| r > t) {
            tracing::warn!(kid = %k.kid, "signing key expires before it retires; expiry cleared");
            store.update_key_lifecycle(&k.kid, k.retired_at, None).await?;
        }
    }
    let deleted = store.delete_expired_keys(t).await?;
    if deleted > 0 {
        tracing::info!(deleted, "expired signing keys deleted");
    }
    Ok(deleted)
}

/// Where a key is in its life (docs/operations.md, "Key rotation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// Published, not signing yet.
    Pending,
    /// Signs.
    Active,
    /// No longer signs, still published while its tokens live.
    Retiring,
    /// No longer published.
    Expired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Pending => "pending",
            KeyState::Active => "active",
            KeyState::Retiring => "retiring",
            KeyState::Expired => "expired",
        }
    }
}

/// A row for `portcullis keys list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: Alg,
    pub state: KeyState,
    pub created_at: i64,
    pub activates_at: i64,
    pub retired_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// The `keys list` row of `key` at `now` (docs/security.md E.25).
pub fn describe(key: &SigningKey, now: i64) -> KeyInfo {
    let state = if key.expires_at.is_some_and(|e| e <= now) {
        KeyState::Expired
    } else if key.retired_at.is_some_and(|r| r <= now) {
        KeyState::Retiring
    } else if key.activates_at > now {
        KeyState::Pending
    } else {
        KeyState::Active
    };
    KeyInfo {
        kid: key.kid.clone(),
        alg: key.alg,
        state,
        created_at: key.created_at,
        activates_at: key.activates_at,
        retired_at: key.retired_at,
        expires_at: key.expires_at,
    }
}
