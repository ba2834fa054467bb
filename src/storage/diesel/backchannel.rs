//! [`BackchannelStore`] over diesel (OpenID Back-Channel Logout 1.0; docs/clients.md,
//! "Back-channel logout"): the clients of each login session, and the delivery queue.

use async_trait::async_trait;
use diesel::prelude::*;

use super::rows::{BackchannelSessionRow, DeliveryRow};
use super::schema::{backchannel_deliveries, backchannel_sessions, clients};
use super::{DbConnection, DieselStore, on_backend, write_tx};
use crate::storage::{BackchannelDelivery, BackchannelStore, LogoutScope, StorageResult};

/// The body of the [`BackchannelStore::queue_logout`] transaction.
fn queue_once(conn: &mut DbConnection, user_id: &str, sid: Option<&str>, now: i64) -> QueryResult<u64> {
    let mut ended = backchannel_sessions::table
        .filter(backchannel_sessions::user_id.eq(user_id))
        .into_boxed();
    if let Some(sid) = sid {
        ended = ended.filter(backchannel_sessions::sid.eq(sid));
    }
    let records: Vec<BackchannelSessionRow> = ended.select(BackchannelSessionRow::as_select()).load(conn)?;
    if records.is_empty() {
        return Ok(0);
    }
    let mut gone = diesel::delete(backchannel_sessions::table)
        .filter(backchannel_sessions::user_id.eq(user_id))
        .into_boxed();
    if let Some(sid) = sid {
        gone = gone.filter(backchannel_sessions::sid.eq(sid));
    }
    gone.execute(conn)?;
    let client_ids: Vec<&str> = records.iter().map(|r| r.client_id.as_str()).collect();
    let registered: Vec<(String, Option<String>, bool)> = clients::table
        .filter(clients::client_id.eq_any(&client_ids))
        .select((
            clients::client_id,
            clients::backchannel_logout_uri,
            clients::backchannel_logout_session_required,
        ))
        .load(conn)?;
    let deliveries: Vec<DeliveryRow> = records
        .iter()
        .filter_map(|r| {
            let (_, uri, session_required) = registered.iter().find(|(id, _, _)| *id == r.client_id)?;
            let sid = Some(r.sid.clone()).filter(|s| !s.is_empty());
            if *session_required && sid.is_none() {
                return None;
            }
            Some(DeliveryRow {
                id: crate::random::random_id(),
                client_id: r.client_id.clone(),
                uri: uri.clone()?,
                sub: r.user_id.clone(),
                sid,
                attempts: 0,
                next_attempt_at: now,
                created_at: now,
                last_error: None,
            })
        })
        .collect();
    for row in &deliveries {
        diesel::insert_into(backchannel_deliveries::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(deliveries.len() as u64)
}

#[async_trait]
impl BackchannelStore for DieselStore {
    /// An upsert (`INSERT ... ON CONFLICT DO UPDATE`) that only ever extends `expires_at`.
    async fn record_backchannel_session(
        &self,
        client_id: &str,
        user_id: &str,
        sid: Option<&str>,
        now: i64,
        expires_at: i64,
    ) -> StorageResult<()> {
        let row = BackchannelSessionRow {
            client_id: client_id.to_owned(),
            user_id: user_id.to_owned(),
            sid: sid.unwrap_or_default().to_owned(),
            created_at: now,
            expires_at,
        };
        self.write(move |conn| {
            on_backend!(conn, |c| diesel::insert_into(backchannel_sessions::table)
                .values(&row)
                .on_conflict((
                    backchannel_sessions::client_id,
                    backchannel_sessions::user_id,
                    backchannel_sessions::sid
                ))
                .do_update()
                .set(backchannel_sessions::expires_at.eq(row.expires_at))
                .execute(c))?;
            Ok(())
        })
        .await
    }

    async fn queue_logout(&self, user_id: &str, scope: LogoutScope<'_>, now: i64) -> StorageResult<u64> {
        let user_id = user_id.to_owned();
        let sid = match scope {
            LogoutScope::Session(sid) => Some(sid.to_owned()),
            LogoutScope::User => None,
        };
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                queue_once(conn, &user_id, sid.as_deref(), now)
            })?)
        })
        .await
    }

    async fn claim_backchannel_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StorageResult<Vec<BackchannelDelivery>> {
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                let due: Vec<DeliveryRow> = backchannel_deliveries::table
                    .filter(backchannel_deliveries::next_attempt_at.le(now))
                    .order((
                        backchannel_deliveries::next_attempt_at.asc(),
                        backchannel_deliveries::id.asc(),
                    ))
                    .limit(limit)
                    .select(DeliveryRow::as_select())
                    .load(conn)?;
                let mut claimed = Vec::with_capacity(due.len());
                for mut row in due {
                    // Conditional: another node that claimed it first moved next_attempt_at on.
                    let n = diesel::update(
                        backchannel_deliveries::table
                            .find(&row.id)
                            .filter(backchannel_deliveries::next_attempt_at.le(now)),
                    )
                    .set(backchannel_deliveries::next_attempt_at.eq(lease_until))
                    .execute(conn)?;
                    if n == 1 {
                        row.next_attempt_at = lease_until;
                        claimed.push(BackchannelDelivery::from(row));
                    }
                }
                Ok(claimed)
            })?)
        })
        .await
    }

    async fn delete_backchannel_delivery(&self, id: &str) -> StorageResult<bool> {
        let id = id.to_owned();
        self.write(move |conn| Ok(diesel::delete(backchannel_deliveries::table.find(id)).execute(conn)? > 0))
            .await
    }

    async fn retry_backchannel_delivery(
        &self,
        id: &str,
        attempts: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> StorageResult<bool> {
        let (id, error) = (id.to_owned(), error.to_owned());
        self.write(move |conn| {
            let n = diesel::update(backchannel_deliveries::table.find(id))
                .set((
                    backchannel_deliveries::attempts.eq(attempts),
                    backchannel_deliveries::next_attempt_at.eq(next_attempt_at),
                    backchannel_deliveries::last_error.eq(Some(error)),
                ))
                .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn backchannel_deliveries(&self) -> StorageResult<Vec<BackchannelDelivery>> {
        self.run(|conn| {
            let rows = backchannel_deliveries::table
                .order((
                    backchannel_deliveries::created_at.asc(),
                    backchannel_deliveries::id.asc(),
                ))
                .select(DeliveryRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(BackchannelDelivery::from).collect())
        })
        .await
    }

    async fn purge_backchannel_sessions(&self, now: i64) -> StorageResult<u64> {
        self.write(move |conn| {
            let n =
                diesel::delete(backchannel_sessions::table.filter(backchannel_sessions::expires_at.lt(now)))
                    .execute(conn)?;
            Ok(n as u64)
        })
        .await
    }
}
