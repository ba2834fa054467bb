//! [`ConsentStore`] over diesel (docs/security.md D.23): one remembered consent per (user, client).

use async_trait::async_trait;
use diesel::prelude::*;

use super::rows::ConsentRow;
use super::schema::consents;
use super::{DieselStore, on_backend};
use crate::storage::{Consent, ConsentStore, StorageResult};

#[async_trait]
impl ConsentStore for DieselStore {
    async fn consent(&self, user_id: &str, client_id: &str) -> StorageResult<Option<Consent>> {
        let (user_id, client_id) = (user_id.to_owned(), client_id.to_owned());
        self.run(move |conn| {
            let row = consents::table
                .find((user_id, client_id))
                .select(ConsentRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(Consent::from))
        })
        .await
    }

    /// An atomic upsert (`INSERT ... ON CONFLICT (user_id, client_id) DO UPDATE`).
    async fn save_consent(&self, consent: Consent) -> StorageResult<()> {
        let row = ConsentRow::from(consent);
        self.write(move |conn| {
            on_backend!(conn, |c| diesel::insert_into(consents::table)
                .values(&row)
                .on_conflict((consents::user_id, consents::client_id))
                .do_update()
                .set((
                    consents::scope.eq(&row.scope),
                    consents::granted_at.eq(row.granted_at)
                ))
                .execute(c))?;
            Ok(())
        })
        .await
    }

    async fn delete_consent(&self, user_id: &str, client_id: &str) -> StorageResult<bool> {
        let (user_id, client_id) = (user_id.to_owned(), client_id.to_owned());
        self.write(move |conn| {
            let n = diesel::delete(consents::table.find((user_id, client_id))).execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn consents_for_user(&self, user_id: &str) -> StorageResult<Vec<Consent>> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            let rows = consents::table
                .filter(consents::user_id.eq(user_id))
                .order(consents::client_id.asc())
                .select(ConsentRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(Consent::from).collect())
        })
        .await
    }
}
