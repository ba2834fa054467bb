//! `POST /token` (RFC 6749 §3.2): parse, authenticate the client, check a DPoP proof (RFC 9449
//! §5), dispatch to the grant.

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::grants;
use crate::http::client::{self, Accepts};
use crate::http::errors::ApiError;
use crate::http::response::no_store;
use crate::http::{dpop, extract};
use crate::state::AppState;

#[tracing::instrument(name = "token", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let ctx = &state.ctx;
    let params = extract::form(&req, &body)?;
    let meta = extract::meta(&req);
    let client = client::authenticate(ctx, &req, &params, Accepts::AnyClient).await?;
    let binding = dpop::token_binding(ctx, &req).await?;
    let tokens = grants::dispatch(ctx, &client, &params, &binding, &meta)
        .await
        .map_err(|e| dpop::token_error(ctx, &binding, e))?;
    if let Some(grant) = params
        .get("grant_type")
        .and_then(crate::storage::GrantType::parse)
    {
        crate::monitoring::token_issued(grant.as_str());
    }
    Ok(dpop::token_response(
        ctx,
        &binding,
        no_store(HttpResponse::Ok().json(tokens)),
    ))
}
