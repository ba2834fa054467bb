//! The Redis implementation of [`Ephemeral`] (docs/architecture.md, "State"): native TTLs, keys namespaced by
//! purpose (`pc:code:`, `pc:sess:` ...), and every single-use take atomic on the server
//! (`GETDEL`, or a Lua script), so a code can never be redeemed twice across nodes.

use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::storage::{Consumed, Ephemeral, Kind, StorageError, StorageResult};

/// Short-lived state in Redis, shared by every node.
#[derive(Clone)]
pub struct RedisEphemeral {
    conn: ConnectionManager,
    prefix: String,
}

fn unavailable(e: redis::RedisError) -> StorageError {
    StorageError::Unavailable(format!("redis: {e}"))
}

fn ttl_secs(ttl: Duration) -> u64 {
    ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0)
}

/// First use: marks the entry consumed (a sibling key with the same remaining TTL) and returns
/// {1, value}; later uses return {2, value}; a missing entry returns {0}.
const CONSUME: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return {0} end
if redis.call('SET', KEYS[2], '1', 'NX') then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
  return {1, v}
end
return {2, v}
";

/// A counter that expires `window` after its first increment.
const INCR: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
";

impl RedisEphemeral {
    /// Connects lazily: the server may be down at start-up; commands then fail with
    /// `Unavailable` (503) and the connection is re-established by itself when Redis returns.
    pub fn connect(url: &str, prefix: &str) -> StorageResult<RedisEphemeral> {
        let client =
            redis::Client::open(url).map_err(|e| StorageError::Backend(format!("redis url: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        let conn = client.get_connection_manager_lazy(config).map_err(unavailable)?;
        Ok(RedisEphemeral {
            conn,
            prefix: prefix.to_string(),
        })
    }

    /// `<prefix>:<kind>:<key>`, e.g. `pc:code:<digest>`.
    fn key(&self, kind: Kind, key: &str) -> String {
        format!("{}:{}:{}", self.prefix, kind.prefix(), key)
    }
}

#[async_trait]
impl Ephemeral for RedisEphemeral {
    async fn put(&self, kind: Kind, k: &str, value: &str, ttl: Duration) -> StorageResult<()> {
        let mut c = self.conn.clone();
        let _: () = redis::cmd("SET")
            .arg(self.key(kind, k))
            .arg(value)
            .arg("EX")
            .arg(ttl_secs(ttl).max(1))
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        // A replaced entry starts unconsumed.
        let _: () = c
            .del(format!("{}:used", self.key(kind, k)))
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get(&self, kind: Kind, k: &str) -> StorageResult<Option<String>> {
        let mut c = self.conn.clone();
        c.get(self.key(kind, k)).await.map_err(unavailable)
    }

    async fn take(&self, kind: Kind, k: &str) -> StorageResult<Option<String>> {
        let mut c = self.conn.clone();
        redis::cmd("GETDEL")
            .arg(self.key(kind, k))
            .query_async(&mut c)
            .await
            .map_err(unavailable)
    }

    async fn consume(&self, kind: Kind, k: &str) -> StorageResult<Consumed> {
        let mut c = self.conn.clone();
        let full = self.key(kind, k);
        let (state, value): (i64, Option<String>) = redis::Script::new(CONSUME)
            .key(&full)
            .key(format!("{full}:used"))
            .invoke_async::<Vec<redis::Value>>(&mut c)
            .await
            .map_err(unavailable)
            .and_then(parse_consume)?;
        Ok(match (state, value) {
            (1, Some(v)) => Consumed::First(v),
            (2, Some(v)) => Consumed::Again(v),
            _ => Consumed::Missing,
        })
    }

    async fn delete(&self, kind: Kind, k: &str) -> StorageResult<()> {
        let mut c = self.conn.clone();
        let full = self.key(kind, k);
        let _: () = c
            .del(&[full.clone(), format!("{full}:used")])
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn incr(&self, kind: Kind, k: &str, window: Duration) -> StorageResult<u64> {
        let mut c = self.conn.clone();
        let n: i64 = redis::Script::new(INCR)
            .key(self.key(kind, k))
            .arg(ttl_secs(window).max(1))
            .invoke_async(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(n.max(0) as u64)
    }

    async fn purge_expired(&self) -> StorageResult<u64> {
        Ok(0)
    }

    async fn ping(&self) -> StorageResult<()> {
        let mut c = self.conn.clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

fn parse_consume(reply: Vec<redis::Value>) -> StorageResult<(i64, Option<String>)> {
    let state = match reply.first() {
        Some(redis::Value::Int(n)) => *n,
        _ => {
            return Err(StorageError::Corrupt(
                "unexpected reply from the consume script".into(),
            ));
        }
    };
    let value = match reply.get(1) {
        Some(redis::Value::BulkString(b)) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    };
    Ok((state, value))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn redis() -> Option<RedisEphemeral> {
        let url = std::env::var("REDIS_URL").ok()?;
        Some(RedisEphemeral::connect(&url, &format!("pc-test-{}", crate::random::random_id())).unwrap())
    }

    #[tokio::test]
    async fn redis_take_is_single_use_across_concurrent_callers() {
        let Some(r) = redis() else { return };
        let k = crate::random::random_id();
        r.put(Kind::Code, &k, "v", Duration::from_secs(30)).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let r = r.clone();
            let k = k.clone();
            tasks.push(tokio::spawn(async move { r.take(Kind::Code, &k).await.unwrap() }));
        }
        let mut winners = 0;
        for t in tasks {
            if t.await.unwrap().is_some() {
                winners += 1;
            }
        }
        assert_eq!(winners, 1);
    }

    #[tokio::test]
    async fn redis_consume_reports_first_then_again() {
        let Some(r) = redis() else { return };
        let k = crate::random::random_id();
        assert_eq!(r.consume(Kind::Code, &k).await.unwrap(), Consumed::Missing);
        r.put(Kind::Code, &k, "grant", Duration::from_secs(30))
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let r = r.clone();
            let k = k.clone();
            tasks.push(tokio::spawn(
                async move { r.consume(Kind::Code, &k).await.unwrap() },
            ));
        }
        let mut first = 0;
        for t in tasks {
            match t.await.unwrap() {
                Consumed::First(v) => {
                    assert_eq!(v, "grant");
                    first += 1
                }
                Consumed::Again(v) => assert_eq!(v, "grant"),
                Consumed::Missing => panic!("entry vanished"),
            }
        }
        assert_eq!(first, 1);
    }

    #[tokio::test]
    async fn redis_entries_expire_and_counters_count() {
        let Some(r) = redis() else { return };
        let k = crate::random::random_id();
        r.put(Kind::Csrf, &k, "x", Duration::from_secs(1)).await.unwrap();
        assert_eq!(r.get(Kind::Csrf, &k).await.unwrap().as_deref(), Some("x"));
        assert_eq!(
            r.incr(Kind::RateLimit, &k, Duration::from_secs(5)).await.unwrap(),
            1
        );
        assert_eq!(
            r.incr(Kind::RateLimit, &k, Duration::from_secs(5)).await.unwrap(),
            2
        );
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(r.get(Kind::Csrf, &k).await.unwrap(), None);
    }

    #[tokio::test]
    async fn redis_unreachable_is_unavailable_not_a_panic() {
        let r = RedisEphemeral::connect("redis://127.0.0.1:1/", "pc").unwrap();
        let err = r.get(Kind::Code, "k").await.unwrap_err();
        assert!(matches!(err, StorageError::Unavailable(_)));
    }
}
