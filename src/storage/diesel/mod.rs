//! The system of record over diesel: SQLite (embedded default) or PostgreSQL (production),
//! chosen from the database URL's scheme (docs/architecture.md, "State"). Every query runs on the blocking
//! pool ([`crate::telemetry::spawn_blocking_traced`]).

mod apis;
mod audit;
mod backchannel;
mod clients;
mod conn;
mod consents;
mod grants;
mod groups;
mod identity_links;
mod keys;
mod lists;
mod mfa;
mod registration;
mod revoked;
pub(crate) mod rows;
pub(crate) mod schema;
mod seed;
mod self_service;
mod users;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use conn::{DbConnection, DbManager, DbPool};
pub(crate) use conn::{on_backend, run, run_write, write_tx};

use crate::storage::{StorageError, StorageResult, Store};
use crate::telemetry::spawn_blocking_traced;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Serialises `migrate()` across nodes sharing one PostgreSQL database (an advisory lock id).
const MIGRATION_LOCK_ID: i64 = 0x706f_7274_6375_6c6c;

/// The diesel implementation of [`Store`] and all its sub-traits.
#[derive(Clone)]
pub struct DieselStore {
    pool: DbPool,
    backend: &'static str,
    gate: Arc<conn::Gate>,
    /// docs/security.md E.35: clients by id, forgotten on every write through this store.
    clients: Arc<crate::storage::cache::ClientCache>,
    /// docs/security.md E.35: users for access-token checks, forgotten on every write through this store.
    users: Arc<crate::storage::cache::UserCache>,
    /// docs/security.md E.35: clients' API policies, forgotten on every write through this store.
    policies: Arc<crate::storage::cache::PolicyCache>,
    /// The pool's write count at the last checkpoint ([`Store::checkpoint`]).
    checkpointed: Arc<std::sync::atomic::AtomicU64>,
}

/// Longest a dropped store waits for a connection that is being opened.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// A store that goes away lets every connection being opened finish, and refuses new ones: the
/// process never exits in the middle of opening a (TLS) connection.
impl Drop for DieselStore {
    fn drop(&mut self) {
        if !self.gate.close(CLOSE_WAIT) {
            tracing::warn!("a database connection was still being opened when the store closed");
        }
    }
}

impl std::fmt::Debug for DieselStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DieselStore")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl DieselStore {
    /// docs/architecture.md: connects to `url` (`sqlite://path`, `sqlite:path`, `sqlite::memory:`,
    /// `postgres://...`) with a pool of `pool_size` connections. The pool is built on the
    /// blocking pool; a connection failure is `StorageError::Unavailable` with the backend's message.
    pub async fn connect(url: &str, pool_size: u32) -> Result<DieselStore, StorageError> {
        let target = conn::Target::parse(url)?;
        let backend = target.backend_name();
        let gate = Arc::new(conn::Gate::default());
        let pool_gate = gate.clone();
        let pool = spawn_blocking_traced(move || conn::build_pool(target, pool_size, pool_gate))
            .await
            .map_err(|e| StorageError::Backend(format!("storage task failed: {e}")))??;
        Ok(DieselStore {
            pool,
            backend,
            gate,
            clients: Default::default(),
            users: Default::default(),
            policies: Default::default(),
            checkpointed: Default::default(),
        })
    }

    /// docs/security.md E.35: a client, policy or user changed through this store is forgotten by
    /// every node: the caches announce their changes on the Redis notice topics (none without Redis).
    pub fn announce_changes(&self, redis: &crate::config::RedisSettings) {
        use crate::keys::notify::{Publisher, Topic};
        let clients = Publisher::new(redis, Topic::Clients);
        self.clients.announce_with(clients.clone());
        self.policies.announce_with(clients);
        self.users.announce_with(Publisher::new(redis, Topic::Users));
    }

    /// One connection, for a command that runs once and exits (the CLI).
    pub async fn connect_once(url: &str) -> Result<DieselStore, StorageError> {
        Self::connect(url, 1).await
    }

    /// A clone of the connection pool (for [`crate::storage::ephemeral::sql::SqlEphemeral`]).
    pub fn pool(&self) -> DbPool {
        self.pool.clone()
    }

    async fn run<T, F>(&self, f: F) -> StorageResult<T>
    where
        F: FnOnce(&mut DbConnection) -> StorageResult<T> + Send + 'static,
        T: Send + 'static,
    {
        run(&self.pool, f).await
    }

    /// [`Self::run`] for a method whose statements write outside [`write_tx`]: on SQLite in this
    /// process's turn to write (docs/architecture.md, "SQLite writers").
    async fn write<T, F>(&self, f: F) -> StorageResult<T>
    where
        F: FnOnce(&mut DbConnection) -> StorageResult<T> + Send + 'static,
        T: Send + 'static,
    {
        run_write(&self.pool, f).await
    }
}

fn migration_error(e: impl std::fmt::Display) -> StorageError {
    StorageError::Backend(format!("migration failed: {e}"))
}

#[async_trait]
impl Store for DieselStore {
    /// Applies the embedded migrations of the connected backend; a no-op when up to date.
    /// On PostgreSQL an advisory lock keeps two nodes from migrating at once.
    async fn migrate(&self) -> StorageResult<()> {
        self.run(|conn| match conn {
            DbConnection::Sqlite(c) => {
                c.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map_err(migration_error)?;
                Ok(())
            }
            DbConnection::Postgresql(c) => {
                c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_ID})"))?;
                let result = c
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|_| ())
                    .map_err(migration_error);
                c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})"))?;
                result
            }
        })
        .await
    }

    async fn ping(&self) -> StorageResult<()> {
        self.run(|conn| Ok(conn.batch_execute("SELECT 1")?)).await
    }

    fn backend_name(&self) -> &'static str {
        self.backend
    }

    fn pool_state(&self) -> Option<(u32, u32)> {
        let state = self.pool.state();
        Some((state.connections, state.idle_connections))
    }

    async fn checkpoint(&self) -> StorageResult<()> {
        use std::sync::atomic::Ordering;
        // Nothing written since the last checkpoint: nothing to copy.
        let Some(writes) = self.pool.writes() else {
            return Ok(());
        };
        if self.checkpointed.load(Ordering::Relaxed) == writes {
            return Ok(());
        }
        self.run(|conn| match conn {
            DbConnection::Sqlite(c) => Ok(c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")?),
            DbConnection::Postgresql(_) => Ok(()),
        })
        .await?;
        self.checkpointed.store(writes, Ordering::Relaxed);
        Ok(())
    }
}
