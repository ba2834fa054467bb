//! `POST /par` (RFC 9126 §2): the client, authenticated as at the token endpoint, pushes an
//! authorization request and gets a single-use `request_uri` for `/authorize`. Every error is the
//! JSON error response of §2.3, never a redirect (docs/security.md F.1).

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::http::client::{self, Accepts};
use crate::http::errors::ApiError;
use crate::http::extract;
use crate::http::response::no_store;
use crate::interaction::par;
use crate::oauth::pkce::PkcePolicy;
use crate::state::AppState;

#[tracing::instrument(name = "par", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let ctx = &state.ctx;
    let params = extract::form(&req, &body)?;
    let client = client::authenticate(ctx, &req, &params, Accepts::AnyClient).await?;
    let pkce = PkcePolicy::from_setting(state.settings.security.allow_plain_pkce);
    let pushed = par::push(ctx, &client, &params, pkce).await?;
    Ok(no_store(HttpResponse::Created().json(pushed)))
}
