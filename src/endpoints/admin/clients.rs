//! `/admin/api/v1/clients` (docs/admin-api.md, "Clients").

use actix_web::HttpRequest;
use actix_web::web;
use serde::Deserialize;

use super::{Admin, Body, Paging, Reply, created, done, ok, param, query, resource};
use crate::admin::AdminError;
use crate::admin::clients::{self, ClientFilter, ClientRules};
use crate::storage::{ClientSource, GrantType};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/clients")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/clients/{client_id}")
            .route(web::get().to(get))
            .route(web::put().to(replace))
            .route(web::patch().to(update))
            .route(web::delete().to(delete)),
    )
    .service(resource("/clients/{client_id}/secret").route(web::post().to(rotate_secret)));
}

/// The list's query: paging and filters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    /// admin, dynamic or metadata_document.
    source: Option<String>,
    /// A grant_type value the client must be allowed.
    grant_type: Option<String>,
}

fn rules(admin: &Admin) -> ClientRules<'_> {
    ClientRules {
        upstreams: &admin.state.settings.upstream,
        default_alg: admin.state.settings.keys.default_alg,
    }
}

#[utoipa::path(
    get,
    path = "/admin/api/v1/clients",
    tag = "clients",
    params(ListQuery),
    responses((status = 200, description = "Clients by client_id", body = super::openapi::ClientPage))
)]
pub async fn list(admin: Admin, req: HttpRequest) -> Reply {
    let q: ListQuery = query(&req)?;
    let source = match q.source.as_deref() {
        None => None,
        Some(s) => Some(
            serde_json::from_value::<ClientSource>(s.into())
                .map_err(|_| AdminError::invalid("source is admin, dynamic or metadata_document"))?,
        ),
    };
    let grant_type = match q.grant_type.as_deref() {
        None => None,
        Some(g) => Some(
            GrantType::parse(g).ok_or_else(|| AdminError::invalid(format!("unknown grant_type {g:?}")))?,
        ),
    };
    let filter = ClientFilter { source, grant_type };
    let paging = Paging {
        limit: q.limit,
        cursor: q.cursor,
    };
    ok(clients::list(admin.store(), &filter, &(&paging).into()).await)
}

#[utoipa::path(
    post,
    path = "/admin/api/v1/clients",
    tag = "clients",
    request_body = crate::admin::clients::ClientSpec,
    responses((status = 201, description = "The client; a confidential one with its secret, shown this once", body = crate::admin::clients::ClientView))
)]
pub async fn create(admin: Admin, payload: Body) -> Reply {
    let spec = payload.json()?;
    created(clients::create(admin.store(), rules(&admin), &admin.actor, spec, admin.now()).await)
}

#[utoipa::path(
    get,
    path = "/admin/api/v1/clients/{client_id}",
    tag = "clients",
    params(("client_id" = String, Path)),
    responses((status = 200, description = "The client", body = crate::admin::clients::ClientView))
)]
pub async fn get(admin: Admin, req: HttpRequest) -> Reply {
    ok(clients::get(admin.store(), &param(&req, "client_id")?).await)
}

#[utoipa::path(
    put,
    path = "/admin/api/v1/clients/{client_id}",
    tag = "clients",
    params(("client_id" = String, Path)),
    request_body = crate::admin::clients::ClientSpec,
    responses((status = 200, description = "The client as replaced (a secret only if it newly needs one)", body = crate::admin::clients::ClientView))
)]
pub async fn replace(admin: Admin, req: HttpRequest, payload: Body) -> Reply {
    let id = param(&req, "client_id")?;
    let spec = payload.json()?;
    ok(clients::replace(admin.store(), rules(&admin), &admin.actor, &id, spec).await)
}

#[utoipa::path(
    patch,
    path = "/admin/api/v1/clients/{client_id}",
    tag = "clients",
    params(("client_id" = String, Path)),
    request_body = crate::admin::clients::ClientPatch,
    responses((status = 200, description = "The client as changed: absent members stay, null is the default (a secret only if it newly needs one)", body = crate::admin::clients::ClientView))
)]
pub async fn update(admin: Admin, req: HttpRequest, payload: Body) -> Reply {
    let id = param(&req, "client_id")?;
    let patch = payload.json()?;
    ok(clients::update(admin.store(), rules(&admin), &admin.actor, &id, patch).await)
}

#[utoipa::path(
    delete,
    path = "/admin/api/v1/clients/{client_id}",
    tag = "clients",
    params(("client_id" = String, Path)),
    responses((status = 204, description = "Deleted with its consents and tokens"))
)]
pub async fn delete(admin: Admin, req: HttpRequest) -> Reply {
    done(clients::delete(admin.store(), &admin.actor, &param(&req, "client_id")?).await)
}

#[utoipa::path(
    post,
    path = "/admin/api/v1/clients/{client_id}/secret",
    tag = "clients",
    params(("client_id" = String, Path)),
    responses((status = 200, description = "The new secret, shown this once", body = super::openapi::NewSecret))
)]
pub async fn rotate_secret(admin: Admin, req: HttpRequest) -> Reply {
    let id = param(&req, "client_id")?;
    let secret = clients::rotate_secret(admin.store(), &admin.actor, &id).await;
    ok(secret.map(|s| serde_json::json!({ "client_id": id, "client_secret": s })))
}
