//! `/.well-known/openid-configuration` (OpenID Discovery §4) and
//! `/.well-known/oauth-authorization-server` (RFC 8414 §3), served from memory.

use actix_web::web::Data;
use actix_web::{HttpResponse, http::header};

use crate::state::AppState;

fn json(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(body)
}

pub async fn openid_configuration(state: Data<AppState>) -> HttpResponse {
    json(state.discovery.get().openid_configuration.clone())
}

pub async fn oauth_authorization_server(state: Data<AppState>) -> HttpResponse {
    json(state.discovery.get().oauth_authorization_server.clone())
}

/// `/jwks`: the published keys (RFC 7517 §5). Short caching: rotation publishes keys ahead of use.
pub async fn jwks(state: Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(state.ctx.keys.jwks_json().to_string())
}
