//! `/admin/api/v1/sessions` and `/admin/api/v1/users/{user_id}/consents` (docs/admin-api.md,
//! "Sessions", "Consents").

use actix_web::HttpRequest;
use actix_web::web;
use serde::Deserialize;

use super::{Admin, Paging, Reply, done, ok, param, query, resource};
use crate::admin::sessions;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/sessions").route(web::get().to(list)))
        .service(resource("/sessions/{id}").route(web::delete().to(revoke)))
        .service(resource("/users/{user_id}/consents").route(web::get().to(consents)))
        .service(resource("/users/{user_id}/consents/{client_id}").route(web::delete().to(revoke_consent)));
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    user_id: Option<String>,
    client_id: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/admin/api/v1/sessions",
    tag = "sessions",
    params(ListQuery),
    responses((status = 200, description = "Live sessions by id", body = super::openapi::SessionPage))
)]
pub async fn list(admin: Admin, req: HttpRequest) -> Reply {
    let q: ListQuery = query(&req)?;
    let paging = Paging {
        limit: q.limit,
        cursor: q.cursor,
    };
    let (user, client) = (q.user_id.as_deref(), q.client_id.as_deref());
    ok(sessions::list(admin.store(), user, client, &(&paging).into(), admin.now()).await)
}

#[utoipa::path(
    delete,
    path = "/admin/api/v1/sessions/{id}",
    tag = "sessions",
    params(("id" = String, Path)),
    responses((status = 204, description = "Revoked: its refresh tokens stop working"))
)]
pub async fn revoke(admin: Admin, req: HttpRequest) -> Reply {
    done(sessions::revoke(admin.store(), &admin.actor, &param(&req, "id")?, admin.now()).await)
}

#[utoipa::path(
    get,
    path = "/admin/api/v1/users/{user_id}/consents",
    tag = "sessions",
    params(("user_id" = String, Path), PageQuery),
    responses((status = 200, description = "Consents by client_id", body = super::openapi::ConsentPage))
)]
pub async fn consents(admin: Admin, req: HttpRequest) -> Reply {
    let q: PageQuery = query(&req)?;
    let paging = Paging {
        limit: q.limit,
        cursor: q.cursor,
    };
    ok(sessions::consents(admin.store(), &param(&req, "user_id")?, &(&paging).into()).await)
}

#[utoipa::path(
    delete,
    path = "/admin/api/v1/users/{user_id}/consents/{client_id}",
    tag = "sessions",
    params(("user_id" = String, Path), ("client_id" = String, Path)),
    responses((status = 204, description = "Withdrawn, with the user's sessions of that client"))
)]
pub async fn revoke_consent(admin: Admin, req: HttpRequest) -> Reply {
    let user = param(&req, "user_id")?;
    let client = param(&req, "client_id")?;
    done(sessions::revoke_consent(admin.store(), &admin.actor, &user, &client, admin.now()).await)
}
