//! RFC 7009 §2.1 + docs/security.md C.18, E.30: each node's cache of the revoked, unexpired
//! access-token ids. The `revoked_tokens` table is the truth; the cache spares the hot paths
//! (introspection, userinfo) a database round trip. It is filled at start, updated at once on the
//! node that revokes, and on every other node by a Redis notice (when Redis is configured) and by a
//! poll of the rows newer than its watermark every [`POLL`], so a lost notice costs at most that.
//! The cache answers "not revoked" only while it is known to be complete: when its last read of the
//! table is older than [`TRUSTED_FOR_MS`] (the database did not answer), every check asks the
//! database itself, and a database outage becomes `Unavailable` (503), never an accepted token.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use tokio::sync::{Mutex, Notify};

use crate::clock::Clock;
use crate::keys::notify::Publisher;
use crate::storage::{RevocationStore, StorageResult};

/// How often each node reads the revocations recorded since its watermark.
pub const POLL: Duration = Duration::from_secs(1);

/// How long after the start of its last successful read the cache counts as complete (three polls).
pub const TRUSTED_FOR_MS: i64 = 3_000;

/// Rows read per query while catching up.
const PAGE: i64 = 1_000;

/// How often expired entries are dropped from memory.
const PURGE_EVERY_MS: i64 = 60_000;

/// The revoked `jti`s this node knows, with the `exp` of their tokens.
pub struct RevokedJtis {
    entries: RwLock<HashMap<String, i64>>,
    /// The largest `seq` read; the lock also keeps two reads of the table from running at once.
    watermark: Mutex<i64>,
    /// When (clock milliseconds) the last successful read began; 0 when the last read failed.
    complete_as_of_ms: AtomicI64,
    last_purge_ms: AtomicI64,
    wake: Notify,
    publisher: Publisher,
}

impl std::fmt::Debug for RevokedJtis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevokedJtis")
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

impl RevokedJtis {
    /// An empty cache that has never read the table (so it trusts nothing until [`Self::sync`]),
    /// announcing revocations through `publisher`.
    pub fn new(publisher: Publisher) -> RevokedJtis {
        RevokedJtis {
            entries: RwLock::new(HashMap::new()),
            watermark: Mutex::new(0),
            complete_as_of_ms: AtomicI64::new(0),
            last_purge_ms: AtomicI64::new(0),
            wake: Notify::new(),
            publisher,
        }
    }

    /// Whether the token `jti` (not yet expired) was revoked: from memory while the cache is
    /// complete, else from the database.
    pub async fn is_revoked<S>(&self, store: &S, clock: &Clock, jti: &str) -> StorageResult<bool>
    where
        S: RevocationStore + ?Sized,
    {
        let now_ms = clock.now_ms();
        let now = clock.now();
        let known = self.read().get(jti).is_some_and(|exp| *exp > now);
        if known {
            return Ok(true);
        }
        if self.is_complete(now_ms) {
            return Ok(false);
        }
        store.is_token_revoked(jti, now).await
    }

    /// Whether the last read of the table began less than [`TRUSTED_FOR_MS`] ago.
    pub fn is_complete(&self, now_ms: i64) -> bool {
        let as_of = self.complete_as_of_ms.load(Ordering::SeqCst);
        as_of > 0 && now_ms - as_of < TRUSTED_FOR_MS
    }

    /// Adds a revocation this node has just written to the database, and tells the other nodes.
    pub fn record(&self, jti: &str, expires_at: i64) {
        self.write().insert(jti.to_owned(), expires_at);
        self.publisher.announce();
    }

    /// Reads every revocation recorded since the watermark, drops expired entries (once a
    /// minute), and marks the cache complete as of the read's start. A failed read marks it
    /// incomplete, so checks go to the database until a read succeeds. Returns the rows read.
    pub async fn sync<S>(&self, store: &S, clock: &Clock) -> StorageResult<usize>
    where
        S: RevocationStore + ?Sized,
    {
        let mut watermark = self.watermark.lock().await;
        let started_ms = clock.now_ms();
        match self.read_since(store, &mut watermark, clock.now()).await {
            Ok(n) => {
                self.complete_as_of_ms.store(started_ms.max(1), Ordering::SeqCst);
                self.purge_expired(clock);
                Ok(n)
            }
            Err(e) => {
                self.complete_as_of_ms.store(0, Ordering::SeqCst);
                Err(e)
            }
        }
    }

    async fn read_since<S>(&self, store: &S, watermark: &mut i64, now: i64) -> StorageResult<usize>
    where
        S: RevocationStore + ?Sized,
    {
        let mut read = 0;
        loop {
            let rows = store.revoked_after(*watermark, PAGE).await?;
            read += rows.len();
            let full_page = rows.len() as i64 == PAGE;
            let mut entries = self.write();
            for row in rows {
                *watermark = (*watermark).max(row.seq);
                if row.expires_at > now {
                    entries.insert(row.jti, row.expires_at);
                }
            }
            drop(entries);
            if !full_page {
                return Ok(read);
            }
        }
    }

    fn purge_expired(&self, clock: &Clock) {
        let now_ms = clock.now_ms();
        if now_ms - self.last_purge_ms.load(Ordering::SeqCst) < PURGE_EVERY_MS {
            return;
        }
        self.last_purge_ms.store(now_ms, Ordering::SeqCst);
        let now = clock.now();
        self.write().retain(|_, exp| *exp > now);
    }

    /// Asks the follower for an immediate read (a notice came in).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves at the next [`Self::wake`] (or at once if one came in since the last wait).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// How many revoked ids are in memory.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no revoked id is in memory.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, i64>> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, i64>> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Keeps the cache following the table until dropped: a read every [`POLL`], and one at once for
/// each notice.
pub async fn follow<S>(cache: &RevokedJtis, store: &S, clock: &Clock)
where
    S: RevocationStore + ?Sized,
{
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = cache.woken() => {}
        }
        // Logged when reads start failing and when they work again, not every second between.
        match cache.sync(store, clock).await {
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "could not read new revocations; checking each token in the database");
            }
            Err(e) => tracing::debug!(error = %e, "could not read new revocations"),
            Ok(_) if failing => {
                failing = false;
                tracing::info!("reading new revocations again");
            }
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::Mutex as StdMutex;
    use std::sync::atomic::AtomicBool;

    use async_trait::async_trait;

    use super::*;
    use crate::storage::{RevokedToken, StorageError};

    const T0_MS: i64 = 1_800_000_000_000;
    const T0: i64 = T0_MS / 1000;

    /// A revocation table in memory that can go down.
    #[derive(Default)]
    struct Table {
        rows: StdMutex<Vec<RevokedToken>>,
        down: AtomicBool,
        lookups: AtomicI64,
    }

    impl Table {
        fn add(&self, jti: &str, expires_at: i64) {
            let mut rows = self.rows.lock().unwrap();
            let seq = rows.len() as i64 + 1;
            rows.push(RevokedToken {
                jti: jti.into(),
                expires_at,
                revoked_at: T0,
                seq,
            });
        }

        fn check(&self) -> StorageResult<()> {
            if self.down.load(Ordering::SeqCst) {
                return Err(StorageError::Unavailable("down".into()));
            }
            Ok(())
        }
    }

    #[async_trait]
    impl RevocationStore for Table {
        async fn revoke_token(&self, jti: &str, expires_at: i64, _now: i64) -> StorageResult<()> {
            self.check()?;
            self.add(jti, expires_at);
            Ok(())
        }

        async fn is_token_revoked(&self, jti: &str, now: i64) -> StorageResult<bool> {
            self.check()?;
            self.lookups.fetch_add(1, Ordering::SeqCst);
            let rows = self.rows.lock().unwrap();
            Ok(rows.iter().any(|r| r.jti == jti && r.expires_at > now))
        }

        async fn revoked_after(&self, after: i64, limit: i64) -> StorageResult<Vec<RevokedToken>> {
            self.check()?;
            let rows = self.rows.lock().unwrap();
            let newer = rows.iter().filter(|r| r.seq > after).take(limit as usize);
            Ok(newer.cloned().collect())
        }

        async fn purge_revoked_tokens(&self, _now: i64) -> StorageResult<u64> {
            Ok(0)
        }
    }

    fn lookups(table: &Table) -> i64 {
        table.lookups.load(Ordering::SeqCst)
    }

    /// E.30: the cache learns revocations from the table by its watermark, past a page of rows, and
    /// answers from memory while it is complete.
    #[tokio::test]
    async fn the_cache_follows_the_table_from_its_watermark() {
        let (table, clock) = (Table::default(), Clock::fixed(T0_MS));
        for i in 0..(PAGE + 5) {
            table.add(&format!("old-{i}"), T0 + 60);
        }
        table.add("expired", T0);
        let cache = RevokedJtis::new(Publisher::none());
        assert_eq!(cache.sync(&table, &clock).await.unwrap(), PAGE as usize + 6);
        assert_eq!(cache.len(), PAGE as usize + 5, "expired rows are not kept");
        assert!(cache.is_revoked(&table, &clock, "old-1004").await.unwrap());
        assert!(!cache.is_revoked(&table, &clock, "live").await.unwrap());
        assert_eq!(lookups(&table), 0, "a complete cache needs no database");

        table.add("new", T0 + 60);
        assert_eq!(
            cache.sync(&table, &clock).await.unwrap(),
            1,
            "only rows past the watermark"
        );
        assert!(cache.is_revoked(&table, &clock, "new").await.unwrap());
        cache.record("here", T0 + 60);
        assert!(
            cache.is_revoked(&table, &clock, "here").await.unwrap(),
            "at once on this node"
        );

        clock.advance(Duration::from_secs(61));
        assert!(
            !cache.is_revoked(&table, &clock, "new").await.unwrap(),
            "expired with its token"
        );
        cache.sync(&table, &clock).await.unwrap();
        assert!(cache.is_empty(), "expired entries are dropped");
    }

    /// E.29, E.30: a cache that is not known to be complete (never read, its last read failed, or
    /// that read is older than three polls) asks the database; a database outage is `Unavailable`
    /// (503), never an accepted token.
    #[tokio::test]
    async fn an_incomplete_cache_asks_the_database_and_fails_closed() {
        let (table, clock) = (Table::default(), Clock::fixed(T0_MS));
        table.add("revoked", T0 + 600);
        let cache = RevokedJtis::new(Publisher::none());
        assert!(
            cache.is_revoked(&table, &clock, "revoked").await.unwrap(),
            "never read: asks"
        );
        assert!(!cache.is_revoked(&table, &clock, "live").await.unwrap());
        assert_eq!(lookups(&table), 2);
        table.down.store(true, Ordering::SeqCst);
        let outage = cache.is_revoked(&table, &clock, "live").await;
        assert!(matches!(outage, Err(StorageError::Unavailable(_))), "{outage:?}");

        table.down.store(false, Ordering::SeqCst);
        cache.sync(&table, &clock).await.unwrap();
        assert!(!cache.is_revoked(&table, &clock, "live").await.unwrap());
        assert_eq!(lookups(&table), 2, "complete: answered from memory");

        clock.advance(Duration::from_millis(TRUSTED_FOR_MS as u64));
        assert!(!cache.is_revoked(&table, &clock, "live").await.unwrap());
        assert_eq!(lookups(&table), 3, "a read older than three polls is not trusted");

        cache.sync(&table, &clock).await.unwrap();
        table.down.store(true, Ordering::SeqCst);
        assert!(cache.sync(&table, &clock).await.is_err());
        let outage = cache.is_revoked(&table, &clock, "live").await;
        assert!(matches!(outage, Err(StorageError::Unavailable(_))), "{outage:?}");
        assert!(
            cache.is_revoked(&table, &clock, "revoked").await.unwrap(),
            "what the cache holds stays revoked"
        );
    }
}
