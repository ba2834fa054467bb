//! `/admin/api/v1/audit-events` (docs/admin-api.md, "Audit events"): newest first, filtered.

use actix_web::HttpRequest;
use actix_web::web;
use serde::Deserialize;

use super::{Admin, Paging, Reply, ok, query, resource};
use crate::admin::audit::{self, EventFilter};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/audit-events").route(web::get().to(list)));
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    user_id: Option<String>,
    client_id: Option<String>,
    /// Kind names, comma-separated (`login.failure,client.created`).
    kind: Option<String>,
    /// Events at or after this second (Unix time).
    since: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/admin/api/v1/audit-events",
    tag = "audit",
    params(ListQuery),
    responses((status = 200, description = "Events newest first", body = super::openapi::EventPage))
)]
pub async fn list(admin: Admin, req: HttpRequest) -> Reply {
    let q: ListQuery = query(&req)?;
    let filter = EventFilter {
        user_id: q.user_id,
        client_id: q.client_id,
        kinds: q
            .kind
            .map(|k| {
                k.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        since: q.since,
    };
    let paging = Paging {
        limit: q.limit,
        cursor: q.cursor,
    };
    ok(audit::list(admin.store(), filter, &(&paging).into()).await)
}
