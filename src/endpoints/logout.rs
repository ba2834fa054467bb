//! `GET|POST /logout` and `POST /logout/confirm` (OpenID RP-Initiated Logout 1.0, SECURITY.md D.22).
//! A hint for the signed-in user logs out at once; otherwise the user confirms.

use std::time::Duration;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::{csrf, session};
use crate::endpoints::common;
use crate::http::templates::{LoggedOutPage, LogoutConfirmPage};
use crate::http::{cookies, extract, response};
use crate::oauth::OAuthError;
use crate::oidc::end_session::{self, LogoutRequest};
use crate::state::AppState;
use crate::storage::Kind;
use crate::util::{ct_eq, secret_256, sha256_hex};

#[derive(Serialize, Deserialize)]
struct PendingLogout {
    request: LogoutRequest,
    browser: String,
}

fn key(id: &str) -> String {
    format!("logout:{}", sha256_hex(id))
}

#[tracing::instrument(name = "logout", skip_all)]
pub async fn handle(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let result = async {
        let params = extract::query_or_form(&req, &body)?;
        let request = end_session::validate(&state, &params).await?;
        let current = common::signed_in(&state, &req).await?;
        let Some(current) = current else {
            return Ok(finish(&state, &request, None).await);
        };
        if request.hint_sub.as_deref() == Some(current.user.id.as_str()) {
            return Ok(finish(&state, &request, Some(&current.cookie)).await);
        }
        let (binding, new_cookie) = cookies::browser(&req, &state.settings);
        let id = secret_256();
        let pending = PendingLogout {
            request: request.clone(),
            browser: sha256_hex(&binding),
        };
        let value = serde_json::to_string(&pending).map_err(OAuthError::server_error)?;
        state
            .ephemeral
            .put(Kind::AuthRequest, &key(&id), &value, Duration::from_secs(600))
            .await?;
        let csrf_token = csrf::issue(&state.ephemeral, &binding).await?;
        let page = LogoutConfirmPage {
            client_name: request.client_name.clone(),
            logout_id: id,
            csrf_token,
        };
        let mut res = response::page(StatusCode::OK, &page);
        if let Some(c) = new_cookie {
            let _ = res.add_cookie(&c);
        }
        Ok::<_, OAuthError>(res)
    }
    .await;
    result.unwrap_or_else(|e| response::error_page_for(&e))
}

#[tracing::instrument(name = "logout_confirm", skip_all)]
pub async fn confirm(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let result = async {
        let params = extract::form(&req, &body)?;
        let (binding, _) = cookies::browser(&req, &state.settings);
        if !csrf::verify(
            &state.ephemeral,
            params.get("csrf_token").unwrap_or_default(),
            &binding,
        )
        .await?
        {
            return Err(OAuthError::invalid_request("this form has expired"));
        }
        let id = params.require("logout_id")?;
        let raw = state
            .ephemeral
            .take(Kind::AuthRequest, &key(id))
            .await?
            .ok_or_else(|| OAuthError::invalid_request("this sign-out request has expired"))?;
        let pending: PendingLogout = serde_json::from_str(&raw).map_err(OAuthError::server_error)?;
        if !ct_eq(&pending.browser, &sha256_hex(&binding)) {
            return Err(OAuthError::invalid_request("this sign-out request has expired"));
        }
        if params.get("decision") != Some("logout") {
            return Ok(response::error_page(
                StatusCode::OK,
                "You are still signed in",
                "Sign-out was cancelled. You can close this window.",
                None,
            ));
        }
        let cookie = cookies::session_value(&req, &state.settings);
        Ok(finish(&state, &pending.request, cookie.as_deref()).await)
    }
    .await;
    result.unwrap_or_else(|e| response::error_page_for(&e))
}

/// Ends the session (if any), clears the cookie, and redirects to the registered URI with `state`
/// or shows the signed-out page.
async fn finish(state: &AppState, request: &LogoutRequest, session_cookie: Option<&str>) -> HttpResponse {
    if let Some(c) = session_cookie {
        if let Err(e) = session::destroy(&state.ephemeral, c).await {
            return response::error_page_for(&e.into());
        }
    }
    let clear: Cookie<'static> = cookies::clear_session(&state.settings);
    let mut res = match end_session::after_logout_redirect(request) {
        Some(location) => response::see_other(&location),
        None => response::page(
            StatusCode::OK,
            &LoggedOutPage {
                client_name: request.client_name.clone(),
            },
        ),
    };
    let _ = res.add_cookie(&clear);
    res
}
