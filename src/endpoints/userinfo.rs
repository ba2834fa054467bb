//! `GET|POST /userinfo` (OpenID Core §5.3, RFC 6750).

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::http::errors::{ApiError, no_store};
use crate::http::extract::{self, Bearer, QueryTokens};
use crate::oauth::scope::OPENID;
use crate::oauth::{ErrorCode, OAuthError};
use crate::oidc::claims;
use crate::state::AppState;
use crate::tokens::access;

#[tracing::instrument(name = "userinfo", skip_all)]
pub async fn handle(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let form = if req.method() == actix_web::http::Method::POST && !body.is_empty() {
        Some(extract::form(&req, &body).map_err(ApiError::bearer)?)
    } else {
        None
    };
    let query_tokens = QueryTokens::from_setting(state.settings.security.allow_query_bearer);
    let token = match extract::bearer(&req, form.as_ref(), query_tokens).map_err(ApiError::bearer)? {
        Bearer::Token(t) => t,
        Bearer::Missing => return Err(ApiError::bearer_missing()),
    };
    let valid = access::validate(&state.ctx, &token)
        .await
        .map_err(ApiError::bearer)?;
    let scope = &valid.claims.scope;
    let Some(user) = valid.user.filter(|_| scope.contains(OPENID)) else {
        let e = OAuthError::new(ErrorCode::InsufficientScope, "the token lacks the openid scope");
        return Err(ApiError::bearer(e));
    };
    Ok(no_store(HttpResponse::Ok().json(claims::for_scope(&user, scope))))
}
