//! `/admin/api/v1`: the operators' REST API (docs/admin-api.md). Thin handlers, one file per
//! resource: each authenticates the caller ([`Admin`]), extracts, calls one operation of
//! `crate::admin` and answers JSON. Every error, routing ones included, has one shape
//! ([`Failure`]).

pub mod apis;
pub mod audit;
pub mod body;
pub mod clients;
pub mod groups;
pub mod keys;
pub mod openapi;
pub mod sessions;
pub mod users;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{self, Data};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::admin::audit::Actor;
use crate::admin::{AdminError, ErrorKind, PageRequest};
use crate::http::response::no_store;
use crate::state::AppState;

pub use body::Body;

/// Where the API lives.
pub const BASE: &str = "/admin/api/v1";

/// The API's routes, and JSON answers for paths and methods it does not have.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/api/openapi.json", web::get().to(openapi::get));
    cfg.service(
        web::scope(BASE)
            .configure(clients::routes)
            .configure(users::routes)
            .configure(groups::routes)
            .configure(apis::routes)
            .configure(sessions::routes)
            .configure(keys::routes)
            .configure(audit::routes)
            .default_service(web::to(not_found)),
    );
}

/// A resource of the API whose other methods answer 405 in the API's error shape.
pub fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn not_found() -> Reply {
    Err(AdminError::not_found("no such path in the admin API").into())
}

async fn method_not_allowed() -> Reply {
    Err(AdminError::new(ErrorKind::MethodNotAllowed, "method not allowed here").into())
}

/// An answer of the API.
pub type Reply = Result<HttpResponse, Failure>;

/// An authenticated call (docs/security.md M.1): the application state and who is calling.
pub struct Admin {
    pub state: Data<AppState>,
    pub actor: Actor,
}

impl FromRequest for Admin {
    type Error = Failure;
    type Future = Pin<Box<dyn Future<Output = Result<Admin, Failure>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

/// docs/security.md M.1: the caller's bearer token, checked (`admin::auth`).
async fn authenticate(req: &HttpRequest) -> Result<Admin, Failure> {
    let state = req
        .app_data::<Data<AppState>>()
        .cloned()
        .ok_or_else(|| AdminError::internal("no application state"))?;
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let claims = crate::admin::auth::authenticate(&state.ctx, authorization).await?;
    Ok(Admin {
        state,
        actor: Actor::Api {
            client_id: claims.client_id,
        },
    })
}

impl Admin {
    pub fn store(&self) -> &crate::storage::DynStore {
        &self.state.ctx.store
    }

    pub fn now(&self) -> i64 {
        self.state.ctx.clock.now()
    }
}

/// 200 with `value` as JSON.
pub fn ok<T: Serialize>(value: Result<T, AdminError>) -> Reply {
    Ok(no_store(HttpResponse::Ok().json(value?)))
}

/// 201 with `value` as JSON.
pub fn created<T: Serialize>(value: Result<T, AdminError>) -> Reply {
    Ok(no_store(HttpResponse::Created().json(value?)))
}

/// 204.
pub fn done(value: Result<(), AdminError>) -> Reply {
    value?;
    Ok(no_store(HttpResponse::NoContent().finish()))
}

/// The JSON body as `T`: malformed JSON, unknown members and wrong types are `invalid_request`.
pub fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(bytes).map_err(|e| AdminError::invalid(format!("request body: {e}")))
}

/// The query string as `T` (unknown parameters are `invalid_request`).
pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, AdminError> {
    serde_urlencoded::from_str(req.query_string()).map_err(|e| AdminError::invalid(format!("query: {e}")))
}

/// A path parameter, percent-decoded (an API identifier is a URI: `%2F` for its slashes).
pub fn param(req: &HttpRequest, name: &str) -> Result<String, AdminError> {
    let raw = req.match_info().query(name);
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| AdminError::invalid(format!("{name} is not UTF-8")))
}

/// `limit` and `cursor` of a list (docs/admin-api.md, "Pagination").
#[derive(Debug, Default, serde::Deserialize)]
pub struct Paging {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl From<&Paging> for PageRequest {
    fn from(p: &Paging) -> PageRequest {
        PageRequest {
            limit: p.limit,
            cursor: p.cursor.clone(),
        }
    }
}

/// The API's one error shape: `{"error", "error_description", "request_id"}` with the status its
/// kind says, `no-store`, and on 401/403 the RFC 6750 §3 `Bearer` challenge.
#[derive(Debug)]
pub struct Failure {
    error: AdminError,
    request_id: Option<String>,
}

impl From<AdminError> for Failure {
    fn from(error: AdminError) -> Failure {
        Failure {
            error,
            request_id: crate::http::observe::current(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error, f)
    }
}

/// The `Bearer` challenge of a 401 or 403 (RFC 6750 §3, §3.1): no error code when no token came.
fn challenge(kind: ErrorKind) -> Option<String> {
    match kind {
        ErrorKind::Unauthenticated => Some("Bearer".into()),
        ErrorKind::InvalidToken => Some(r#"Bearer error="invalid_token""#.into()),
        ErrorKind::InsufficientScope => Some(format!(
            r#"Bearer error="insufficient_scope", scope="{}""#,
            crate::admin::ADMIN_SCOPE
        )),
        _ => None,
    }
}

impl ResponseError for Failure {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let kind = self.error.kind;
        match kind {
            ErrorKind::Internal => {
                tracing::error!(error = %self.error, cause = ?self.error.detail, "admin API request failed")
            }
            ErrorKind::Unavailable => {
                tracing::warn!(error = %self.error, cause = ?self.error.detail, "backend unavailable")
            }
            _ => {
                tracing::debug!(error = %self.error, cause = ?self.error.detail, "admin API request refused")
            }
        }
        let mut res = HttpResponse::build(self.status_code());
        if let Some(c) = challenge(kind).and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.insert_header((header::WWW_AUTHENTICATE, c));
        }
        if kind == ErrorKind::Unavailable {
            res.insert_header((header::RETRY_AFTER, "5"));
        }
        let request_id = self
            .request_id
            .clone()
            .or_else(crate::http::observe::current)
            .unwrap_or_default();
        no_store(res.json(serde_json::json!({
            "error": kind.code(),
            "error_description": self.error.description,
            "request_id": request_id,
        })))
    }
}
