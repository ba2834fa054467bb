//! `POST /introspect` (RFC 7662): confidential clients only.

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::endpoints::common::authenticate_client;
use crate::http::{extract, response};
use crate::state::AppState;
use crate::tokens::introspection;

#[tracing::instrument(name = "introspect", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let result = async {
        let params = extract::form(&req, &body)?;
        let client = authenticate_client(&state, &req, &params, true).await?;
        let token = params.require("token")?;
        introspection::introspect(&state, &client, token, params.get("token_type_hint")).await
    }
    .await;
    match result {
        Ok(body) => response::no_store(HttpResponse::Ok().json(body)),
        Err(e) => response::oauth_error(&e),
    }
}
