//! Change notices between nodes (docs/operations.md, "Many nodes"): a Redis pub/sub message when
//! Redis is configured, so every node acts within moments; without Redis each node polls the table
//! instead. Two topics: key-ring changes (`<prefix>:keys`; the ring is rebuilt only when the rows
//! changed) and access-token revocations (`<prefix>:revoked`; docs/security.md E.30). A notice
//! carries nothing but "look again": the database is the truth, and a lost notice costs at most the
//! topic's poll interval.

use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::config::RedisSettings;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// The signing-key table.
    Keys,
    /// The revoked access-token table.
    Revocations,
    /// The client table (docs/security.md E.35).
    Clients,
    /// The user table (docs/security.md E.35).
    Users,
}

impl Topic {
    fn suffix(self) -> &'static str {
        match self {
            Topic::Keys => "keys",
            Topic::Revocations => "revoked",
            Topic::Clients => "clients",
            Topic::Users => "users",
        }
    }
}

/// The pub/sub channel of key changes: `<redis.key_prefix>:keys`.
pub fn channel(prefix: &str) -> String {
    topic_channel(prefix, Topic::Keys)
}

/// The pub/sub channel of `topic`: `<redis.key_prefix>:keys` or `<redis.key_prefix>:revoked`.
pub fn topic_channel(prefix: &str, topic: Topic) -> String {
    format!("{prefix}:{}", topic.suffix())
}

/// How often a node re-reads the key table.
pub const POLL: Duration = Duration::from_secs(5);

/// Tells every node that the key table changed. Best effort: the poll catches up regardless.
pub async fn announce(redis: &RedisSettings) {
    let Some(url) = redis.url.as_ref().map(secrecy::ExposeSecret::expose_secret) else {
        return;
    };
    let result = async {
        let client = redis::Client::open(url)?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        publish(&mut conn, &channel(&redis.key_prefix)).await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not announce the key change; nodes will see it at their next poll");
    }
}

async fn publish(conn: &mut impl redis::aio::ConnectionLike, channel: &str) -> redis::RedisResult<()> {
    redis::cmd("PUBLISH")
        .arg(channel)
        .arg("changed")
        .query_async::<i64>(conn)
        .await
        .map(|_| ())
}

/// Sends notices of one topic over a connection it keeps (revocations are announced often).
/// Without Redis it sends nothing.
#[derive(Clone)]
pub struct Publisher {
    target: Option<(ConnectionManager, String)>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("redis", &self.target.is_some())
            .finish()
    }
}

impl Publisher {
    /// A publisher for `topic` on the configured Redis; it connects at its first notice.
    pub fn new(redis: &RedisSettings, topic: Topic) -> Publisher {
        let target = redis.url.as_ref().and_then(|url| {
            let client = redis::Client::open(secrecy::ExposeSecret::expose_secret(url)).ok()?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(2)))
                .set_response_timeout(Some(Duration::from_secs(2)))
                .set_number_of_retries(1);
            let conn = client.get_connection_manager_lazy(config).ok()?;
            Some((conn, topic_channel(&redis.key_prefix, topic)))
        });
        Publisher { target }
    }

    /// A publisher that sends nothing (no Redis).
    pub fn none() -> Publisher {
        Publisher { target: None }
    }

    /// Announces a change and waits (at most a second) until Redis took it: for writers that may
    /// exit right after (the CLI). A failure only delays the other nodes until their next poll.
    pub async fn send(&self) {
        let Some((conn, channel)) = self.target.clone() else {
            return;
        };
        let mut conn = conn;
        match tokio::time::timeout(Duration::from_secs(1), publish(&mut conn, &channel)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, %channel, "could not send a change notice"),
            Err(_) => tracing::debug!(%channel, "change notice timed out"),
        }
    }

    /// Announces a change in the background: the caller never waits for Redis, and a failure only
    /// delays the other nodes until their next poll.
    pub fn announce(&self) {
        let Some((conn, channel)) = self.target.clone() else {
            return;
        };
        tokio::spawn(async move {
            let mut conn = conn;
            if let Err(e) = publish(&mut conn, &channel).await {
                tracing::debug!(error = %e, %channel, "could not send a change notice; nodes will poll");
            }
        });
    }
}

/// Calls `on_change` for every key notice, reconnecting after failures, until the task is dropped.
pub async fn watch<F, Fut>(redis_url: String, prefix: String, on_change: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    watch_topic(redis_url, prefix, Topic::Keys, on_change).await
}

/// Calls `on_change` for every notice of `topic`, reconnecting after failures, until the task is
/// dropped.
pub async fn watch_topic<F, Fut>(redis_url: String, prefix: String, topic: Topic, on_change: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        let result: redis::RedisResult<()> = async {
            let client = redis::Client::open(redis_url.as_str())?;
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(topic_channel(&prefix, topic)).await?;
            // Notices sent while this node was not subscribed are lost: catch up once now.
            on_change().await;
            let mut messages = pubsub.on_message();
            while messages.next().await.is_some() {
                on_change().await;
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            tracing::debug!(error = %e, ?topic, "notice subscription lost; retrying");
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
