//! APIs (resource servers, RFC 8707; docs/guides/apis.md, docs/security.md J) for
//! `portcullis api ...` and `/admin/api/v1/apis`: registered, listed, removed, and their scopes.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{Actor, record};
use super::{AdminError, Page, PageRequest};
use crate::config::registration::ADMIN_SCOPE_PREFIX;
use crate::keys::Alg;
use crate::oauth::scope::Scope;
use crate::storage::{Api, ApiScope, AuditKind, DynStore, StorageError};

/// A scope of an API as given: a name and, optionally, its description.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeSpec {
    /// One RFC 6749 §3.3 scope token; not an OpenID scope, not `portcullis:...`.
    pub name: String,
    /// What it allows, in plain words [default: "Use <API name> (<scope>)"].
    #[serde(default)]
    pub description: Option<String>,
}

/// A new API.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiSpec {
    /// An absolute URI without a fragment (RFC 8707 §2): the `aud` of its tokens.
    pub identifier: String,
    /// Display name, shown on the consent page.
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<ScopeSpec>,
    /// Lifetime of its access tokens in seconds [default: tokens.access_token_ttl_secs].
    #[serde(default)]
    pub access_token_ttl_secs: Option<i64>,
    /// Algorithm of its access tokens [default: keys.default_alg].
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub alg: Option<Alg>,
    /// The confidential client that may introspect its access tokens (RFC 7662 §4).
    #[serde(default)]
    pub introspect_client: Option<String>,
}

/// A change to an API (`PATCH /apis/{identifier}`, `portcullis api edit`): absent members stay as
/// they are; `null` puts the lifetime or algorithm back to the server's default, or leaves the API
/// without an introspecting client. The identifier cannot change: it is the `aud` of the tokens
/// already issued for the API (RFC 8707 §2), and its resource servers check it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiPatch {
    /// Refused unless it is the API's own: register a new API for a new identifier.
    #[serde(default)]
    pub identifier: Option<String>,
    /// Display name, shown on the consent page.
    #[serde(default)]
    pub name: Option<String>,
    /// Lifetime of its access tokens in seconds; `null`: tokens.access_token_ttl_secs.
    #[serde(default, deserialize_with = "super::users::present")]
    #[schema(value_type = Option<i64>)]
    pub access_token_ttl_secs: Option<Option<i64>>,
    /// Algorithm of its access tokens; `null`: keys.default_alg.
    #[serde(default, deserialize_with = "super::users::present")]
    #[schema(value_type = Option<String>)]
    pub alg: Option<Option<Alg>>,
    /// The confidential client that may introspect its access tokens; `null`: none.
    #[serde(default, deserialize_with = "super::users::present")]
    #[schema(value_type = Option<String>)]
    pub introspect_client: Option<Option<String>>,
}

/// An API as shown.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiView {
    pub identifier: String,
    pub name: String,
    #[schema(value_type = Vec<ScopeSpec>)]
    pub scopes: Vec<ApiScope>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_ttl_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub alg: Option<Alg>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspect_client: Option<String>,
    pub created_at: i64,
}

impl From<Api> for ApiView {
    fn from(a: Api) -> Self {
        ApiView {
            identifier: a.identifier,
            name: a.name,
            scopes: a.scopes,
            access_token_ttl_secs: a.access_token_ttl_secs,
            alg: a.alg,
            introspect_client: a.introspect_client,
            created_at: a.created_at,
        }
    }
}

/// A scope an API may define: one scope token, not an identity scope (`openid`, `profile`, ...),
/// not an administration scope (`portcullis:...`, docs/security.md M.3).
pub fn check_scope(spec: ScopeSpec, api_name: &str) -> Result<ApiScope, AdminError> {
    let name = spec.name.trim();
    let parsed = Scope::parse(name).ok().filter(|s| s.iter().count() == 1);
    if parsed.is_none() {
        return Err(AdminError::invalid(format!(
            "{name:?}: a scope name is one RFC 6749 §3.3 scope token (no spaces)"
        )));
    }
    if crate::apis::identity_scopes().contains(name) {
        return Err(AdminError::invalid(format!(
            "{name} is an OpenID scope, not an API's; pick another name"
        )));
    }
    if name.starts_with(ADMIN_SCOPE_PREFIX) {
        return Err(AdminError::invalid(format!(
            "{name}: the {ADMIN_SCOPE_PREFIX} scopes are Portcullis's own"
        )));
    }
    let description = match spec.description.as_deref().map(str::trim) {
        Some(d) if !d.is_empty() => d.to_string(),
        _ => format!("Use {api_name} ({name})"),
    };
    Ok(ApiScope {
        name: name.to_string(),
        description,
    })
}

/// RFC 8707 §2 + docs/security.md J.1: checks `spec` and builds the API record. `issuer`: the
/// admin API's identifier is Portcullis's own and cannot be registered.
pub fn build(spec: ApiSpec, issuer: &str, now: i64) -> Result<Api, AdminError> {
    crate::oauth::resource::parse(&spec.identifier)
        .map_err(|e| AdminError::invalid(format!("{}: {}", spec.identifier, e.description)))?;
    if spec.identifier == super::identifier(issuer) {
        return Err(AdminError::invalid(
            "this identifier is the admin API's own and cannot be registered",
        ));
    }
    let name = check_name(&spec.name)?;
    check_ttl(spec.access_token_ttl_secs)?;
    let mut scopes: Vec<ApiScope> = Vec::new();
    for raw in spec.scopes {
        let scope = check_scope(raw, name)?;
        if scopes.iter().any(|s| s.name == scope.name) {
            return Err(AdminError::invalid(format!("scope {} given twice", scope.name)));
        }
        scopes.push(scope);
    }
    Ok(Api {
        identifier: spec.identifier,
        name: name.to_string(),
        scopes,
        access_token_ttl_secs: spec.access_token_ttl_secs,
        alg: spec.alg,
        introspect_client: spec.introspect_client,
        created_at: now,
    })
}

/// An API's display name: not empty once trimmed.
fn check_name(name: &str) -> Result<&str, AdminError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AdminError::invalid("the API name must not be empty"));
    }
    Ok(name)
}

/// An access-token lifetime: a positive number of seconds.
fn check_ttl(ttl: Option<i64>) -> Result<(), AdminError> {
    if ttl.is_some_and(|t| t <= 0) {
        return Err(AdminError::invalid(
            "the access token lifetime must be a positive number of seconds",
        ));
    }
    Ok(())
}

/// What an API names beyond itself: a signing key of its algorithm exists, and its introspecting
/// client is a confidential one.
async fn check_references(
    store: &DynStore,
    alg: Option<Alg>,
    introspect_client: Option<&str>,
) -> Result<(), AdminError> {
    if let Some(alg) = alg {
        let keys = store.list_keys().await?;
        if !keys.iter().any(|k| k.alg == alg && k.retired_at.is_none()) {
            return Err(AdminError::invalid(format!(
                "alg {alg}: there is no {alg} signing key; make one first with \
                 `portcullis keys rotate --alg {alg} --now`"
            )));
        }
    }
    if let Some(id) = introspect_client {
        let client = store.client_by_id(id).await?.ok_or_else(|| {
            AdminError::invalid(format!("introspect_client: no client with client_id {id}"))
        })?;
        if client.is_public() {
            return Err(AdminError::invalid(format!(
                "introspect_client: {id} is a public client; introspection needs a confidential one"
            )));
        }
    }
    Ok(())
}

/// Registers an API after checking that its algorithm has a key and its introspecting client is
/// a confidential one.
pub async fn create(
    store: &DynStore,
    actor: &Actor,
    spec: ApiSpec,
    issuer: &str,
    now: i64,
) -> Result<ApiView, AdminError> {
    let api = build(spec, issuer, now)?;
    check_references(store, api.alg, api.introspect_client.as_deref()).await?;
    store.create_api(api.clone()).await.map_err(|e| match e {
        StorageError::Conflict(_) => {
            AdminError::conflict(format!("an API {} already exists", api.identifier))
        }
        e => e.into(),
    })?;
    let scopes: Vec<&str> = api.scopes.iter().map(|s| s.name.as_str()).collect();
    let detail = json!({ "api": api.identifier, "scopes": scopes });
    record(store, actor, AuditKind::ApiCreated, None, None, detail).await;
    Ok(ApiView::from(api))
}

/// Every API, by identifier.
pub async fn all(store: &DynStore) -> Result<Vec<ApiView>, AdminError> {
    Ok(store.list_apis().await?.into_iter().map(ApiView::from).collect())
}

/// APIs by identifier, a page at a time.
pub async fn list(store: &DynStore, page: &PageRequest) -> Result<Page<ApiView>, AdminError> {
    page.paginate(all(store).await?, |a| a.identifier.clone())
}

pub async fn get(store: &DynStore, identifier: &str) -> Result<ApiView, AdminError> {
    store
        .api_by_identifier(identifier)
        .await?
        .map(ApiView::from)
        .ok_or_else(|| not_found(identifier))
}

/// Changes an API's own fields (docs/admin-api.md, "APIs"); its scopes change one at a time
/// ([`put_scope`], [`delete_scope`]). The identifier never changes (see [`ApiPatch`]).
pub async fn update(
    store: &DynStore,
    actor: &Actor,
    identifier: &str,
    patch: ApiPatch,
) -> Result<ApiView, AdminError> {
    let mut api = store
        .api_by_identifier(identifier)
        .await?
        .ok_or_else(|| not_found(identifier))?;
    if patch.identifier.as_deref().is_some_and(|i| i != api.identifier) {
        return Err(AdminError::invalid(
            "identifier cannot change: it is the aud of the access tokens already issued for this API \
             and its resource servers check it; register a new API instead",
        ));
    }
    let mut changed: Vec<&str> = Vec::new();
    if let Some(name) = &patch.name {
        api.name = check_name(name)?.to_string();
        changed.push("name");
    }
    if let Some(ttl) = patch.access_token_ttl_secs {
        check_ttl(ttl)?;
        api.access_token_ttl_secs = ttl;
        changed.push("access_token_ttl_secs");
    }
    if let Some(alg) = &patch.alg {
        api.alg = *alg;
        changed.push("alg");
    }
    if let Some(client) = &patch.introspect_client {
        api.introspect_client = client.clone();
        changed.push("introspect_client");
    }
    // Only what this change names is checked: a key retired since does not block a new name.
    let new_alg = patch.alg.flatten();
    let new_client = patch.introspect_client.as_ref().and_then(|c| c.as_deref());
    check_references(store, new_alg, new_client).await?;
    if !store.update_api(api.clone()).await? {
        return Err(not_found(identifier));
    }
    let detail = json!({ "api": identifier, "change": "updated", "fields": changed });
    record(store, actor, AuditKind::ApiChanged, None, None, detail).await;
    get(store, identifier).await
}

/// Removes an API, its scopes and every client policy naming it.
pub async fn delete(store: &DynStore, actor: &Actor, identifier: &str) -> Result<(), AdminError> {
    if !store.delete_api(identifier).await? {
        return Err(not_found(identifier));
    }
    record(
        store,
        actor,
        AuditKind::ApiRemoved,
        None,
        None,
        json!({ "api": identifier }),
    )
    .await;
    Ok(())
}

/// Adds (or replaces the description of) one of an API's scopes.
pub async fn put_scope(
    store: &DynStore,
    actor: &Actor,
    identifier: &str,
    spec: ScopeSpec,
) -> Result<ApiView, AdminError> {
    let api = get(store, identifier).await?;
    let scope = check_scope(spec, &api.name)?;
    let name = scope.name.clone();
    if !store.put_api_scope(identifier, scope).await? {
        return Err(not_found(identifier));
    }
    let detail = json!({ "api": identifier, "change": "scope_added", "scope": name });
    record(store, actor, AuditKind::ApiChanged, None, None, detail).await;
    get(store, identifier).await
}

/// Removes one of an API's scopes.
pub async fn delete_scope(
    store: &DynStore,
    actor: &Actor,
    identifier: &str,
    name: &str,
) -> Result<(), AdminError> {
    if !store.delete_api_scope(identifier, name).await? {
        return Err(AdminError::not_found(format!("{identifier} has no scope {name}")));
    }
    let detail = json!({ "api": identifier, "change": "scope_removed", "scope": name });
    record(store, actor, AuditKind::ApiChanged, None, None, detail).await;
    Ok(())
}

fn not_found(identifier: &str) -> AdminError {
    AdminError::not_found(format!("no API with identifier {identifier}"))
}
