//! [`ClientStore`] over diesel (RFC 6749 §2). List columns are JSON arrays.

use async_trait::async_trait;
use diesel::prelude::*;

use super::rows::ClientRow;
use super::schema::{backchannel_sessions, clients, consents, refresh_tokens, token_families};
use super::{DieselStore, write_tx};
use crate::storage::cache::{ClientCache, PolicyCache};
use crate::storage::{Client, ClientStore, StorageResult};

#[async_trait]
impl ClientStore for DieselStore {
    async fn create_client(&self, client: Client) -> StorageResult<()> {
        let row = ClientRow::from_model(&client)?;
        let result = self
            .run(move |conn| {
                diesel::insert_into(clients::table).values(&row).execute(conn)?;
                Ok(())
            })
            .await;
        self.clients.changed(&client.client_id).await;
        result
    }

    /// From this node's cache when it was read less than its TTL ago (docs/security.md E.35).
    async fn client_by_id(&self, client_id: &str) -> StorageResult<Option<Client>> {
        let id = client_id.to_owned();
        let read = self.run(move |conn| {
            let row = clients::table
                .find(id)
                .select(ClientRow::as_select())
                .first(conn)
                .optional()?;
            row.map(Client::try_from).transpose()
        });
        self.clients.read_through(client_id, read).await
    }

    fn client_cache(&self) -> Option<&ClientCache> {
        Some(&self.clients)
    }

    fn policy_cache(&self) -> Option<&PolicyCache> {
        Some(&self.policies)
    }

    async fn list_clients(&self) -> StorageResult<Vec<Client>> {
        self.run(|conn| {
            let rows = clients::table
                .order((clients::name.asc(), clients::client_id.asc()))
                .select(ClientRow::as_select())
                .load(conn)?;
            rows.into_iter().map(Client::try_from).collect()
        })
        .await
    }

    async fn count_clients(&self) -> StorageResult<i64> {
        self.run(|conn| Ok(clients::table.count().get_result(conn)?))
            .await
    }

    async fn set_client_secret_hash(&self, client_id: &str, secret_hash: &str) -> StorageResult<bool> {
        let (id, hash) = (client_id.to_owned(), secret_hash.to_owned());
        let result = self
            .run(move |conn| {
                let n = diesel::update(clients::table.find(id))
                    .set(clients::secret_hash.eq(Some(hash)))
                    .execute(conn)?;
                Ok(n > 0)
            })
            .await;
        self.clients.changed(client_id).await;
        result
    }

    /// Deletes the client's refresh tokens, families and consents, then the client, in one
    /// transaction.
    async fn delete_client(&self, client_id: &str) -> StorageResult<bool> {
        let id = client_id.to_owned();
        let result = self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                let families = token_families::table
                    .filter(token_families::client_id.eq(&id))
                    .select(token_families::id);
                diesel::delete(refresh_tokens::table.filter(refresh_tokens::family_id.eq_any(families)))
                    .execute(conn)?;
                diesel::delete(refresh_tokens::table.filter(refresh_tokens::client_id.eq(&id)))
                    .execute(conn)?;
                diesel::delete(token_families::table.filter(token_families::client_id.eq(&id)))
                    .execute(conn)?;
                diesel::delete(consents::table.filter(consents::client_id.eq(&id))).execute(conn)?;
                diesel::delete(backchannel_sessions::table.filter(backchannel_sessions::client_id.eq(&id)))
                    .execute(conn)?;
                // A client made later with the same id inherits nothing (docs/security.md J.4).
                super::apis::forget_client(conn, &id)?;
                let n = diesel::delete(clients::table.find(&id)).execute(conn)?;
                Ok(n > 0)
            })?)
        });
        let result = result.await;
        self.policies.forget(client_id);
        self.clients.changed(client_id).await;
        result
    }
}
