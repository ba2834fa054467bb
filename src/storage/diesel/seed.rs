//! [`SeedStore`] over diesel: multi-row `INSERT`s in chunks that stay under both backends' bind
//! limits (SQLite 32,766, PostgreSQL 65,535), one write transaction per batch.

use async_trait::async_trait;
use diesel::prelude::*;

use super::rows::{FamilyRow, TokenRow, UserRow};
use super::schema::{refresh_tokens, token_families, users};
use super::{DieselStore, on_backend, write_tx};
use crate::storage::{SeedBatch, SeedStore, StorageResult};

/// Rows per `INSERT`: the widest row (a token family) has 18 columns, 18 x 1,000 binds.
const ROWS_PER_STATEMENT: usize = 1_000;

#[async_trait]
impl SeedStore for DieselStore {
    async fn insert_seed_batch(&self, batch: SeedBatch) -> StorageResult<u64> {
        let users: Vec<UserRow> = batch.users.into_iter().map(UserRow::from_new).collect();
        let (families, tokens): (Vec<FamilyRow>, Vec<TokenRow>) = batch
            .grants
            .into_iter()
            .map(|(f, t)| (FamilyRow::from(f), TokenRow::from(t)))
            .unzip();
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                let mut n = 0;
                for chunk in users.chunks(ROWS_PER_STATEMENT) {
                    n += on_backend!(&mut *conn, |c| diesel::insert_into(users::table)
                        .values(chunk)
                        .execute(c))?;
                }
                for chunk in families.chunks(ROWS_PER_STATEMENT) {
                    n += on_backend!(&mut *conn, |c| diesel::insert_into(token_families::table)
                        .values(chunk)
                        .execute(c))?;
                }
                for chunk in tokens.chunks(ROWS_PER_STATEMENT) {
                    n += on_backend!(&mut *conn, |c| diesel::insert_into(refresh_tokens::table)
                        .values(chunk)
                        .execute(c))?;
                }
                Ok(n as u64)
            })?)
        })
        .await
    }
}
