//! `POST /introspect` (RFC 7662): confidential clients only.

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::http::client::{self, Accepts};
use crate::http::errors::ApiError;
use crate::http::extract;
use crate::http::response::no_store;
use crate::state::AppState;
use crate::tokens::introspection;

#[tracing::instrument(name = "introspect", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let ctx = &state.ctx;
    let params = extract::form(&req, &body)?;
    let client = client::authenticate(ctx, &req, &params, Accepts::ConfidentialOnly).await?;
    let token = params.require("token")?;
    let answer = introspection::introspect(ctx, &client, token, params.get("token_type_hint")).await?;
    Ok(no_store(HttpResponse::Ok().json(answer)))
}
