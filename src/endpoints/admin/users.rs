//! `/admin/api/v1/users` (docs/admin-api.md, "Users"): never a password hash.

use actix_web::HttpRequest;
use actix_web::web;
use serde::Deserialize;

use super::{Admin, Body, Paging, Reply, created, done, ok, param, query, resource};
use crate::admin::sessions;
use crate::admin::users::{self, UserFilter};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/users")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/users/{user_id}")
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(delete)),
    )
    .service(resource("/users/{user_id}/logout").route(web::post().to(logout)));
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    /// `true` or `false`.
    disabled: Option<bool>,
    username_prefix: Option<String>,
}

fn passwords(admin: &Admin) -> users::Passwords<'_> {
    users::Passwords {
        hasher: &admin.state.ctx.hasher,
        policy: &admin.state.ctx.password_policy,
    }
}

#[utoipa::path(
    get,
    path = "/admin/api/v1/users",
    tag = "users",
    params(ListQuery),
    responses((status = 200, description = "Users by username", body = super::openapi::UserPage))
)]
pub async fn list(admin: Admin, req: HttpRequest) -> Reply {
    let q: ListQuery = query(&req)?;
    let filter = UserFilter {
        disabled: q.disabled,
        username_prefix: q.username_prefix,
    };
    let paging = Paging {
        limit: q.limit,
        cursor: q.cursor,
    };
    ok(users::list(admin.store(), &filter, &(&paging).into()).await)
}

#[utoipa::path(
    post,
    path = "/admin/api/v1/users",
    tag = "users",
    request_body = crate::admin::users::UserSpec,
    responses((status = 201, description = "The user", body = crate::admin::users::UserView))
)]
pub async fn create(admin: Admin, payload: Body) -> Reply {
    let spec = payload.json()?;
    created(users::create(admin.store(), passwords(&admin), &admin.actor, spec, admin.now()).await)
}

#[utoipa::path(
    get,
    path = "/admin/api/v1/users/{user_id}",
    tag = "users",
    params(("user_id" = String, Path)),
    responses((status = 200, description = "The user", body = crate::admin::users::UserView))
)]
pub async fn get(admin: Admin, req: HttpRequest) -> Reply {
    let user = users::by_id(admin.store(), &param(&req, "user_id")?).await;
    ok(user.map(|u| users::UserView::from(&u)))
}

#[utoipa::path(
    patch,
    path = "/admin/api/v1/users/{user_id}",
    tag = "users",
    params(("user_id" = String, Path)),
    request_body = crate::admin::users::UserPatch,
    responses((status = 200, description = "The user as changed", body = crate::admin::users::UserView))
)]
pub async fn update(admin: Admin, req: HttpRequest, payload: Body) -> Reply {
    let id = param(&req, "user_id")?;
    let patch = payload.json()?;
    ok(users::update(
        admin.store(),
        passwords(&admin),
        &admin.actor,
        &id,
        patch,
        admin.now(),
    )
    .await)
}

#[utoipa::path(
    delete,
    path = "/admin/api/v1/users/{user_id}",
    tag = "users",
    params(("user_id" = String, Path)),
    responses((status = 204, description = "Deleted with their consents and tokens"))
)]
pub async fn delete(admin: Admin, req: HttpRequest) -> Reply {
    let user = users::by_id(admin.store(), &param(&req, "user_id")?).await?;
    done(users::delete(admin.store(), &admin.actor, &user).await)
}

#[utoipa::path(
    post,
    path = "/admin/api/v1/users/{user_id}/logout",
    tag = "users",
    params(("user_id" = String, Path)),
    responses((status = 200, description = "Signed out everywhere", body = super::openapi::Revoked))
)]
pub async fn logout(admin: Admin, req: HttpRequest) -> Reply {
    let user = users::by_id(admin.store(), &param(&req, "user_id")?).await?;
    let ended = sessions::logout_user(admin.store(), &admin.actor, &user).await;
    ok(ended.map(|n| serde_json::json!({ "sessions_revoked": n })))
}
