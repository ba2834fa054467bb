//! `POST /revoke` (RFC 7009 §2).

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::endpoints::common::authenticate_client;
use crate::http::{extract, response};
use crate::state::AppState;
use crate::tokens::revocation;

#[tracing::instrument(name = "revoke", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let result = async {
        let params = extract::form(&req, &body)?;
        let client = authenticate_client(&state, &req, &params, false).await?;
        let token = params.require("token")?;
        revocation::revoke(&state, &client, token, params.get("token_type_hint")).await
    }
    .await;
    match result {
        Ok(()) => response::no_store(HttpResponse::Ok().finish()),
        Err(e) => response::oauth_error(&e),
    }
}
