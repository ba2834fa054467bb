//! Key lifecycle (DESIGN.md §5 "Signing keys", SECURITY.md E.25): a new key is published before it
//! signs; the keys it replaces stop signing when it starts and stay published until every token
//! they signed has expired; expired keys are deleted.

use secrecy::ExposeSecret;
use serde::Serialize;

use super::{Alg, GeneratedKey, KeyError, MasterKey, generate};
use crate::config::KeySettings;
use crate::storage::{DynStore, SigningKey};
use crate::util::now;

/// Used when a key must be created at start-up and the token lifetimes are not known here: the
/// largest lifetime `Settings::validate` accepts for access and ID tokens (24 h).
pub const FALLBACK_MAX_TOKEN_LIFETIME_SECS: i64 = 86_400;

/// True when the stored key signs at `now` (activated, not retired, not expired).
pub fn row_signs(k: &SigningKey, now: i64) -> bool {
    k.activates_at <= now && k.retired_at.is_none_or(|r| r > now) && k.expires_at.is_none_or(|e| e > now)
}

/// Creates a new key for `alg` published now and signing from now + publish_delay; every older key of that alg
/// gets retired_at = the new key's activates_at and expires_at = retired_at + `max_token_lifetime_secs`
/// (so it stays published until the tokens it signed have expired, SECURITY.md E.25). `immediate = true`
/// makes the new key sign at once (used at first start, and by `keys rotate --now`). Returns the new key.
/// (An older key already retired earlier keeps its earlier `retired_at` and `expires_at`.)
pub async fn rotate(
    store: &DynStore,
    settings: &KeySettings,
    alg: &str,
    max_token_lifetime_secs: i64,
    immediate: bool,
) -> Result<SigningKey, KeyError> {
    let alg = Alg::require(alg)?;
    let master = MasterKey::from_settings(settings)?;
    rotate_with(
        store,
        &master,
        alg,
        settings.publish_delay_secs,
        max_token_lifetime_secs,
        immediate,
    )
    .await
}

/// DESIGN.md §5 automatic rotation: for every algorithm whose active key has signed for
/// `keys.rotation_days` or longer and that has no newer key waiting, [`rotate`]s with the publish
/// delay. Returns the new keys (none when `rotation_days` is 0). Call it periodically, then reload.
pub async fn rotate_due(
    store: &DynStore,
    settings: &KeySettings,
    max_token_lifetime_secs: i64,
) -> Result<Vec<SigningKey>, KeyError> {
    let keys = store.list_keys().await?;
    let due = due_for_rotation(&keys, now(), settings.rotation_days);
    let mut created = Vec::with_capacity(due.len());
    for alg in due {
        created.push(rotate(store, settings, alg.as_str(), max_token_lifetime_secs, false).await?);
    }
    Ok(created)
}

pub(crate) async fn rotate_with(
    store: &DynStore,
    master: &MasterKey,
    alg: Alg,
    publish_delay_secs: u64,
    max_token_lifetime_secs: i64,
    immediate: bool,
) -> Result<SigningKey, KeyError> {
    let generated = crate::util::spawn_blocking_traced(move || generate(alg))
        .await
        .map_err(|e| KeyError::Crypto(format!("key generation task failed: {e}")))??;
    let t = now();
    let delay = i64::try_from(publish_delay_secs).unwrap_or(i64::MAX / 4);
    let activates_at = if immediate { t } else { t.saturating_add(delay) };
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

/// The stored row of a generated key: its private JWK sealed with the kid as associated data.
pub(crate) fn seal_row(
    g: &GeneratedKey,
    master: &MasterKey,
    created_at: i64,
    activates_at: i64,
) -> Result<SigningKey, KeyError> {
    Ok(SigningKey {
        kid: g.kid.clone(),
        alg: g.alg.as_str().to_string(),
        private_jwk_sealed: master.seal(g.private_jwk.expose_secret().as_bytes(), g.kid.as_bytes())?,
        public_jwk: g.public_jwk.clone(),
        created_at,
        activates_at,
        retired_at: None,
        expires_at: None,
    })
}

/// SECURITY.md E.25: `(kid, retired_at, expires_at)` for every key of `new`'s alg in `existing`
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
            let of_alg = || keys.iter().filter(|k| k.alg == alg.as_str());
            let newest_active = of_alg()
                .filter(|k| row_signs(k, now))
                .max_by_key(|k| (k.activates_at, k.created_at));
            let pending = of_alg().any(|k| k.activates_at > now && k.retired_at.is_none());
            newest_active.is_some_and(|k| k.activates_at.saturating_add(period) <= now) && !pending
        })
        .collect()
}

/// Deletes keys whose expires_at has passed (never the active one). Returns how many.
pub async fn retire_expired(store: &DynStore) -> Result<u64, KeyError> {
    let t = now();
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

/// A row for `portcullis keys list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    /// "pending" | "active" | "retiring" | "expired"
    pub state: &'static str,
    pub created_at: i64,
    pub activates_at: i64,
    pub retired_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// A row for `portcullis keys list`: kid, alg, state ("pending" | "active" | "retiring" | "expired"), created_at,
/// activates_at, retired_at, expires_at. "retiring": no longer signs, still published (SECURITY.md E.25).
pub fn describe(key: &SigningKey, now: i64) -> KeyInfo {
    let state = if key.expires_at.is_some_and(|e| e <= now) {
        "expired"
    } else if key.retired_at.is_some_and(|r| r <= now) {
        "retiring"
    } else if key.activates_at > now {
        "pending"
    } else {
        "active"
    };
    KeyInfo {
        kid: key.kid.clone(),
        alg: key.alg.clone(),
        state,
        created_at: key.created_at,
        activates_at: key.activates_at,
        retired_at: key.retired_at,
        expires_at: key.expires_at,
    }
}
