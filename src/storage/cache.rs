//! This node's caches of clients by client_id and of users for access-token checks
//! (docs/security.md E.35, docs/operations.md "Many nodes"). Every token, introspection and
//! revocation request authenticates a client, and every access token presented to userinfo or
//! introspection names a user whose status is checked; both change rarely, and a cached row saves a
//! database round trip (and two thread hand-offs) per request.
//!
//! The database stays the truth. A write through this node's store forgets the row here at once
//! and tells the other nodes through a Redis notice topic (`<prefix>:clients`, `<prefix>:users`),
//! which makes them forget every cached row of that table; an entry is also never used once it is
//! older than [`TTL`], the bound when a notice is lost or when there is no Redis (the same bound as
//! revoked access tokens, E.30). A failed client authentication is retried once against the
//! database (`http/client.rs`), so a secret rotated elsewhere works at once everywhere. Rows that do
//! not exist are not cached. Logins, password checks and account pages never read the user cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock};
use std::time::{Duration, Instant};

use crate::keys::notify::Publisher;
use crate::storage::{Client, ClientApiPolicy, User};

/// The longest a cached client is used without reading the table again.
pub const TTL: Duration = Duration::from_secs(1);

/// At most this many rows are cached; past it, expired entries go, else nothing new is added.
const CAPACITY: usize = 10_000;

/// A row that a cache keeps, by its primary key.
pub trait Keyed: Clone {
    fn key(&self) -> &str;
}

impl Keyed for Client {
    fn key(&self) -> &str {
        &self.client_id
    }
}

impl Keyed for User {
    fn key(&self) -> &str {
        &self.id
    }
}

/// A client's API policy (its default API and token-exchange targets, RFC 8707), read on every
/// grant that picks a token's audience; cached beside the client, forgotten with it.
#[derive(Debug, Clone)]
pub struct CachedPolicy {
    pub client_id: String,
    pub policy: ClientApiPolicy,
}

impl Keyed for CachedPolicy {
    fn key(&self) -> &str {
        &self.client_id
    }
}

/// Clients by client_id.
pub type ClientCache = RowCache<Client>;
/// Clients' API policies by client_id; notices on the clients topic clear it too.
pub type PolicyCache = RowCache<CachedPolicy>;
/// Users by id, for access-token checks only.
pub type UserCache = RowCache<User>;

#[derive(Debug)]
struct Entry<T> {
    row: T,
    read_at: Instant,
}

/// The cache. Reads take a shared lock; a change takes the exclusive one.
#[derive(Debug)]
pub struct RowCache<T> {
    entries: RwLock<HashMap<String, Entry<T>>>,
    /// Bumped by every change: a read of the table that began before a change must not fill the
    /// cache with what it read (it may be the old row).
    generation: AtomicU64,
    ttl: Duration,
    publisher: OnceLock<Publisher>,
}

impl<T: Keyed> Default for RowCache<T> {
    fn default() -> Self {
        RowCache::with_ttl(TTL)
    }
}

/// What [`ClientCache::begin`] hands out for one read of the table.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl<T: Keyed> RowCache<T> {
    pub fn with_ttl(ttl: Duration) -> RowCache<T> {
        RowCache {
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            ttl,
            publisher: OnceLock::new(),
        }
    }

    /// Changes made here are announced to the other nodes through `publisher` (set once, at start).
    pub fn announce_with(&self, publisher: Publisher) {
        let _ = self.publisher.set(publisher);
    }

    /// The cached row, if it was read less than the TTL ago.
    pub fn get(&self, key: &str) -> Option<T> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|e| e.read_at.elapsed() < self.ttl)
            .map(|e| e.row.clone())
    }

    /// The row of `key`: from the cache when it was read less than the TTL ago, else from `read`
    /// (the table), which then fills the cache unless something changed meanwhile. `read` starts
    /// only after the read has been ticketed ([`RowCache::begin`]).
    pub async fn read_through(
        &self,
        key: &str,
        read: impl std::future::Future<Output = crate::storage::StorageResult<Option<T>>>,
    ) -> crate::storage::StorageResult<Option<T>> {
        if let Some(row) = self.get(key) {
            return Ok(Some(row));
        }
        let ticket = self.begin();
        let row = read.await?;
        if let Some(row) = &row {
            self.fill(ticket, row);
        }
        Ok(row)
    }

    /// Call before reading a row from the table; hand the ticket to [`RowCache::fill`].
    pub fn begin(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::Acquire))
    }

    /// Caches a row read from the table, unless something changed since the read began.
    pub fn fill(&self, ticket: Ticket, row: &T) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) != ticket.0 {
            return;
        }
        if entries.len() >= CAPACITY && !entries.contains_key(row.key()) {
            let ttl = self.ttl;
            entries.retain(|_, e| e.read_at.elapsed() < ttl);
            if entries.len() >= CAPACITY {
                return;
            }
        }
        entries.insert(
            row.key().to_owned(),
            Entry {
                row: row.clone(),
                read_at: Instant::now(),
            },
        );
    }

    /// A row was written through this node: forget it here and tell the other nodes (waiting at
    /// most a second for Redis, so a command that exits next has sent its notice).
    pub async fn changed(&self, key: &str) {
        self.forget(key);
        if let Some(publisher) = self.publisher.get() {
            publisher.send().await;
        }
    }

    /// Rows of the table changed through this node in a way no single key names (an API went, and
    /// with it every policy naming it): forget them all here and tell the other nodes.
    pub async fn changed_all(&self) {
        self.clear();
        if let Some(publisher) = self.publisher.get() {
            publisher.send().await;
        }
    }

    /// Forgets one row here only (a failed authentication reads the client again).
    pub fn forget(&self, key: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(key);
    }

    /// Another node changed a row of the table (a notice): forget them all.
    pub fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// How many rows are cached (for tests).
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn client(id: &str, name: &str) -> Client {
        let mut c = crate::testing::client_fixture(id);
        c.name = name.into();
        c
    }

    #[tokio::test]
    async fn a_filled_client_is_served_until_it_changes() {
        let cache = ClientCache::default();
        assert!(cache.get("a").is_none());
        let t = cache.begin();
        cache.fill(t, &client("a", "one"));
        assert_eq!(cache.get("a").unwrap().name, "one");
        cache.changed("a").await;
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn a_read_that_began_before_a_change_does_not_fill_the_cache() {
        let cache = ClientCache::default();
        let before = cache.begin();
        cache.forget("a");
        cache.fill(before, &client("a", "old row"));
        assert!(cache.get("a").is_none());
        let after = cache.begin();
        cache.fill(after, &client("a", "new row"));
        assert_eq!(cache.get("a").unwrap().name, "new row");
    }

    #[test]
    fn an_entry_older_than_the_ttl_is_not_used() {
        let cache = ClientCache::with_ttl(Duration::from_millis(30));
        cache.fill(cache.begin(), &client("a", "one"));
        assert!(cache.get("a").is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn a_notice_from_another_node_forgets_every_row() {
        let cache = ClientCache::default();
        cache.fill(cache.begin(), &client("a", "one"));
        cache.fill(cache.begin(), &client("b", "two"));
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn the_cache_never_grows_past_its_capacity() {
        let cache = ClientCache::default();
        for i in 0..CAPACITY + 10 {
            cache.fill(cache.begin(), &client(&format!("c{i}"), "x"));
        }
        assert_eq!(cache.len(), CAPACITY);
    }
}
