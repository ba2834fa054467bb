//! `POST /token` (RFC 6749 §3.2): parse, authenticate the client, dispatch to the grant.

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::grants;
use crate::http::client::{self, Accepts};
use crate::http::errors::{ApiError, no_store};
use crate::http::extract;
use crate::state::AppState;

#[tracing::instrument(name = "token", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let ctx = &state.ctx;
    let params = extract::form(&req, &body)?;
    let client = client::authenticate(ctx, &req, &params, Accepts::AnyClient).await?;
    let tokens = grants::dispatch(ctx, &client, &params, &extract::meta(&req)).await?;
    Ok(no_store(HttpResponse::Ok().json(tokens)))
}
