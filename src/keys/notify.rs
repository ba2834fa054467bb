//! Key-ring change notices between nodes : a Redis pub/sub message on `pc:keys` when
//! Redis is configured, so every node reloads within moments; without Redis each node polls the
//! key table every few seconds (a cheap query; the ring is rebuilt only when the rows changed).

use std::time::Duration;

use futures_util::StreamExt;

/// The pub/sub channel of key changes: `<redis.key_prefix>:keys`.
pub fn channel(prefix: &str) -> String {
    format!("{prefix}:keys")
}

/// How often a node re-reads the key table.
pub const POLL: Duration = Duration::from_secs(5);

/// Tells every node that the key table changed. Best effort: the poll catches up regardless.
pub async fn announce(redis: &crate::config::RedisSettings) {
    let Some(url) = redis.url.as_ref().map(secrecy::ExposeSecret::expose_secret) else {
        return;
    };
    let result = async {
        let client = redis::Client::open(url)?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PUBLISH")
            .arg(channel(&redis.key_prefix))
            .arg("changed")
            .query_async::<i64>(&mut conn)
            .await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not announce the key change; nodes will see it at their next poll");
    }
}

/// Calls `on_change` for every notice, reconnecting after failures, until the task is dropped.
pub async fn watch<F, Fut>(redis_url: String, prefix: String, on_change: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        let result: redis::RedisResult<()> = async {
            let client = redis::Client::open(redis_url.as_str())?;
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(channel(&prefix)).await?;
            let mut messages = pubsub.on_message();
            while messages.next().await.is_some() {
                on_change().await;
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            tracing::debug!(error = %e, "key notice subscription lost; retrying");
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
