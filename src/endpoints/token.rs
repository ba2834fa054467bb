//! `POST /token` (RFC 6749 §3.2): parse, authenticate the client, dispatch to the grant.

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::endpoints::common::authenticate_client;
use crate::grants::{self, RequestMeta};
use crate::http::{extract, response};
use crate::state::AppState;

#[tracing::instrument(name = "token", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let result = async {
        let params = extract::form(&req, &body)?;
        let client = authenticate_client(&state, &req, &params, false).await?;
        let meta = RequestMeta {
            ip: extract::client_ip(&req),
            user_agent: extract::user_agent(&req),
        };
        grants::dispatch(&state, &client, &params, &meta).await
    }
    .await;
    match result {
        Ok(tokens) => response::no_store(HttpResponse::Ok().json(tokens)),
        Err(e) => response::oauth_error(&e),
    }
}
