//! APIs (resource servers) and what clients may do with them (docs/guides/apis.md,
//! docs/security.md J): the records and [`ApiStore`], the storage trait behind them.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::keys::Alg;
use crate::oauth::scope::Scope;
use crate::storage::StorageResult;

/// An API (a resource server, RFC 8707): its identifier is the `aud` of access tokens for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Api {
    /// An absolute URI without a fragment (RFC 8707 §2), e.g. `https://photos.example/api`.
    pub identifier: String,
    /// Display name, shown on the consent page.
    pub name: String,
    /// The scopes it defines, by name, with a description in plain words.
    pub scopes: Vec<ApiScope>,
    /// Lifetime of its access tokens; `None`: `tokens.access_token_ttl_secs`.
    pub access_token_ttl_secs: Option<i64>,
    /// Algorithm of its access tokens; `None`: `keys.default_alg`.
    pub alg: Option<Alg>,
    /// The confidential client that may introspect its access tokens (RFC 7662 §4).
    pub introspect_client: Option<String>,
    pub created_at: i64,
}

impl Api {
    /// The names of its scopes.
    pub fn scope(&self) -> Scope {
        Scope::from_tokens(self.scopes.iter().map(|s| s.name.as_str()))
    }

    /// The description of one of its scopes.
    pub fn describe(&self, scope: &str) -> Option<&str> {
        self.scopes
            .iter()
            .find(|s| s.name == scope)
            .map(|s| s.description.as_str())
    }
}

/// A scope an API defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiScope {
    pub name: String,
    /// What it allows, in plain words (the consent page).
    pub description: String,
}

/// What a client may do with APIs (docs/clients.md, "APIs").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientApiPolicy {
    /// The API its tokens are for when a request names no `resource` (`client add --api`).
    pub default_api: Option<String>,
    /// RFC 8693: the APIs it may exchange tokens into (`client add --exchange-to`).
    pub exchange_to: Vec<String>,
}

/// APIs and the clients' policies towards them. Identifiers are compared exactly.
#[async_trait]
pub trait ApiStore: Send + Sync {
    /// Inserts an API with its scopes in one transaction; `Conflict` when the identifier exists.
    async fn create_api(&self, api: Api) -> StorageResult<()>;
    async fn api_by_identifier(&self, identifier: &str) -> StorageResult<Option<Api>>;
    /// Every API with its scopes, by identifier.
    async fn list_apis(&self) -> StorageResult<Vec<Api>>;
    /// Deletes the API, its scopes and every client policy naming it, in one transaction. False if
    /// no such API.
    async fn delete_api(&self, identifier: &str) -> StorageResult<bool>;
    /// Replaces the API's own fields (`name`, `access_token_ttl_secs`, `alg`, `introspect_client`)
    /// with those of `api`, found by its identifier; its scopes and `created_at` stay. False if no
    /// such API.
    async fn update_api(&self, api: Api) -> StorageResult<bool>;
    /// Adds or replaces (by name) one scope of an existing API. False if no such API.
    async fn put_api_scope(&self, identifier: &str, scope: ApiScope) -> StorageResult<bool>;
    /// Removes one scope of an API. False if there was none.
    async fn delete_api_scope(&self, identifier: &str, name: &str) -> StorageResult<bool>;
    /// The APIs whose `introspect_client` is `client_id`, by identifier.
    async fn apis_introspected_by(&self, client_id: &str) -> StorageResult<Vec<String>>;
    /// The client's policy (the default when it has none).
    async fn client_api_policy(&self, client_id: &str) -> StorageResult<ClientApiPolicy>;
    /// Replaces the client's policy in one transaction.
    async fn set_client_api_policy(&self, client_id: &str, policy: ClientApiPolicy) -> StorageResult<()>;
}
