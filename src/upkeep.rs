//! Background upkeep on every node (docs/operations.md, "Key rotation", "Many nodes"): pick up key
//! changes and access-token revocations made by other nodes or the CLI (a Redis notice, or the
//! poll), rotate and retire keys, purge expired short-lived rows, dead grants and expired
//! revocations.

use secrecy::ExposeSecret;

use crate::accounts::Audit;
use crate::keys::KeyStore;
use crate::keys::notify::{self, Topic};
use crate::state::AppState;
use crate::storage::{AuditKind, Kind};
use crate::tokens::revoked;

/// How long revoked and expired token families are kept before they are purged.
const KEEP_DEAD_GRANTS_SECS: i64 = 7 * 24 * 3600;

/// Runs forever; the server aborts it at shutdown.
pub async fn run(state: AppState) {
    tokio::join!(
        periodic(state.clone()),
        follow_revocations(&state),
        follow_caches(&state),
        checkpoint(&state),
        fold_metrics(),
        crate::backchannel::deliver::run(state.ctx.clone()),
        crate::federation::discovery::run(state.ctx.upstreams.clone())
    );
}

/// docs/security.md E.30: keeps this node's cache of revoked access tokens following the table, on
/// every notice from another node (with Redis) and every [`revoked::POLL`].
async fn follow_revocations(state: &AppState) {
    let ctx = &state.ctx;
    let redis = &state.settings.redis;
    let notices = async {
        match &redis.url {
            Some(url) => {
                let (url, prefix) = (url.expose_secret().to_string(), redis.key_prefix.clone());
                notify::watch_topic(url, prefix, Topic::Revocations, || async { ctx.revoked.wake() }).await
            }
            None => std::future::pending().await,
        }
    };
    tokio::join!(
        revoked::follow(&ctx.revoked, ctx.store.as_ref(), &ctx.clock),
        notices
    );
}

/// docs/security.md E.35: another node or the CLI changed a client or a user: forget the cached
/// rows of that table.
async fn follow_caches(state: &AppState) {
    let redis = &state.settings.redis;
    let Some(url) = &redis.url else {
        return;
    };
    let (url, prefix) = (url.expose_secret().to_string(), redis.key_prefix.clone());
    let store = state.ctx.store.as_ref();
    let clients = async {
        if let Some(cache) = store.client_cache() {
            notify::watch_topic(url.clone(), prefix.clone(), Topic::Clients, || async {
                cache.clear();
                if let Some(policies) = store.policy_cache() {
                    policies.clear();
                }
            })
            .await
        }
    };
    let users = async {
        if let Some(cache) = store.user_cache() {
            notify::watch_topic(url.clone(), prefix.clone(), Topic::Users, || async {
                cache.clear()
            })
            .await
        }
    };
    tokio::join!(clients, users);
}

/// The metrics exporter keeps every histogram sample until it is folded into its buckets.
async fn fold_metrics() {
    let mut tick = tokio::time::interval(crate::monitoring::FOLD_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        crate::monitoring::fold_samples();
    }
}

/// How often an SQLite database's write-ahead log is copied into it (docs/architecture.md,
/// "SQLite writers"): often enough that no commit does it while other writers wait.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// The write-ahead log's checkpoint, off the requests' path (a no-op on PostgreSQL).
async fn checkpoint(state: &AppState) {
    if state.ctx.store.backend_name() != "sqlite" {
        return;
    }
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = state.ctx.store.checkpoint().await {
            tracing::debug!(error = %e, "could not checkpoint the write-ahead log");
        }
    }
}

/// Key reloads and rotation, purges.
async fn periodic(state: AppState) {
    let redis = &state.settings.redis;
    let watcher = redis.url.as_ref().map(|url| {
        let (state, url, prefix) = (
            state.clone(),
            url.expose_secret().to_string(),
            redis.key_prefix.clone(),
        );
        tokio::spawn(async move {
            notify::watch(url, prefix, || async { reload_keys(&state).await }).await;
        })
    });
    let mut tick = tokio::time::interval(notify::POLL);
    let mut round: u64 = 0;
    loop {
        tick.tick().await;
        if round % 60 == 0 {
            rotate_keys(&state).await;
        }
        reload_keys(&state).await;
        if round % 12 == 0 {
            purge(&state).await;
        }
        round += 1;
        if watcher.as_ref().is_some_and(|w| w.is_finished()) {
            tracing::warn!("key notice watcher stopped; relying on polling");
        }
    }
}

async fn reload_keys(state: &AppState) {
    match state.ctx.keys.reload().await {
        Ok(()) => state
            .discovery
            .refresh(&state.settings, &state.ctx.keys.signing_algs()),
        Err(e) => tracing::warn!(error = %e, "could not reload signing keys"),
    }
}

async fn purge(state: &AppState) {
    let ctx = &state.ctx;
    if let Err(e) = ctx.ephemeral.purge_expired().await {
        tracing::warn!(error = %e, "could not purge expired entries");
    }
    if let Err(e) = ctx.store.purge_grants(ctx.now(), KEEP_DEAD_GRANTS_SECS).await {
        tracing::warn!(error = %e, "could not purge expired grants");
    }
    if let Err(e) = ctx.store.purge_revoked_tokens(ctx.now()).await {
        tracing::warn!(error = %e, "could not purge expired revocations");
    }
    if let Err(e) = ctx.store.purge_backchannel_sessions(ctx.now()).await {
        tracing::warn!(error = %e, "could not purge back-channel logout records");
    }
}

/// One node at a time: the first to count this minute's lock does the periodic job.
async fn take_lock(state: &AppState, job: &str) -> bool {
    let minute = state.ctx.now() / 60;
    let window = std::time::Duration::from_secs(120);
    match state
        .ctx
        .ephemeral
        .incr(Kind::Lock, &format!("{job}:{minute}"), window)
        .await
    {
        Ok(1) => true,
        Ok(_) => false,
        Err(e) => {
            tracing::warn!(error = %e, job, "could not take the lock");
            false
        }
    }
}

/// Automatic rotation (`keys.rotation_days`) and retirement of keys whose tokens have all expired.
async fn rotate_keys(state: &AppState) {
    if !take_lock(state, "key-rotation").await {
        return;
    }
    let t = &state.settings.tokens;
    let max_lifetime = t.access_token_ttl_secs.max(t.id_token_ttl_secs) as i64;
    let keys = KeyStore {
        store: &state.ctx.store,
        clock: &state.ctx.clock,
    };
    let mut changed = false;
    match crate::keys::rotate_due(keys, &state.settings.keys, max_lifetime).await {
        Ok(created) => {
            for key in created {
                changed = true;
                tracing::info!(kid = %key.kid, alg = %key.alg, activates_at = key.activates_at, "signing key rotated");
                let detail = serde_json::json!({ "by": "schedule", "kid": key.kid, "alg": key.alg.as_str(), "activates_at": key.activates_at });
                Audit::new(AuditKind::KeyRotated)
                    .detail(detail)
                    .write(&state.ctx.store, state.ctx.now())
                    .await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "automatic key rotation failed"),
    }
    match crate::keys::retire_expired(keys).await {
        Ok(n) => changed |= n > 0,
        Err(e) => tracing::warn!(error = %e, "could not retire expired keys"),
    }
    if changed {
        notify::announce(&state.settings.redis).await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::Settings;
    use crate::oidc::metadata::DiscoveryCache;
    use crate::storage::AuditFilter;

    /// docs/operations.md, "Audit trail": the first key at start-up and every automatic rotation
    /// write `key.rotated`, saying what made the key.
    #[tokio::test]
    async fn automatic_key_rotation_is_audited() {
        let w = crate::testing::world_generating_keys().await;
        let settings = Settings {
            issuer: crate::testing::ISSUER.into(),
            ..Settings::default()
        };
        let state = AppState {
            discovery: Arc::new(DiscoveryCache::new(&settings, &w.ctx.keys.signing_algs())),
            settings: Arc::new(settings),
            ctx: w.ctx.clone(),
        };
        w.advance(91 * 86_400);
        rotate_keys(&state).await;
        let filter = AuditFilter {
            kinds: vec![AuditKind::KeyRotated],
            ..AuditFilter::default()
        };
        // One key per algorithm in use (ID tokens RS256, access tokens ES256 by default): each is
        // audited when it is made at start-up and when the schedule rotates it.
        let mut by: Vec<(String, String)> = w
            .ctx
            .store
            .audit_events(&filter)
            .await
            .unwrap()
            .iter()
            .map(|e| {
                let d = serde_json::from_str::<serde_json::Value>(&e.detail).unwrap();
                (d["by"].to_string(), d["alg"].to_string())
            })
            .collect();
        by.sort();
        let pairs: Vec<(&str, &str)> = by.iter().map(|(b, a)| (b.as_str(), a.as_str())).collect();
        assert_eq!(
            pairs,
            [
                (r#""schedule""#, r#""ES256""#),
                (r#""schedule""#, r#""RS256""#),
                (r#""startup""#, r#""ES256""#),
                (r#""startup""#, r#""RS256""#),
            ],
            "{by:?}"
        );
    }
}
