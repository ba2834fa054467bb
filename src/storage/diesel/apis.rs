//! [`ApiStore`] over diesel (docs/guides/apis.md): the `apis`, `api_scopes` and `client_apis`
//! tables.

use async_trait::async_trait;
use diesel::prelude::*;

use super::schema::{api_scopes, apis, client_apis};
use super::{DbConnection, DieselStore, write_tx};
use crate::keys::Alg;
use crate::storage::cache::CachedPolicy;
use crate::storage::{Api, ApiScope, ApiStore, ClientApiPolicy, StorageError, StorageResult};

/// `client_apis.relation` of a client's default API.
const DEFAULT: &str = "default";
/// `client_apis.relation` of an API a client may exchange tokens into (RFC 8693).
const EXCHANGE: &str = "exchange";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = apis)]
struct ApiRow {
    identifier: String,
    name: String,
    access_token_ttl_secs: Option<i64>,
    alg: Option<String>,
    introspect_client: Option<String>,
    created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_scopes)]
struct ApiScopeRow {
    api: String,
    name: String,
    description: String,
}

fn to_api(row: ApiRow, scopes: &[ApiScopeRow]) -> StorageResult<Api> {
    let alg = match row.alg.as_deref() {
        None => None,
        Some(a) => Some(Alg::parse(a).ok_or_else(|| StorageError::Corrupt(format!("api alg {a:?}")))?),
    };
    Ok(Api {
        scopes: scopes
            .iter()
            .filter(|s| s.api == row.identifier)
            .map(|s| ApiScope {
                name: s.name.clone(),
                description: s.description.clone(),
            })
            .collect(),
        identifier: row.identifier,
        name: row.name,
        access_token_ttl_secs: row.access_token_ttl_secs,
        alg,
        introspect_client: row.introspect_client,
        created_at: row.created_at,
    })
}

/// Inside `delete_client`'s transaction: the client's policies go, and no API names it as its
/// introspecting client any more.
pub(super) fn forget_client(conn: &mut DbConnection, client_id: &str) -> QueryResult<()> {
    diesel::delete(client_apis::table.filter(client_apis::client_id.eq(client_id))).execute(conn)?;
    diesel::update(apis::table.filter(apis::introspect_client.eq(client_id)))
        .set(apis::introspect_client.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}

#[async_trait]
impl ApiStore for DieselStore {
    async fn create_api(&self, api: Api) -> StorageResult<()> {
        self.run(move |conn| {
            let row = ApiRow {
                identifier: api.identifier.clone(),
                name: api.name.clone(),
                access_token_ttl_secs: api.access_token_ttl_secs,
                alg: api.alg.map(|a| a.as_str().to_string()),
                introspect_client: api.introspect_client.clone(),
                created_at: api.created_at,
            };
            let scopes: Vec<ApiScopeRow> = api
                .scopes
                .iter()
                .map(|s| ApiScopeRow {
                    api: api.identifier.clone(),
                    name: s.name.clone(),
                    description: s.description.clone(),
                })
                .collect();
            Ok(write_tx(conn, |conn| {
                diesel::insert_into(apis::table).values(&row).execute(conn)?;
                for scope in &scopes {
                    diesel::insert_into(api_scopes::table)
                        .values(scope)
                        .execute(conn)?;
                }
                Ok(())
            })?)
        })
        .await
    }

    async fn api_by_identifier(&self, identifier: &str) -> StorageResult<Option<Api>> {
        let id = identifier.to_owned();
        self.run(move |conn| {
            let Some(row) = apis::table
                .find(&id)
                .select(ApiRow::as_select())
                .first(conn)
                .optional()?
            else {
                return Ok(None);
            };
            let scopes: Vec<ApiScopeRow> = api_scopes::table
                .filter(api_scopes::api.eq(&id))
                .order(api_scopes::name.asc())
                .select(ApiScopeRow::as_select())
                .load(conn)?;
            to_api(row, &scopes).map(Some)
        })
        .await
    }

    async fn list_apis(&self) -> StorageResult<Vec<Api>> {
        self.run(|conn| {
            let rows: Vec<ApiRow> = apis::table
                .order(apis::identifier.asc())
                .select(ApiRow::as_select())
                .load(conn)?;
            let scopes: Vec<ApiScopeRow> = api_scopes::table
                .order(api_scopes::name.asc())
                .select(ApiScopeRow::as_select())
                .load(conn)?;
            rows.into_iter().map(|r| to_api(r, &scopes)).collect()
        })
        .await
    }

    async fn delete_api(&self, identifier: &str) -> StorageResult<bool> {
        let id = identifier.to_owned();
        let result = self
            .run(move |conn| {
                Ok(write_tx(conn, |conn| {
                    diesel::delete(api_scopes::table.filter(api_scopes::api.eq(&id))).execute(conn)?;
                    diesel::delete(client_apis::table.filter(client_apis::api.eq(&id))).execute(conn)?;
                    Ok(diesel::delete(apis::table.find(&id)).execute(conn)? > 0)
                })?)
            })
            .await;
        // Clients whose policy named the API lose it: forget every cached policy.
        self.policies.changed_all().await;
        result
    }

    async fn update_api(&self, api: Api) -> StorageResult<bool> {
        let alg = api.alg.map(|a| a.to_string());
        self.write(move |conn| {
            let n = diesel::update(apis::table.find(&api.identifier))
                .set((
                    apis::name.eq(&api.name),
                    apis::access_token_ttl_secs.eq(api.access_token_ttl_secs),
                    apis::alg.eq(alg),
                    apis::introspect_client.eq(&api.introspect_client),
                ))
                .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn put_api_scope(&self, identifier: &str, scope: ApiScope) -> StorageResult<bool> {
        let row = ApiScopeRow {
            api: identifier.to_owned(),
            name: scope.name,
            description: scope.description,
        };
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                let exists: i64 = apis::table.find(&row.api).count().get_result(conn)?;
                if exists == 0 {
                    return Ok(false);
                }
                diesel::delete(
                    api_scopes::table
                        .filter(api_scopes::api.eq(&row.api))
                        .filter(api_scopes::name.eq(&row.name)),
                )
                .execute(conn)?;
                diesel::insert_into(api_scopes::table)
                    .values(&row)
                    .execute(conn)?;
                Ok(true)
            })?)
        })
        .await
    }

    async fn delete_api_scope(&self, identifier: &str, name: &str) -> StorageResult<bool> {
        let (id, name) = (identifier.to_owned(), name.to_owned());
        self.write(move |conn| {
            let n = diesel::delete(
                api_scopes::table
                    .filter(api_scopes::api.eq(id))
                    .filter(api_scopes::name.eq(name)),
            )
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn apis_introspected_by(&self, client_id: &str) -> StorageResult<Vec<String>> {
        let id = client_id.to_owned();
        self.run(move |conn| {
            Ok(apis::table
                .filter(apis::introspect_client.eq(id))
                .order(apis::identifier.asc())
                .select(apis::identifier)
                .load(conn)?)
        })
        .await
    }

    /// From this node's cache when it was read less than its TTL ago (docs/security.md E.35).
    async fn client_api_policy(&self, client_id: &str) -> StorageResult<ClientApiPolicy> {
        let id = client_id.to_owned();
        let read = self.run(move |conn| {
            let rows: Vec<(String, String)> = client_apis::table
                .filter(client_apis::client_id.eq(&id))
                .order((client_apis::relation.asc(), client_apis::api.asc()))
                .select((client_apis::relation, client_apis::api))
                .load(conn)?;
            let mut policy = ClientApiPolicy::default();
            for (relation, api) in rows {
                match relation.as_str() {
                    DEFAULT => policy.default_api = Some(api),
                    EXCHANGE => policy.exchange_to.push(api),
                    other => return Err(StorageError::Corrupt(format!("client_apis relation {other:?}"))),
                }
            }
            Ok(Some(CachedPolicy {
                client_id: id,
                policy,
            }))
        });
        let cached = self.policies.read_through(client_id, read).await?;
        Ok(cached.map(|c| c.policy).unwrap_or_default())
    }

    async fn set_client_api_policy(&self, client_id: &str, policy: ClientApiPolicy) -> StorageResult<()> {
        let id = client_id.to_owned();
        let result = self
            .run(move |conn| {
                let rows: Vec<(String, String, String)> = policy
                    .default_api
                    .iter()
                    .map(|a| (id.clone(), a.clone(), DEFAULT.to_string()))
                    .chain(
                        policy
                            .exchange_to
                            .iter()
                            .map(|a| (id.clone(), a.clone(), EXCHANGE.to_string())),
                    )
                    .collect();
                Ok(write_tx(conn, |conn| {
                    diesel::delete(client_apis::table.filter(client_apis::client_id.eq(&id)))
                        .execute(conn)?;
                    for (client_id, api, relation) in &rows {
                        diesel::insert_into(client_apis::table)
                            .values((
                                client_apis::client_id.eq(client_id),
                                client_apis::api.eq(api),
                                client_apis::relation.eq(relation),
                            ))
                            .execute(conn)?;
                    }
                    Ok(())
                })?)
            })
            .await;
        self.policies.changed(client_id).await;
        result
    }
}
