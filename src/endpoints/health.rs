//! `/healthz` (the process is up) and `/readyz` (the database and the ephemeral store answer).

use actix_web::HttpResponse;
use actix_web::web::Data;
use serde_json::json;

use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(state: Data<AppState>) -> HttpResponse {
    let db = state.ctx.store.ping().await;
    let eph = state.ctx.ephemeral.ping().await;
    let body = json!({
        "database": if db.is_ok() { "ok" } else { "unavailable" },
        "ephemeral": if eph.is_ok() { "ok" } else { "unavailable" },
    });
    if db.is_ok() && eph.is_ok() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
