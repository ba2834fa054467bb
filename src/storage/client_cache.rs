//! This node's cache of clients by client_id (docs/security.md E.35, docs/operations.md "Many
//! nodes"). Every token, introspection and revocation request authenticates a client, and clients
//! change rarely: a cached client saves a database round trip (and two thread hand-offs) per request.
//!
//! The database stays the truth. A write through this node's store forgets the client here at once
//! and tells the other nodes through the Redis notice topic `<prefix>:clients`, which makes them
//! forget every cached client; an entry is also never used once it is older than [`TTL`], the bound
//! when a notice is lost or when there is no Redis. A failed client authentication is retried once
//! against the database (`http/client.rs`), so a secret rotated elsewhere works at once everywhere.
//! Clients that do not exist are not cached.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock};
use std::time::{Duration, Instant};

use crate::keys::notify::Publisher;
use crate::storage::Client;

/// The longest a cached client is used without reading the table again.
pub const TTL: Duration = Duration::from_secs(1);

/// At most this many clients are cached; past it, expired entries go, else nothing new is added.
const CAPACITY: usize = 10_000;

#[derive(Debug)]
struct Entry {
    client: Client,
    read_at: Instant,
}

/// The cache. Reads take a shared lock; a change takes the exclusive one.
#[derive(Debug)]
pub struct ClientCache {
    entries: RwLock<HashMap<String, Entry>>,
    /// Bumped by every change: a read of the table that began before a change must not fill the
    /// cache with what it read (it may be the old row).
    generation: AtomicU64,
    ttl: Duration,
    publisher: OnceLock<Publisher>,
}

impl Default for ClientCache {
    fn default() -> Self {
        ClientCache::with_ttl(TTL)
    }
}

/// What [`ClientCache::begin`] hands out for one read of the table.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl ClientCache {
    pub fn with_ttl(ttl: Duration) -> ClientCache {
        ClientCache {
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

    /// The cached client, if it was read less than the TTL ago.
    pub fn get(&self, client_id: &str) -> Option<Client> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(client_id)
            .filter(|e| e.read_at.elapsed() < self.ttl)
            .map(|e| e.client.clone())
    }

    /// Call before reading a client from the table; hand the ticket to [`ClientCache::fill`].
    pub fn begin(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::Acquire))
    }

    /// Caches a client read from the table, unless something changed since the read began.
    pub fn fill(&self, ticket: Ticket, client: &Client) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) != ticket.0 {
            return;
        }
        if entries.len() >= CAPACITY && !entries.contains_key(&client.client_id) {
            let ttl = self.ttl;
            entries.retain(|_, e| e.read_at.elapsed() < ttl);
            if entries.len() >= CAPACITY {
                return;
            }
        }
        entries.insert(
            client.client_id.clone(),
            Entry {
                client: client.clone(),
                read_at: Instant::now(),
            },
        );
    }

    /// A client was written through this node: forget it here and tell the other nodes (waiting
    /// at most a second for Redis, so a command that exits next has sent its notice).
    pub async fn changed(&self, client_id: &str) {
        self.forget(client_id);
        if let Some(publisher) = self.publisher.get() {
            publisher.send().await;
        }
    }

    /// Forgets one client here only (a failed authentication reads it again).
    pub fn forget(&self, client_id: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(client_id);
    }

    /// Another node changed a client (a notice): forget them all.
    pub fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// How many clients are cached (for tests and `/metrics`).
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
    fn a_notice_from_another_node_forgets_every_client() {
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
