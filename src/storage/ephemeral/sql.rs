//! [`Ephemeral`] on the SQL `ephemeral` table (the embedded default): rows carry
//! `expires_at` and are invisible once it has passed; `purge_expired` deletes them.
//! Every single-use operation is one write transaction, atomic across nodes sharing the database.

use std::time::Duration;

use async_trait::async_trait;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::QueryResult;

use crate::clock::Clock;
use crate::storage::diesel::rows::EphemeralRow;
use crate::storage::diesel::schema::ephemeral;
use crate::storage::diesel::{DbConnection, DbPool, on_backend, run, run_write, write_tx};
use crate::storage::{Consumed, Ephemeral, Kind, StorageResult};

/// The SQL implementation of [`Ephemeral`], sharing the store's connection pool. Expiry follows
/// its clock.
#[derive(Clone)]
pub struct SqlEphemeral {
    pool: DbPool,
    clock: Clock,
}

impl std::fmt::Debug for SqlEphemeral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlEphemeral").finish_non_exhaustive()
    }
}

impl SqlEphemeral {
    /// Short-lived state in the system-of-record database (from `DieselStore::pool`).
    pub fn new(pool: DbPool, clock: Clock) -> SqlEphemeral {
        SqlEphemeral { pool, clock }
    }
}

/// TTLs are whole seconds, rounded up, at least 1.
fn ttl_secs(ttl: Duration) -> i64 {
    let secs = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    i64::try_from(secs.max(1)).unwrap_or(i64::MAX)
}

/// Upserts (kind, key): a fresh, unconsumed entry with counter 0.
fn put_row(conn: &mut DbConnection, row: &EphemeralRow) -> QueryResult<usize> {
    on_backend!(conn, |c| diesel::insert_into(ephemeral::table)
        .values(row)
        .on_conflict((ephemeral::kind, ephemeral::key))
        .do_update()
        .set((
            ephemeral::value.eq(&row.value),
            ephemeral::consumed.eq(false),
            ephemeral::counter.eq(0i64),
            ephemeral::expires_at.eq(row.expires_at),
        ))
        .execute(c))
}

/// The value of a live (unexpired) entry.
fn live_value(conn: &mut DbConnection, kind: &str, key: &str, now: i64) -> QueryResult<Option<String>> {
    ephemeral::table
        .find((kind, key))
        .filter(ephemeral::expires_at.gt(now))
        .select(ephemeral::value)
        .first::<String>(conn)
        .optional()
}

fn take_once(conn: &mut DbConnection, kind: &str, key: &str, now: i64) -> QueryResult<Option<String>> {
    let Some(value) = live_value(conn, kind, key, now)? else {
        return Ok(None);
    };
    // The delete's row count decides the winner: a concurrent taker blocks on the row lock
    // (PostgreSQL) or on the write lock (SQLite) and then deletes nothing.
    let deleted = diesel::delete(
        ephemeral::table
            .find((kind, key))
            .filter(ephemeral::expires_at.gt(now)),
    )
    .execute(conn)?;
    Ok((deleted == 1).then_some(value))
}

fn consume_once(conn: &mut DbConnection, kind: &str, key: &str, now: i64) -> QueryResult<Consumed> {
    let first = diesel::update(
        ephemeral::table
            .find((kind, key))
            .filter(ephemeral::consumed.eq(false))
            .filter(ephemeral::expires_at.gt(now)),
    )
    .set(ephemeral::consumed.eq(true))
    .execute(conn)?;
    Ok(match (first, live_value(conn, kind, key, now)?) {
        (1, Some(value)) => Consumed::First(value),
        (_, Some(value)) => Consumed::Again(value),
        (_, None) => Consumed::Missing,
    })
}

/// One named counter to bump at `now`, in a window of `window` seconds.
struct Counter<'a> {
    kind: &'a str,
    key: &'a str,
    window: i64,
    now: i64,
}

fn incr_once(conn: &mut DbConnection, c: &Counter<'_>) -> QueryResult<i64> {
    let Counter {
        kind,
        key,
        window,
        now,
    } = *c;
    // An expired counter restarts at 1 with a fresh window.
    diesel::delete(
        ephemeral::table
            .find((kind, key))
            .filter(ephemeral::expires_at.le(now)),
    )
    .execute(conn)?;
    let fresh = EphemeralRow {
        kind: kind.to_owned(),
        key: key.to_owned(),
        value: String::new(),
        consumed: false,
        counter: 1,
        expires_at: now.saturating_add(window),
    };
    on_backend!(conn, |c| diesel::insert_into(ephemeral::table)
        .values(&fresh)
        .on_conflict((ephemeral::kind, ephemeral::key))
        .do_update()
        .set(ephemeral::counter.eq(ephemeral::counter + 1i64))
        .execute(c))?;
    ephemeral::table
        .find((kind, key))
        .select(ephemeral::counter)
        .first::<i64>(conn)
}

#[async_trait]
impl Ephemeral for SqlEphemeral {
    async fn put(&self, kind: Kind, key: &str, value: &str, ttl: Duration) -> StorageResult<()> {
        let row = EphemeralRow {
            kind: kind.prefix().to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
            consumed: false,
            counter: 0,
            expires_at: self.clock.now().saturating_add(ttl_secs(ttl)),
        };
        run_write(&self.pool, move |conn| {
            put_row(conn, &row)?;
            Ok(())
        })
        .await
    }

    async fn get(&self, kind: Kind, key: &str) -> StorageResult<Option<String>> {
        let (key, now) = (key.to_owned(), self.clock.now());
        run(&self.pool, move |conn| {
            Ok(live_value(conn, kind.prefix(), &key, now)?)
        })
        .await
    }

    async fn take(&self, kind: Kind, key: &str) -> StorageResult<Option<String>> {
        let (key, now) = (key.to_owned(), self.clock.now());
        run(&self.pool, move |conn| {
            Ok(write_tx(conn, |conn| take_once(conn, kind.prefix(), &key, now))?)
        })
        .await
    }

    async fn consume(&self, kind: Kind, key: &str) -> StorageResult<Consumed> {
        let (key, now) = (key.to_owned(), self.clock.now());
        run(&self.pool, move |conn| {
            Ok(write_tx(conn, |conn| {
                consume_once(conn, kind.prefix(), &key, now)
            })?)
        })
        .await
    }

    async fn delete(&self, kind: Kind, key: &str) -> StorageResult<()> {
        let key = key.to_owned();
        run_write(&self.pool, move |conn| {
            diesel::delete(ephemeral::table.find((kind.prefix(), key))).execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn incr(&self, kind: Kind, key: &str, window: Duration) -> StorageResult<u64> {
        let (key, now) = (key.to_owned(), self.clock.now());
        let window = ttl_secs(window);
        run(&self.pool, move |conn| {
            let counter = Counter {
                kind: kind.prefix(),
                key: &key,
                window,
                now,
            };
            let n = write_tx(conn, |conn| incr_once(conn, &counter))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn purge_expired(&self) -> StorageResult<u64> {
        let now = self.clock.now();
        run_write(&self.pool, move |conn| {
            let n = diesel::delete(ephemeral::table.filter(ephemeral::expires_at.le(now))).execute(conn)?;
            Ok(n as u64)
        })
        .await
    }

    async fn ping(&self) -> StorageResult<()> {
        run(&self.pool, |conn| Ok(conn.batch_execute("SELECT 1")?)).await
    }
}
