//! `GET /metrics` (docs/operations.md, "Monitoring"): the Prometheus text format, for scrapers on
//! the addresses `metrics.allow` lists; 404 to anyone else and when `metrics.enabled` is off.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use crate::http::extract;
use crate::monitoring::{self, Health};
use crate::state::AppState;

pub async fn get(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let settings = &state.settings.metrics;
    let allowed = extract::client_ip(&req)
        .parse()
        .is_ok_and(|ip| settings.allow.iter().any(|c| c.contains(ip)));
    if !settings.enabled || !allowed {
        return HttpResponse::NotFound().finish();
    }
    let ctx = &state.ctx;
    let (db, eph) = futures_util::join!(ctx.store.ping(), ctx.ephemeral.ping());
    let health = Health {
        database_up: db.is_ok(),
        ephemeral_up: eph.is_ok(),
        pool: ctx.store.pool_state(),
    };
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(monitoring::render(&health))
}
