//! [`RevocationStore`] over diesel (RFC 7009 §2.1, docs/security.md C.18, E.30): revoked access-token
//! ids, numbered in commit order so that every node can follow the table from a watermark.

use async_trait::async_trait;
use diesel::connection::SimpleConnection;
use diesel::dsl::max;
use diesel::prelude::*;
use diesel::result::QueryResult;

use super::rows::RevokedRow;
use super::schema::revoked_tokens;
use super::{DbConnection, DieselStore, write_tx};
use crate::storage::{RevocationStore, RevokedToken, StorageResult};

#[async_trait]
impl RevocationStore for DieselStore {
    async fn revoke_token(&self, jti: &str, expires_at: i64, now: i64) -> StorageResult<()> {
        let row = RevokedRow {
            jti: jti.to_owned(),
            expires_at,
            revoked_at: now,
            seq: 0,
        };
        self.run(move |conn| Ok(write_tx(conn, |conn| insert_once(conn, &row))?))
            .await
    }

    async fn is_token_revoked(&self, jti: &str, now: i64) -> StorageResult<bool> {
        let jti = jti.to_owned();
        self.run(move |conn| {
            let found = revoked_tokens::table
                .find(jti)
                .filter(revoked_tokens::expires_at.gt(now))
                .select(revoked_tokens::seq)
                .first::<i64>(conn)
                .optional()?;
            Ok(found.is_some())
        })
        .await
    }

    async fn revoked_after(&self, after: i64, limit: i64) -> StorageResult<Vec<RevokedToken>> {
        self.run(move |conn| {
            let rows = revoked_tokens::table
                .filter(revoked_tokens::seq.gt(after))
                .order(revoked_tokens::seq.asc())
                .limit(limit)
                .select(RevokedRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(RevokedToken::from).collect())
        })
        .await
    }

    async fn purge_revoked_tokens(&self, now: i64) -> StorageResult<u64> {
        self.run(move |conn| Ok(write_tx(conn, |conn| purge_once(conn, now))?))
            .await
    }
}

/// The newest `seq`, or 0 for an empty table.
fn last_seq(conn: &mut DbConnection) -> QueryResult<i64> {
    let last = revoked_tokens::table
        .select(max(revoked_tokens::seq))
        .first::<Option<i64>>(conn)?;
    Ok(last.unwrap_or(0))
}

/// The body of the revocation transaction. On SQLite `BEGIN IMMEDIATE` already holds the write
/// lock; on PostgreSQL the table's EXCLUSIVE lock (which readers ignore) makes writers take their
/// number and commit one at a time, so no row can appear below a `seq` a reader has already seen.
fn insert_once(conn: &mut DbConnection, row: &RevokedRow) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        c.batch_execute("LOCK TABLE revoked_tokens IN EXCLUSIVE MODE")?;
    }
    let known = revoked_tokens::table
        .find(&row.jti)
        .select(revoked_tokens::seq)
        .first::<i64>(conn)
        .optional()?;
    if known.is_some() {
        return Ok(());
    }
    let numbered = RevokedRow {
        seq: last_seq(conn)? + 1,
        ..row.clone()
    };
    diesel::insert_into(revoked_tokens::table)
        .values(&numbered)
        .execute(conn)?;
    Ok(())
}

/// The body of the purge transaction: the newest row stays, so numbers are never reused.
fn purge_once(conn: &mut DbConnection, now: i64) -> QueryResult<u64> {
    let last = last_seq(conn)?;
    let n = diesel::delete(
        revoked_tokens::table
            .filter(revoked_tokens::expires_at.le(now))
            .filter(revoked_tokens::seq.lt(last)),
    )
    .execute(conn)?;
    Ok(n as u64)
}
