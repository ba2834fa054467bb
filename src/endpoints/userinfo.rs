//! `GET|POST /userinfo` (OpenID Core §5.3, RFC 6750).

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::http::extract::{self, Bearer};
use crate::http::response;
use crate::oauth::scope::{OPENID, Scope};
use crate::oauth::{ErrorCode, OAuthError};
use crate::oidc::claims;
use crate::state::AppState;
use crate::tokens::access;

#[tracing::instrument(name = "userinfo", skip_all)]
pub async fn handle(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let form = if req.method() == actix_web::http::Method::POST && !body.is_empty() {
        match extract::form(&req, &body) {
            Ok(p) => Some(p),
            Err(e) => return response::bearer_error(Some(&e)),
        }
    } else {
        None
    };
    let token = match extract::bearer(&req, form.as_ref(), state.settings.security.allow_query_bearer) {
        Ok(Bearer::Token(t)) => t,
        Ok(Bearer::Missing) => return response::bearer_error(None),
        Err(e) => return response::bearer_error(Some(&e)),
    };
    let valid = match access::validate(&state, &token).await {
        Ok(v) => v,
        Err(e) => return response::bearer_error(Some(&e)),
    };
    let scope = Scope::from_tokens(valid.claims.scope.split(' ').filter(|s| !s.is_empty()));
    let Some(user) = valid.user.filter(|_| scope.contains(OPENID)) else {
        let e = OAuthError::new(ErrorCode::InsufficientScope, "the token lacks the openid scope");
        return response::bearer_error(Some(&e));
    };
    response::no_store(HttpResponse::Ok().json(claims::for_scope(&user, &scope)))
}
