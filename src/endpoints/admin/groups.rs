//! `/admin/api/v1/groups` (docs/admin-api.md, "Groups"): groups and their local members.

use actix_web::HttpRequest;
use actix_web::web;
use serde::Deserialize;

use super::{Admin, Body, Paging, Reply, created, done, ok, param, query, resource};
use crate::admin::{groups, users};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/groups")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/groups/{name}")
            .route(web::get().to(get))
            .route(web::delete().to(delete)),
    )
    .service(resource("/groups/{name}/members").route(web::get().to(members)))
    .service(
        resource("/groups/{name}/members/{user_id}")
            .route(web::put().to(add_member))
            .route(web::delete().to(remove_member)),
    );
}

/// A new group.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub name: String,
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
    path = "/admin/api/v1/groups",
    tag = "groups",
    params(ListQuery),
    responses((status = 200, description = "Groups by name", body = super::openapi::GroupPage))
)]
pub async fn list(admin: Admin, req: HttpRequest) -> Reply {
    let q: ListQuery = query(&req)?;
    let paging = Paging {
        limit: q.limit,
        cursor: q.cursor,
    };
    ok(groups::list(admin.store(), &(&paging).into()).await)
}

#[utoipa::path(
    post,
    path = "/admin/api/v1/groups",
    tag = "groups",
    request_body = GroupSpec,
    responses((status = 201, description = "The group", body = super::openapi::Group))
)]
pub async fn create(admin: Admin, payload: Body) -> Reply {
    let spec: GroupSpec = payload.json()?;
    created(groups::create(admin.store(), &admin.actor, &spec.name, admin.now()).await)
}

#[utoipa::path(
    get,
    path = "/admin/api/v1/groups/{name}",
    tag = "groups",
    params(("name" = String, Path)),
    responses((status = 200, description = "The group", body = super::openapi::Group))
)]
pub async fn get(admin: Admin, req: HttpRequest) -> Reply {
    ok(groups::get(admin.store(), &param(&req, "name")?).await)
}

#[utoipa::path(
    delete,
    path = "/admin/api/v1/groups/{name}",
    tag = "groups",
    params(("name" = String, Path)),
    responses((status = 204, description = "Deleted with its memberships"))
)]
pub async fn delete(admin: Admin, req: HttpRequest) -> Reply {
    done(groups::delete(admin.store(), &admin.actor, &param(&req, "name")?).await)
}

#[utoipa::path(
    get,
    path = "/admin/api/v1/groups/{name}/members",
    tag = "groups",
    params(("name" = String, Path), ListQuery),
    responses((status = 200, description = "Members by username", body = super::openapi::MemberPage))
)]
pub async fn members(admin: Admin, req: HttpRequest) -> Reply {
    let q: ListQuery = query(&req)?;
    let paging: crate::admin::PageRequest = (&Paging {
        limit: q.limit,
        cursor: q.cursor,
    })
        .into();
    let all = groups::members(admin.store(), &param(&req, "name")?).await?;
    ok(paging.paginate(all, |m| format!("{}|{}|{}", m.username, m.user_id, m.source)))
}

#[utoipa::path(
    put,
    path = "/admin/api/v1/groups/{name}/members/{user_id}",
    tag = "groups",
    params(("name" = String, Path), ("user_id" = String, Path)),
    responses((status = 204, description = "The user is a (local) member"))
)]
pub async fn add_member(admin: Admin, req: HttpRequest) -> Reply {
    let name = param(&req, "name")?;
    let user = users::by_id(admin.store(), &param(&req, "user_id")?).await?;
    done(groups::add_member(admin.store(), &admin.actor, &name, &user, admin.now()).await)
}

#[utoipa::path(
    delete,
    path = "/admin/api/v1/groups/{name}/members/{user_id}",
    tag = "groups",
    params(("name" = String, Path), ("user_id" = String, Path)),
    responses((status = 204, description = "The local membership is gone"))
)]
pub async fn remove_member(admin: Admin, req: HttpRequest) -> Reply {
    let name = param(&req, "name")?;
    let user = users::by_id(admin.store(), &param(&req, "user_id")?).await?;
    done(groups::remove_member(admin.store(), &admin.actor, &name, &user).await)
}
