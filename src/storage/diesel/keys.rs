//! [`KeyStore`] over diesel (docs/security.md E.24-25): sealed private JWKs and their lifecycle.

use async_trait::async_trait;
use diesel::prelude::*;

use super::DieselStore;
use super::rows::KeyRow;
use super::schema::signing_keys;
use crate::storage::{KeyStore, SigningKey, StorageResult};

#[async_trait]
impl KeyStore for DieselStore {
    async fn insert_key(&self, key: SigningKey) -> StorageResult<()> {
        let row = KeyRow::from(key);
        self.write(move |conn| {
            diesel::insert_into(signing_keys::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn list_keys(&self) -> StorageResult<Vec<SigningKey>> {
        self.run(|conn| {
            let rows = signing_keys::table
                .order((signing_keys::created_at.asc(), signing_keys::kid.asc()))
                .select(KeyRow::as_select())
                .load(conn)?;
            rows.into_iter().map(SigningKey::try_from).collect()
        })
        .await
    }

    async fn update_key_lifecycle(
        &self,
        kid: &str,
        retired_at: Option<i64>,
        expires_at: Option<i64>,
    ) -> StorageResult<bool> {
        let kid = kid.to_owned();
        self.write(move |conn| {
            let n = diesel::update(signing_keys::table.find(kid))
                .set((
                    signing_keys::retired_at.eq(retired_at),
                    signing_keys::expires_at.eq(expires_at),
                ))
                .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_expired_keys(&self, now: i64) -> StorageResult<u64> {
        self.write(move |conn| {
            let n =
                diesel::delete(signing_keys::table.filter(signing_keys::expires_at.lt(now))).execute(conn)?;
            Ok(n as u64)
        })
        .await
    }
}
