//! [`AuditStore`] over diesel: an append-only log, read newest first.

use async_trait::async_trait;
use diesel::prelude::*;

use super::DieselStore;
use super::rows::{AuditRow, NewAuditRow};
use super::schema::audit_events;
use crate::storage::{AuditEvent, AuditStore, StorageResult};

#[async_trait]
impl AuditStore for DieselStore {
    async fn record(&self, event: AuditEvent) -> StorageResult<()> {
        let row = NewAuditRow::from(event);
        self.run(move |conn| {
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
}
