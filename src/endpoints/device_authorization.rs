//! `POST /device_authorization` (RFC 8628 §3.1-3.2, docs/guides/device.md): the client,
//! authenticated as at the token endpoint (a public client by its client_id), gets a device code
//! and a user code. Errors are the token endpoint's JSON errors (RFC 8628 §3.2).

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::http::client::{self, Accepts};
use crate::http::errors::ApiError;
use crate::http::extract;
use crate::http::response::no_store;
use crate::interaction::device;
use crate::oauth::OAuthError;
use crate::state::AppState;
use crate::storage::GrantType;

#[tracing::instrument(name = "device_authorization", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let ctx = &state.ctx;
    if !ctx.device.enabled {
        return Ok(HttpResponse::NotFound().finish());
    }
    let params = extract::form(&req, &body)?;
    let meta = extract::meta(&req);
    let client = client::authenticate(ctx, &req, &params, Accepts::AnyClient).await?;
    if !client.allows_grant(GrantType::DeviceCode) {
        return Err(OAuthError::unauthorized_client("this client may not use the device_code grant").into());
    }
    let started = device::start(ctx, &client, &params, &meta).await?;
    Ok(no_store(HttpResponse::Ok().json(started)))
}
