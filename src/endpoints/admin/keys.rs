//! `/admin/api/v1/keys` (docs/admin-api.md, "Keys"): signing keys listed (never a private key)
//! and rotated.

use actix_web::HttpRequest;
use actix_web::web;
use serde::Deserialize;

use super::{Admin, Body, Paging, Reply, created, ok, query, resource};
use crate::admin::keys::{self, RotateSpec};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/keys").route(web::get().to(list)))
        .service(resource("/keys/rotate").route(web::post().to(rotate)));
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/admin/api/v1/keys",
    tag = "keys",
    params(ListQuery),
    responses((status = 200, description = "Keys by kid", body = super::openapi::KeyPage))
)]
pub async fn list(admin: Admin, req: HttpRequest) -> Reply {
    let q: ListQuery = query(&req)?;
    let paging = Paging {
        limit: q.limit,
        cursor: q.cursor,
    };
    ok(keys::list(admin.store(), &admin.state.ctx.clock, &(&paging).into()).await)
}

/// A new key; this node's key ring takes it at once, the others within seconds.
#[utoipa::path(
    post,
    path = "/admin/api/v1/keys/rotate",
    tag = "keys",
    request_body = Option<crate::admin::keys::RotateSpec>,
    responses((status = 201, description = "The new key", body = super::openapi::Key))
)]
pub async fn rotate(admin: Admin, payload: Body) -> Reply {
    let spec: RotateSpec = payload.json_or_default()?;
    let ctx = &admin.state.ctx;
    let key = keys::rotate(&ctx.store, &ctx.clock, &admin.state.settings, &admin.actor, spec).await?;
    if let Err(e) = ctx.keys.reload().await {
        tracing::warn!(error = %e, "key ring reload after rotation failed; the poll will retry");
    }
    created(Ok(key))
}
