//! The admin lists read a page at a time (docs/admin-api.md, "Pagination"): keyset pagination in
//! the query (`WHERE key > cursor ORDER BY key LIMIT n`), filters in the query too, so a page
//! costs the same at a million rows as at ten. [`ListStore`] is the storage trait behind them.

use async_trait::async_trait;

use crate::storage::{Client, ClientSource, GrantType, StorageResult, TokenFamily, User};

/// Which users a page lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserListFilter {
    pub disabled: Option<bool>,
    /// Usernames that start with this (exactly, case-sensitive).
    pub username_prefix: Option<String>,
}

/// Which clients a page lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientListFilter {
    /// How it was registered.
    pub source: Option<ClientSource>,
    /// A grant type it is allowed.
    pub grant_type: Option<GrantType>,
}

/// Pages of the admin lists: each method returns at most `limit` records whose key is greater
/// than `after` (none: from the first), in ascending key order, among those the filter selects.
#[async_trait]
pub trait ListStore: Send + Sync {
    /// Users by username (served by `users_username_idx`).
    async fn users_page(
        &self,
        filter: &UserListFilter,
        after: Option<&str>,
        limit: i64,
    ) -> StorageResult<Vec<User>>;
    /// Clients by client_id (the primary key).
    async fn clients_page(
        &self,
        filter: &ClientListFilter,
        after: Option<&str>,
        limit: i64,
    ) -> StorageResult<Vec<Client>>;
    /// The families not revoked and not absolutely expired at `now` of `user_id` and/or
    /// `client_id` (each given one must match), by id (served by `token_families_user_id_id_idx`
    /// and `token_families_client_id_id_idx`).
    async fn families_page(
        &self,
        user_id: Option<&str>,
        client_id: Option<&str>,
        now: i64,
        after: Option<&str>,
        limit: i64,
    ) -> StorageResult<Vec<TokenFamily>>;
}
