//! OpenID Discovery §4 of every upstream, in the background (docs/security.md I.2): at start,
//! then again after a failure with a doubling delay (`federation.discovery_retry_initial_ms` up
//! to `discovery_retry_max_secs`), and every `discovery_refresh_secs` once it worked, which also
//! picks up the provider's new signing keys. A provider that is down never stops Portcullis: its
//! button says it is unavailable until discovery succeeds.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::CoreProviderMetadata;

use super::flow::issuer_url;
use super::{Upstream, Upstreams};

/// Runs forever (the server aborts it at shutdown).
pub async fn run(upstreams: Arc<Upstreams>) {
    let tasks = upstreams.all().iter().cloned().map(|up| {
        let registry = upstreams.clone();
        tokio::spawn(async move { follow(&registry, &up).await })
    });
    futures_util::future::join_all(tasks).await;
}

async fn follow(registry: &Upstreams, up: &Upstream) {
    let s = &registry.settings;
    let initial = Duration::from_millis(s.discovery_retry_initial_ms);
    let max = Duration::from_secs(s.discovery_retry_max_secs);
    let mut delay = initial;
    loop {
        match discover(registry, up).await {
            Ok(metadata) => {
                let was_available = up.metadata().is_some();
                up.set_metadata(metadata);
                if !was_available {
                    tracing::info!(upstream = %up.id(), "upstream provider discovered");
                }
                delay = initial;
                tokio::time::sleep(Duration::from_secs(s.discovery_refresh_secs)).await;
            }
            Err(e) => {
                crate::monitoring::upstream_error(up.id(), "discovery");
                tracing::warn!(upstream = %up.id(), error = %e, retry_in_ms = delay.as_millis() as u64, "upstream discovery failed");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(max);
            }
        }
    }
}

/// Least time between two out-of-schedule discoveries of one provider.
const FORCED_EVERY_SECS: i64 = 60;

/// Discovery at once, out of schedule: an ID token was signed by a key the cached JWKS lacks (the
/// provider rotated its keys). At most once a minute per provider; true when fresh metadata was
/// stored.
pub async fn refresh_now(registry: &Upstreams, up: &Upstream, now: i64) -> bool {
    let allowed = match up.forced_at.lock() {
        Ok(mut last) if last.is_none_or(|t| now - t >= FORCED_EVERY_SECS) => {
            *last = Some(now);
            true
        }
        _ => false,
    };
    if !allowed {
        return false;
    }
    match discover(registry, up).await {
        Ok(metadata) => {
            up.set_metadata(metadata);
            tracing::info!(upstream = %up.id(), "upstream keys fetched again for an unknown signature");
            true
        }
        Err(e) => {
            crate::monitoring::upstream_error(up.id(), "discovery");
            tracing::warn!(upstream = %up.id(), error = %e, "upstream discovery failed");
            false
        }
    }
}

/// OpenID Discovery §4: the provider's metadata, whose `issuer` must be the configured one, and
/// its JWKS.
async fn discover(registry: &Upstreams, up: &Upstream) -> Result<CoreProviderMetadata, String> {
    let issuer = issuer_url(&up.settings.issuer)?;
    CoreProviderMetadata::discover_async(issuer, registry.http())
        .await
        .map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        })
}
