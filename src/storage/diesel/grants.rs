//! [`GrantStore`] over diesel: refresh-token families and rotation with reuse detection
//! (RFC 6749 §6, RFC 9700 §4.14, docs/security.md C.13).

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::QueryResult;

use super::rows::{FamilyRow, TokenRow};
use super::schema::{refresh_tokens, token_families};
use super::{DbConnection, DieselStore, write_tx};
use crate::storage::{GrantStore, RefreshToken, RotateOutcome, StorageResult, TokenFamily};

#[async_trait]
impl GrantStore for DieselStore {
    async fn create_family(&self, family: TokenFamily, first: Option<RefreshToken>) -> StorageResult<()> {
        let family = FamilyRow::from(family);
        let first = first.map(TokenRow::from);
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                diesel::insert_into(token_families::table)
                    .values(&family)
                    .execute(conn)?;
                if let Some(token) = &first {
                    diesel::insert_into(refresh_tokens::table)
                        .values(token)
                        .execute(conn)?;
                }
                Ok(())
            })?)
        })
        .await
    }

    async fn family_by_id(&self, id: &str) -> StorageResult<Option<TokenFamily>> {
        let id = id.to_owned();
        self.run(move |conn| {
            let row = token_families::table
                .find(id)
                .select(FamilyRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(TokenFamily::from))
        })
        .await
    }

    async fn refresh_token(&self, token_hash: &str) -> StorageResult<Option<(RefreshToken, TokenFamily)>> {
        let hash = token_hash.to_owned();
        self.run(move |conn| {
            let row = refresh_tokens::table
                .inner_join(token_families::table)
                .filter(refresh_tokens::token_hash.eq(hash))
                .select((TokenRow::as_select(), FamilyRow::as_select()))
                .first::<(TokenRow, FamilyRow)>(conn)
                .optional()?;
            Ok(row.map(|(t, f)| (t.into(), f.into())))
        })
        .await
    }

    /// One write transaction (`BEGIN IMMEDIATE` on SQLite, READ COMMITTED on PostgreSQL) around
    /// a conditional update; transient failures are retried inside [`write_tx`].
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: RefreshToken,
        now: i64,
        ip: Option<String>,
    ) -> StorageResult<RotateOutcome> {
        let old = old_hash.to_owned();
        let new = TokenRow::from(new);
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                rotate_once(conn, &old, &new, now, ip.as_deref())
            })?)
        })
        .await
    }

    async fn revoke_family(&self, id: &str, now: i64) -> StorageResult<bool> {
        let id = id.to_owned();
        self.run(move |conn| {
            let n = diesel::update(
                token_families::table
                    .find(&id)
                    .filter(token_families::revoked_at.is_null()),
            )
            .set(token_families::revoked_at.eq(Some(now)))
            .execute(conn)?;
            if n > 0 {
                return Ok(true);
            }
            let exists = token_families::table
                .find(&id)
                .select(token_families::id)
                .first::<String>(conn)
                .optional()?;
            Ok(exists.is_some())
        })
        .await
    }

    async fn revoke_user_families(&self, user_id: &str, now: i64) -> StorageResult<u64> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            let n = diesel::update(
                token_families::table
                    .filter(token_families::user_id.eq(user_id))
                    .filter(token_families::revoked_at.is_null()),
            )
            .set(token_families::revoked_at.eq(Some(now)))
            .execute(conn)?;
            Ok(n as u64)
        })
        .await
    }

    async fn revoke_session_families(&self, sid: &str, now: i64) -> StorageResult<u64> {
        let sid = sid.to_owned();
        self.run(move |conn| {
            let n = diesel::update(
                token_families::table
                    .filter(token_families::sid.eq(sid))
                    .filter(token_families::session_bound.eq(true))
                    .filter(token_families::revoked_at.is_null()),
            )
            .set(token_families::revoked_at.eq(Some(now)))
            .execute(conn)?;
            Ok(n as u64)
        })
        .await
    }

    /// Not revoked and not past `absolute_expires_at`, newest `last_used_at` first.
    async fn active_families_for_user(&self, user_id: &str, now: i64) -> StorageResult<Vec<TokenFamily>> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            let rows = token_families::table
                .filter(token_families::user_id.eq(user_id))
                .filter(token_families::revoked_at.is_null())
                .filter(token_families::absolute_expires_at.gt(now))
                .order((token_families::last_used_at.desc(), token_families::id.asc()))
                .select(FamilyRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(TokenFamily::from).collect())
        })
        .await
    }

    async fn purge_grants(&self, now: i64, keep_secs: i64) -> StorageResult<u64> {
        let cutoff = now.saturating_sub(keep_secs.max(0));
        self.run(move |conn| Ok(write_tx(conn, |conn| purge_once(conn, now, cutoff))?))
            .await
    }
}

/// The body of the rotation transaction (see [`GrantStore::rotate_refresh_token`]).
fn rotate_once(
    conn: &mut DbConnection,
    old: &str,
    new: &TokenRow,
    now: i64,
    ip: Option<&str>,
) -> QueryResult<RotateOutcome> {
    let live_families = token_families::table
        .filter(token_families::revoked_at.is_null())
        .select(token_families::id);
    // The conditional update decides the winner: on PostgreSQL a concurrent caller blocks on
    // the row lock and then re-checks `used_at IS NULL`, so exactly one sees 1 row.
    let won = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(old))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::family_id.eq_any(live_families)),
    )
    .set(refresh_tokens::used_at.eq(Some(now)))
    .execute(conn)?;

    let family_id = refresh_tokens::table
        .find(old)
        .select(refresh_tokens::family_id)
        .first::<String>(conn)
        .optional()?;
    let Some(family_id) = family_id else {
        return Ok(RotateOutcome::NotFound);
    };

    if won == 1 {
        diesel::insert_into(refresh_tokens::table)
            .values(new)
            .execute(conn)?;
        let family = token_families::table.find(&family_id);
        match ip {
            Some(ip) => diesel::update(family)
                .set((
                    token_families::last_used_at.eq(now),
                    token_families::ip.eq(Some(ip)),
                ))
                .execute(conn)?,
            None => diesel::update(family)
                .set(token_families::last_used_at.eq(now))
                .execute(conn)?,
        };
        return Ok(RotateOutcome::Rotated);
    }

    // Reuse of a rotated token (or a token of a revoked family): revoke the whole family.
    diesel::update(
        token_families::table
            .find(&family_id)
            .filter(token_families::revoked_at.is_null()),
    )
    .set(token_families::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(RotateOutcome::Reused { family_id })
}

/// The body of the purge transaction (see [`GrantStore::purge_grants`]).
fn purge_once(conn: &mut DbConnection, now: i64, cutoff: i64) -> QueryResult<u64> {
    let revoked = token_families::table
        .filter(token_families::revoked_at.is_not_null())
        .select(token_families::id);
    let dead_tokens = diesel::delete(
        refresh_tokens::table.filter(
            refresh_tokens::family_id
                .eq_any(revoked)
                .or(refresh_tokens::expires_at.lt(now)),
        ),
    )
    .execute(conn)?;

    let old_family = token_families::revoked_at
        .lt(cutoff)
        .assume_not_null()
        .or(token_families::absolute_expires_at.lt(cutoff));
    let old_ids = token_families::table
        .filter(old_family)
        .select(token_families::id);
    let orphaned = diesel::delete(refresh_tokens::table.filter(refresh_tokens::family_id.eq_any(old_ids)))
        .execute(conn)?;
    let families = diesel::delete(token_families::table.filter(old_family)).execute(conn)?;
    Ok((dead_tokens + orphaned + families) as u64)
}
