//! [`SelfServiceStore`] over diesel: verified addresses and the clients that offer sign-up.

use async_trait::async_trait;
use diesel::prelude::*;

use super::schema::{client_signup, users};
use super::{DieselStore, write_tx};
use crate::storage::{SelfServiceStore, StorageResult};

#[async_trait]
impl SelfServiceStore for DieselStore {
    async fn set_email_verified(&self, user_id: &str, email: &str, at: i64) -> StorageResult<bool> {
        let (id, email) = (user_id.to_owned(), email.to_owned());
        let result = self
            .run(move |conn| {
                let n = diesel::update(users::table.find(id).filter(users::email.eq(email)))
                    .set((users::email_verified.eq(true), users::updated_at.eq(at)))
                    .execute(conn)?;
                Ok(n > 0)
            })
            .await;
        self.users.changed(user_id).await;
        result
    }

    async fn client_allows_signup(&self, client_id: &str) -> StorageResult<bool> {
        let id = client_id.to_owned();
        self.run(move |conn| {
            let n: i64 = client_signup::table
                .filter(client_signup::client_id.eq(id))
                .count()
                .get_result(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn set_client_signup(&self, client_id: &str, allowed: bool) -> StorageResult<()> {
        let id = client_id.to_owned();
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                // Replaced rather than upserted: one statement form for both backends.
                diesel::delete(client_signup::table.find(&id)).execute(conn)?;
                if allowed {
                    diesel::insert_into(client_signup::table)
                        .values(client_signup::client_id.eq(&id))
                        .execute(conn)?;
                }
                Ok(())
            })?)
        })
        .await
    }
}
