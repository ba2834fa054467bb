//! [`AuditStore`] over diesel: an append-only log, read newest first.

use async_trait::async_trait;
use diesel::prelude::*;

use super::DieselStore;
use super::conn::DbConnection;
use super::rows::{AuditRow, NewAuditRow};
use super::schema::audit_events;
use crate::storage::{AuditEvent, AuditFilter, AuditStore, StorageResult};

type Backend = <DbConnection as Connection>::Backend;

#[async_trait]
impl AuditStore for DieselStore {
    async fn record(&self, event: AuditEvent) -> StorageResult<()> {
        let row = NewAuditRow::from(event);
        self.write(move |conn| {
            diesel::insert_into(audit_events::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn recent_events(&self, limit: i64) -> StorageResult<Vec<AuditEvent>> {
        self.run(move |conn| {
            let rows = audit_events::table
                .order((audit_events::at.desc(), audit_events::id.desc()))
                .limit(limit.max(0))
                .select(AuditRow::as_select())
                .load(conn)?;
            rows.into_iter().map(AuditEvent::try_from).collect()
        })
        .await
    }

    async fn audit_events(&self, filter: &AuditFilter) -> StorageResult<Vec<AuditEvent>> {
        let page = self.audit_page(filter, None).await?;
        Ok(page.into_iter().map(|(_, e)| e).collect())
    }

    async fn audit_page(
        &self,
        filter: &AuditFilter,
        before: Option<(i64, i64)>,
    ) -> StorageResult<Vec<((i64, i64), AuditEvent)>> {
        let filter = filter.clone();
        self.run(move |conn| {
            let mut query = audit_events::table
                .select(AuditRow::as_select())
                .order((audit_events::at.desc(), audit_events::id.desc()))
                .limit(filter.limit.max(0))
                .into_boxed::<Backend>();
            if let Some((at, id)) = before {
                query = query.filter(
                    audit_events::at
                        .lt(at)
                        .or(audit_events::at.eq(at).and(audit_events::id.lt(id))),
                );
            }
            if let Some(user_id) = filter.user_id {
                query = query.filter(audit_events::user_id.eq(user_id));
            }
            if let Some(client_id) = filter.client_id {
                query = query.filter(audit_events::client_id.eq(client_id));
            }
            if !filter.kinds.is_empty() {
                let kinds: Vec<&str> = filter.kinds.iter().map(|k| k.as_str()).collect();
                query = query.filter(audit_events::kind.eq_any(kinds));
            }
            if let Some(since) = filter.since {
                query = query.filter(audit_events::at.ge(since));
            }
            let rows = query.load(conn)?;
            rows.into_iter()
                .map(|r| {
                    let key = (r.at, r.id);
                    AuditEvent::try_from(r).map(|e| (key, e))
                })
                .collect()
        })
        .await
    }
}
