//! `GET|POST /userinfo` (OpenID Core §5.3, RFC 6750, RFC 9449 §7).

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::http::dpop;
use crate::http::errors::ApiError;
use crate::http::extract::{self, QueryTokens};
use crate::http::response::no_store;
use crate::oauth::scope::OPENID;
use crate::oauth::{ErrorCode, OAuthError};
use crate::oidc::claims;
use crate::state::AppState;

#[tracing::instrument(name = "userinfo", skip_all)]
pub async fn handle(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let ctx = &state.ctx;
    let form = if req.method() == actix_web::http::Method::POST && !body.is_empty() {
        Some(extract::form(&req, &body).map_err(ApiError::bearer)?)
    } else {
        None
    };
    let query_tokens = QueryTokens::from_setting(state.settings.security.allow_query_bearer);
    let authorized = dpop::authorize_resource(ctx, &req, form.as_ref(), query_tokens, "/userinfo").await?;
    let valid = &authorized.token;
    let scope = &valid.claims.scope;
    let Some(user) = valid.user.as_ref().filter(|_| scope.contains(OPENID)) else {
        let e = OAuthError::new(ErrorCode::InsufficientScope, "the token lacks the openid scope");
        return Err(authorized.error(ctx, e));
    };
    let body = claims::userinfo(ctx, &valid.claims.client_id, user, scope)
        .await
        .map_err(|e| authorized.error(ctx, e.into()))?;
    let res = no_store(HttpResponse::Ok().json(body));
    Ok(dpop::with_nonce(ctx, res))
}
