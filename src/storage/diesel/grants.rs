//! [`GrantStore`] over diesel: refresh-token families and rotation with reuse detection
//! (RFC 6749 §6, RFC 9700 §4.14, docs/security.md C.13).

use async_trait::async_trait;
use diesel::dsl::{AsSelect, SqlTypeOf, exists};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError, QueryResult};

use super::rows::{FamilyRow, TokenRow, UserRow};
use super::schema::{refresh_tokens, token_families, users};
use super::{DbConnection, DieselStore, on_backend, write_tx};
use crate::storage::{GrantStore, RefreshToken, RotateOutcome, StorageResult, TokenFamily, User};

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
            let row = token_with_family(conn, &hash)?;
            Ok(row.map(|(t, f)| (t.into(), f.into())))
        })
        .await
    }

    async fn refresh_grant(
        &self,
        token_hash: &str,
    ) -> StorageResult<Option<(RefreshToken, TokenFamily, Option<User>)>> {
        let hash = token_hash.to_owned();
        self.run(move |conn| {
            let Some((token, family)) = token_with_family(conn, &hash)? else {
                return Ok(None);
            };
            let user = match &family.user_id {
                Some(id) => users::table
                    .find(id)
                    .select(UserRow::as_select())
                    .first(conn)
                    .optional()?
                    .map(User::from),
                None => None,
            };
            Ok(Some((token.into(), family.into(), user)))
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
        self.write(move |conn| {
            if revoke_live(conn, &id, now)? {
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

    /// One write transaction: revoke the family; if there is none, insert the revoked placeholder
    /// (`ON CONFLICT DO NOTHING`); if a concurrent `create_family` won that race, revoke what it
    /// created. A missing user or client (a foreign-key failure) means nothing to bar.
    async fn revoke_grant(&self, placeholder: TokenFamily, now: i64) -> StorageResult<()> {
        let row = FamilyRow {
            revoked_at: Some(now),
            ..FamilyRow::from(placeholder)
        };
        self.run(
            move |conn| match write_tx(conn, |conn| bar_once(conn, &row, now)) {
                Err(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => Ok(()),
                other => Ok(other?),
            },
        )
        .await
    }

    async fn revoke_user_families(&self, user_id: &str, now: i64) -> StorageResult<u64> {
        let user_id = user_id.to_owned();
        self.write(move |conn| {
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
        self.write(move |conn| {
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

    async fn active_families(
        &self,
        user_id: Option<&str>,
        client_id: Option<&str>,
        now: i64,
    ) -> StorageResult<Vec<TokenFamily>> {
        let (user_id, client_id) = (user_id.map(str::to_owned), client_id.map(str::to_owned));
        self.run(move |conn| {
            let rows = live_families(user_id, client_id, now).load(conn)?;
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

type Backend = <DbConnection as Connection>::Backend;

/// The families of `user_id` and/or `client_id` (each one given must match) that are not revoked
/// and not absolutely expired at `now`, by id.
pub(super) fn live_families<'a>(
    user_id: Option<String>,
    client_id: Option<String>,
    now: i64,
) -> token_families::BoxedQuery<'a, Backend, SqlTypeOf<AsSelect<FamilyRow, Backend>>> {
    let mut query = token_families::table
        .filter(token_families::revoked_at.is_null())
        .filter(token_families::absolute_expires_at.gt(now))
        .order(token_families::id.asc())
        .select(FamilyRow::as_select())
        .into_boxed::<Backend>();
    if let Some(user_id) = user_id {
        query = query.filter(token_families::user_id.eq(user_id));
    }
    if let Some(client_id) = client_id {
        query = query.filter(token_families::client_id.eq(client_id));
    }
    query
}

/// A refresh token by digest, with its family (one join on the primary keys).
fn token_with_family(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<(TokenRow, FamilyRow)>> {
    refresh_tokens::table
        .inner_join(token_families::table)
        .filter(refresh_tokens::token_hash.eq(hash))
        .select((TokenRow::as_select(), FamilyRow::as_select()))
        .first::<(TokenRow, FamilyRow)>(conn)
        .optional()
}

/// The body of the rotation transaction (see [`GrantStore::rotate_refresh_token`]).
fn rotate_once(
    conn: &mut DbConnection,
    old: &str,
    new: &TokenRow,
    now: i64,
    ip: Option<&str>,
) -> QueryResult<RotateOutcome> {
    // A correlated EXISTS on the family's primary key: one index probe. (`family_id IN (SELECT id
    // FROM token_families WHERE revoked_at IS NULL)` made SQLite list every live family first.)
    let family_is_live = exists(
        token_families::table
            .filter(token_families::id.eq(refresh_tokens::family_id))
            .filter(token_families::revoked_at.is_null())
            .select(token_families::id),
    );
    // The conditional update decides the winner: on PostgreSQL a concurrent caller blocks on
    // the row lock and then re-checks `used_at IS NULL`, so exactly one sees 1 row.
    let won = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(old))
            .filter(refresh_tokens::used_at.is_null())
            .filter(family_is_live),
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
    revoke_live(conn, &family_id, now)?;
    Ok(RotateOutcome::Reused { family_id })
}

/// Revokes the family `id` if it is live; returns whether a row changed.
fn revoke_live(conn: &mut DbConnection, id: &str, now: i64) -> QueryResult<bool> {
    let n = diesel::update(
        token_families::table
            .find(id)
            .filter(token_families::revoked_at.is_null()),
    )
    .set(token_families::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n > 0)
}

/// The body of the [`GrantStore::revoke_grant`] transaction.
fn bar_once(conn: &mut DbConnection, placeholder: &FamilyRow, now: i64) -> QueryResult<()> {
    if revoke_live(conn, &placeholder.id, now)? {
        return Ok(());
    }
    let inserted = on_backend!(conn, |c| diesel::insert_into(token_families::table)
        .values(placeholder)
        .on_conflict(token_families::id)
        .do_nothing()
        .execute(c))?;
    if inserted == 0 {
        // The family exists: already revoked, or created by a transaction that committed after
        // the update above looked (PostgreSQL, READ COMMITTED): revoke it now.
        revoke_live(conn, &placeholder.id, now)?;
    }
    Ok(())
}

/// How far back the purge looks for revoked families whose refresh tokens are still stored: the
/// purge runs every minute, so a family revoked earlier had its tokens deleted already (if the purge
/// did not run for that long, they go with their family).
const RECENTLY_REVOKED_SECS: i64 = 3_600;

/// The body of the purge transaction (see [`GrantStore::purge_grants`]). Each statement finds its
/// rows through an index (`expires_at`, `revoked_at`, `absolute_expires_at`, `family_id`) and reads
/// only what it may delete, never a whole table or every revoked family.
fn purge_once(conn: &mut DbConnection, now: i64, cutoff: i64) -> QueryResult<u64> {
    let expired_tokens =
        diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.lt(now))).execute(conn)?;
    let recently_revoked = token_families::table
        .filter(token_families::revoked_at.ge(now.saturating_sub(RECENTLY_REVOKED_SECS)))
        .select(token_families::id);
    let revoked_tokens =
        diesel::delete(refresh_tokens::table.filter(refresh_tokens::family_id.eq_any(recently_revoked)))
            .execute(conn)?;
    // Families revoked or ended before the cutoff go, their remaining tokens first.
    let old_revoked = token_families::table
        .filter(token_families::revoked_at.lt(cutoff))
        .select(token_families::id);
    let ended = token_families::table
        .filter(token_families::absolute_expires_at.lt(cutoff))
        .select(token_families::id);
    let orphaned =
        diesel::delete(refresh_tokens::table.filter(refresh_tokens::family_id.eq_any(old_revoked)))
            .execute(conn)?
            + diesel::delete(refresh_tokens::table.filter(refresh_tokens::family_id.eq_any(ended)))
                .execute(conn)?;
    let families = diesel::delete(token_families::table.filter(token_families::revoked_at.lt(cutoff)))
        .execute(conn)?
        + diesel::delete(token_families::table.filter(token_families::absolute_expires_at.lt(cutoff)))
            .execute(conn)?;
    Ok((expired_tokens + revoked_tokens + orphaned + families) as u64)
}
