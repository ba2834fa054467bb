//! The connection layer: one [`DbConnection`] enum over PostgreSQL and SQLite (diesel
//! `MultiConnection`), an r2d2 pool that establishes the concrete connection itself
//! (the derived `establish` swallows the real error), SQLite pragmas at every connection,
//! error mapping, write transactions with retries, and the hop onto the blocking pool.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection, R2D2Connection};
use diesel::result::{DatabaseErrorKind, Error as DieselError, QueryResult};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};

use crate::storage::{StorageError, StorageResult};
use crate::telemetry::spawn_blocking_traced;

/// A connection to either backend; the common query DSL works on it directly, and
/// backend-specific statements match on the variant ([`on_backend!`]).
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// The shared r2d2 pool (used by `DieselStore` and `SqlEphemeral`), with the writer lock of an
/// SQLite database (docs/architecture.md, "SQLite writers").
#[derive(Clone)]
pub struct DbPool {
    inner: r2d2::Pool<DbManager>,
    /// SQLite only: held by this process's one writer at a time.
    writer: Option<Arc<Writer>>,
}

/// An SQLite database's turn to write in this process, and how many writes it has seen.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    turn: Mutex<()>,
    writes: AtomicU64,
}

impl DbPool {
    /// Writes made through this pool so far (SQLite; `None` on PostgreSQL): a checkpoint with
    /// none since the last has nothing to copy.
    pub(crate) fn writes(&self) -> Option<u64> {
        self.writer.as_ref().map(|w| w.writes.load(Ordering::Relaxed))
    }
}

impl std::ops::Deref for DbPool {
    type Target = r2d2::Pool<DbManager>;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

thread_local! {
    /// The writer lock of the pool whose connection this thread is using inside [`run`]; taken
    /// out while a [`write_tx`] holds it, so a nested one never locks twice.
    static WRITER: RefCell<Option<Arc<Writer>>> = const { RefCell::new(None) };
}

/// Makes `pool`'s writer lock the one [`write_tx`] takes on this thread, until dropped.
struct WriterScope;

impl WriterScope {
    fn enter(pool: &DbPool) -> WriterScope {
        WRITER.with(|w| *w.borrow_mut() = pool.writer.clone());
        WriterScope
    }
}

impl Drop for WriterScope {
    fn drop(&mut self) {
        WRITER.with(|w| *w.borrow_mut() = None);
    }
}

/// Runs `f` in this process's turn to write an SQLite database (`sqlite` false: at once): writers
/// of one process queue on a lock that wakes the next at once, instead of meeting SQLite's file
/// lock and sleeping in its busy handler (1, 2, 5, 10 ms ...). Other processes (the CLI) still
/// meet the file lock and its busy timeout.
fn in_writer_turn<T>(sqlite: bool, f: impl FnOnce() -> T) -> T {
    let lock = if sqlite {
        WRITER.with(|w| w.borrow_mut().take())
    } else {
        None
    };
    let Some(lock) = lock else { return f() };
    let result = {
        let _turn = lock
            .turn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f()
    };
    lock.writes.fetch_add(1, Ordering::Relaxed);
    WRITER.with(|w| *w.borrow_mut() = Some(lock));
    result
}

/// Runs `$body` with `$c` bound to the concrete connection, type-checked once per backend
/// (for `ON CONFLICT` upserts and other statements the multi-backend cannot express).
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::storage::diesel::DbConnection::Postgresql($c) => $body,
            $crate::storage::diesel::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Where to connect, parsed from the database URL's scheme.
#[derive(Clone)]
pub(crate) enum Target {
    /// A file path (scheme stripped) or `:memory:`.
    Sqlite(String),
    /// The full `postgres://` URL (may hold a password: never printed).
    Postgres(String),
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sqlite(path) => write!(f, "Sqlite({path:?})"),
            Target::Postgres(_) => f.write_str("Postgres(<url>)"),
        }
    }
}

impl Target {
    /// `sqlite://path`, `sqlite:path`, `sqlite::memory:`, `file:` URIs -> SQLite;
    /// `postgres://` / `postgresql://` -> PostgreSQL. Anything else is refused.
    pub(crate) fn parse(url: &str) -> StorageResult<Target> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_owned()));
        }
        if url.starts_with("file:") {
            return Ok(Target::Sqlite(url.to_owned()));
        }
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| StorageError::Unavailable("unsupported database URL scheme".into()))?;
        // sqlx-style options (`?mode=rwc`) are not file names.
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(StorageError::Unavailable(
                "empty SQLite path in database URL".into(),
            ));
        }
        Ok(Target::Sqlite(path.to_owned()))
    }

    pub(crate) fn is_memory(&self) -> bool {
        matches!(self, Target::Sqlite(p) if p == ":memory:" || p.contains("mode=memory"))
    }

    pub(crate) fn backend_name(&self) -> &'static str {
        match self {
            Target::Sqlite(_) => "sqlite",
            Target::Postgres(_) => "postgres",
        }
    }
}

/// Connections being opened right now, and whether the store is closing. libpq opens TLS
/// connections with OpenSSL; a process that exits while one is being opened on a pool thread runs
/// OpenSSL's exit-time cleanup under it and crashes. [`Gate::close`] refuses new connects and
/// waits for those under way, so nothing is connecting when the process returns.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    connecting: AtomicUsize,
    closing: AtomicBool,
}

impl Gate {
    /// Refuses new connections, then waits (at most `limit`) until none is being opened.
    /// True when none is.
    pub(crate) fn close(&self, limit: Duration) -> bool {
        self.closing.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + limit;
        while self.connecting.load(Ordering::SeqCst) > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }
}

/// Counts a connect that is under way, for as long as it lives.
struct Connecting<'a>(&'a Gate);

impl Drop for Connecting<'_> {
    fn drop(&mut self) {
        self.0.connecting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// r2d2 manager that establishes the concrete connection, keeping its real error.
#[derive(Debug, Clone)]
pub struct DbManager {
    target: Target,
    gate: Arc<Gate>,
}

impl DbManager {
    pub(crate) fn new(target: Target, gate: Arc<Gate>) -> DbManager {
        DbManager { target, gate }
    }
}

impl ManageConnection for DbManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.gate.connecting.fetch_add(1, Ordering::SeqCst);
        let _counted = Connecting(&self.gate);
        if self.gate.closing.load(Ordering::SeqCst) {
            let closed = ConnectionError::BadConnection("the store is closing".into());
            return Err(r2d2::Error::ConnectionError(closed));
        }
        match &self.target {
            Target::Sqlite(path) => SqliteConnection::establish(path).map(DbConnection::Sqlite),
            Target::Postgres(url) => PgConnection::establish(url).map(DbConnection::Postgresql),
        }
        .map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        R2D2Connection::ping(conn).map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || R2D2Connection::is_broken(conn)
    }
}

/// Pages (4 KiB) the write-ahead log may hold before a commit copies them into the database
/// itself (SQLite's default is 1,000): a safety net for processes without the server's
/// background checkpoint (`upkeep`), which keeps the log far shorter without any commit waiting.
pub(crate) const WAL_AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// SQLite settings applied to every new connection: wait on locks instead of failing,
/// WAL (readers never block the writer), enforced foreign keys, NORMAL sync under WAL, and a
/// commit that checkpoints the log only once it holds [`WAL_AUTOCHECKPOINT_PAGES`]: a server
/// checkpoints it in the background (docs/architecture.md, "SQLite writers").
#[derive(Debug)]
pub(crate) struct SqlitePragmas;

impl CustomizeConnection<DbConnection, r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute(&format!(
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                 PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                 PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};"
            ))
            .map_err(r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Builds the pool (blocking: call on the blocking pool). The first connection is made
/// directly so that a failure reports the backend's own message. Connections are opened only
/// when a request waits for one (`min_idle` 0): the pool never connects in the background on its
/// own, and closing its [`Gate`] leaves nothing connecting.
pub(crate) fn build_pool(target: Target, pool_size: u32, gate: Arc<Gate>) -> StorageResult<DbPool> {
    let manager = DbManager::new(target.clone(), gate);
    drop(
        manager
            .connect()
            .map_err(|e| StorageError::Unavailable(e.to_string()))?,
    );
    let mut builder = r2d2::Pool::builder()
        .max_size(pool_size.max(1))
        .min_idle(Some(0))
        // A request waits at most this long for a connection; past it the database counts as
        // unavailable (503 temporarily_unavailable). Longer than SQLite's busy_timeout (5 s), so
        // a burst of writers waiting on the file lock is never mistaken for an outage.
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(SqlitePragmas));
    if target.is_memory() {
        // Every `:memory:` connection is its own database: keep exactly one, forever.
        builder = builder.max_size(1).idle_timeout(None).max_lifetime(None);
    }
    let writer = matches!(target, Target::Sqlite(_)).then(Arc::default);
    let inner = builder
        .build(manager)
        .map_err(|e| StorageError::Unavailable(e.to_string()))?;
    Ok(DbPool { inner, writer })
}

impl From<DieselError> for StorageError {
    fn from(e: DieselError) -> StorageError {
        match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StorageError::Conflict(info.message().to_owned())
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => StorageError::Unavailable(info.message().to_owned()),
            other => StorageError::Backend(other.to_string()),
        }
    }
}

impl From<ConnectionError> for StorageError {
    fn from(e: ConnectionError) -> StorageError {
        StorageError::Unavailable(e.to_string())
    }
}

/// Serialization failures, deadlocks and SQLITE_BUSY: the transaction may simply be retried.
pub(crate) fn is_transient(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("database is locked")
                || m.contains("database table is locked")
                || m.contains("deadlock detected")
                || m.contains("could not serialize access")
        }
        _ => false,
    }
}

const MAX_ATTEMPTS: u32 = 5;

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (the write lock is taken
/// up front, so two writers never deadlock on a lock upgrade; inside [`run`], in this process's
/// turn to write, [`in_writer_turn`]) and plain READ COMMITTED on
/// PostgreSQL (conditional updates row-lock and re-check their predicate). Transient
/// failures (see [`is_transient`]) are retried, up to 5 attempts in all.
pub(crate) fn write_tx<T, F>(conn: &mut DbConnection, mut f: F) -> QueryResult<T>
where
    F: FnMut(&mut DbConnection) -> QueryResult<T>,
{
    write_one(conn, |conn| {
        let mut attempt = 1;
        loop {
            match write_tx_once(conn, &mut f) {
                Err(e) if attempt < MAX_ATTEMPTS && is_transient(&e) => {
                    tracing::debug!(attempt, error = %e, "retrying transient transaction failure");
                    std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
                    attempt += 1;
                }
                other => return other,
            }
        }
    })
}

/// Runs writing statements `f` on their own (autocommit), on SQLite in this process's turn to
/// write ([`in_writer_turn`]); no transaction and no extra round trips on PostgreSQL.
pub(crate) fn write_one<R>(conn: &mut DbConnection, f: impl FnOnce(&mut DbConnection) -> R) -> R {
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    in_writer_turn(sqlite, || f(conn))
}

fn write_tx_once<T, F>(conn: &mut DbConnection, f: &mut F) -> QueryResult<T>
where
    F: FnMut(&mut DbConnection) -> QueryResult<T>,
{
    match &mut *conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConnection::Postgresql(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN ISOLATION LEVEL READ COMMITTED")?
        }
    }
    match f(conn) {
        Ok(value) => {
            <DbConnection as TransactionManager<DbConnection>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => match <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(conn) {
            Ok(()) | Err(DieselError::BrokenTransactionManager) => Err(e),
            Err(rollback_error) => Err(rollback_error),
        },
    }
}

/// Takes a pooled connection and runs `f` on the blocking pool, with the current span.
pub(crate) async fn run<T, F>(pool: &DbPool, f: F) -> StorageResult<T>
where
    F: FnOnce(&mut DbConnection) -> StorageResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    spawn_blocking_traced(move || {
        let mut conn = pool.get().map_err(|e| StorageError::Unavailable(e.to_string()))?;
        let _scope = WriterScope::enter(&pool);
        f(&mut conn)
    })
    .await
    .map_err(|e| StorageError::Backend(format!("storage task failed: {e}")))?
}

/// [`run`] for statements that write outside [`write_tx`]: `f` runs in this process's turn to
/// write ([`write_one`]).
pub(crate) async fn run_write<T, F>(pool: &DbPool, f: F) -> StorageResult<T>
where
    F: FnOnce(&mut DbConnection) -> StorageResult<T> + Send + 'static,
    T: Send + 'static,
{
    run(pool, move |conn| write_one(conn, f)).await
}
