//! Bulk inserts for the benchmark's scale curve (`portcullis dev seed`, bench/README.md): users,
//! token families and their live refresh tokens, many rows per statement, one transaction per batch.
//! Nothing here is used while serving.

use async_trait::async_trait;

use super::{NewUser, RefreshToken, StorageResult, TokenFamily};

/// One batch: users, then families each with its one live refresh token.
#[derive(Debug, Default)]
pub struct SeedBatch {
    pub users: Vec<NewUser>,
    pub grants: Vec<(TokenFamily, RefreshToken)>,
}

#[async_trait]
pub trait SeedStore: Send + Sync {
    /// Inserts the whole batch in one transaction (multi-row `INSERT`s); returns the rows written.
    async fn insert_seed_batch(&self, batch: SeedBatch) -> StorageResult<u64>;
}
