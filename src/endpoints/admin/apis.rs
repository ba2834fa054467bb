//! `/admin/api/v1/apis` (docs/admin-api.md, "APIs"): the identifier in a path is
//! percent-encoded (`https:%2F%2Fphotos.example%2Fapi`).

use actix_web::HttpRequest;
use actix_web::web;
use serde::Deserialize;

use super::{Admin, Body, Paging, Reply, created, done, ok, param, query, resource};
use crate::admin::apis::{self, ScopeSpec};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/apis")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/apis/{identifier}")
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(delete)),
    )
    .service(
        resource("/apis/{identifier}/scopes/{name}")
            .route(web::put().to(put_scope))
            .route(web::delete().to(delete_scope)),
    );
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

/// A scope's description (its name is in the path).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeBody {
    #[serde(default)]
    pub description: Option<String>,
}

#[utoipa::path(
    get,
    path = "/admin/api/v1/apis",
    tag = "apis",
    params(ListQuery),
    responses((status = 200, description = "APIs by identifier", body = super::openapi::ApiPage))
)]
pub async fn list(admin: Admin, req: HttpRequest) -> Reply {
    let q: ListQuery = query(&req)?;
    let paging = Paging {
        limit: q.limit,
        cursor: q.cursor,
    };
    ok(apis::list(admin.store(), &(&paging).into()).await)
}

#[utoipa::path(
    post,
    path = "/admin/api/v1/apis",
    tag = "apis",
    request_body = crate::admin::apis::ApiSpec,
    responses((status = 201, description = "The API", body = crate::admin::apis::ApiView))
)]
pub async fn create(admin: Admin, payload: Body) -> Reply {
    let spec = payload.json()?;
    let issuer = &admin.state.ctx.issuer;
    created(apis::create(admin.store(), &admin.actor, spec, issuer, admin.now()).await)
}

#[utoipa::path(
    get,
    path = "/admin/api/v1/apis/{identifier}",
    tag = "apis",
    params(("identifier" = String, Path, description = "Percent-encoded")),
    responses((status = 200, description = "The API", body = crate::admin::apis::ApiView))
)]
pub async fn get(admin: Admin, req: HttpRequest) -> Reply {
    ok(apis::get(admin.store(), &param(&req, "identifier")?).await)
}

#[utoipa::path(
    patch,
    path = "/admin/api/v1/apis/{identifier}",
    tag = "apis",
    params(("identifier" = String, Path, description = "Percent-encoded")),
    request_body = crate::admin::apis::ApiPatch,
    responses((status = 200, description = "The API as changed (its identifier never changes: 400)", body = crate::admin::apis::ApiView))
)]
pub async fn update(admin: Admin, req: HttpRequest, payload: Body) -> Reply {
    let identifier = param(&req, "identifier")?;
    let patch = payload.json()?;
    ok(apis::update(admin.store(), &admin.actor, &identifier, patch).await)
}

#[utoipa::path(
    delete,
    path = "/admin/api/v1/apis/{identifier}",
    tag = "apis",
    params(("identifier" = String, Path, description = "Percent-encoded")),
    responses((status = 204, description = "Deleted with its scopes and the client policies naming it"))
)]
pub async fn delete(admin: Admin, req: HttpRequest) -> Reply {
    done(apis::delete(admin.store(), &admin.actor, &param(&req, "identifier")?).await)
}

#[utoipa::path(
    put,
    path = "/admin/api/v1/apis/{identifier}/scopes/{name}",
    tag = "apis",
    params(("identifier" = String, Path, description = "Percent-encoded"), ("name" = String, Path)),
    request_body = Option<ScopeBody>,
    responses((status = 200, description = "The API with the scope", body = crate::admin::apis::ApiView))
)]
pub async fn put_scope(admin: Admin, req: HttpRequest, payload: Body) -> Reply {
    let identifier = param(&req, "identifier")?;
    let b: ScopeBody = payload.json_or_default()?;
    let spec = ScopeSpec {
        name: param(&req, "name")?,
        description: b.description,
    };
    ok(apis::put_scope(admin.store(), &admin.actor, &identifier, spec).await)
}

#[utoipa::path(
    delete,
    path = "/admin/api/v1/apis/{identifier}/scopes/{name}",
    tag = "apis",
    params(("identifier" = String, Path, description = "Percent-encoded"), ("name" = String, Path)),
    responses((status = 204, description = "The scope is gone"))
)]
pub async fn delete_scope(admin: Admin, req: HttpRequest) -> Reply {
    let identifier = param(&req, "identifier")?;
    let name = param(&req, "name")?;
    done(apis::delete_scope(admin.store(), &admin.actor, &identifier, &name).await)
}
