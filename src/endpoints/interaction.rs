//! Turning an authorization `Step` into a page or a redirect: the login and consent pages carry a
//! CSRF token bound to the browser cookie (SECURITY.md D.20).

use actix_web::HttpResponse;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;

use crate::accounts::csrf;
use crate::authorization::Step;
use crate::http::response;
use crate::http::templates::{ConsentPage, LoginPage, ScopeItem};
use crate::oauth::OAuthError;
use crate::oidc::claims::describe_scope;
use crate::state::AppState;

/// Renders a step for the browser bound by `binding`; `set_cookies` go out with the response.
pub async fn render(
    state: &AppState,
    step: Step,
    binding: &str,
    set_cookies: Vec<Cookie<'static>>,
) -> HttpResponse {
    let mut res = match step {
        Step::Respond(r) => response::authorization_response(&r),
        Step::Login { pending, client_name } => {
            let username = pending.request.login_hint.clone().unwrap_or_default();
            login_page(state, binding, Some(client_name), &pending.id, username, None).await
        }
        Step::Consent {
            pending,
            client_name,
            username,
        } => match csrf::issue(&state.ephemeral, binding).await {
            Ok(csrf_token) => {
                let scopes = pending
                    .request
                    .scope
                    .iter()
                    .map(|s| ScopeItem {
                        name: s.to_string(),
                        description: describe_scope(s).to_string(),
                    })
                    .collect();
                let page = ConsentPage {
                    client_name,
                    username,
                    scopes,
                    request_id: pending.id.clone(),
                    csrf_token,
                };
                response::page(StatusCode::OK, &page)
            }
            Err(e) => response::error_page_for(&OAuthError::from(e)),
        },
    };
    for c in set_cookies {
        let _ = res.add_cookie(&c);
    }
    res
}

/// The login page with a fresh CSRF token.
pub async fn login_page(
    state: &AppState,
    binding: &str,
    client_name: Option<String>,
    request_id: &str,
    username: String,
    error: Option<&str>,
) -> HttpResponse {
    match csrf::issue(&state.ephemeral, binding).await {
        Ok(csrf_token) => {
            let page = LoginPage {
                client_name,
                request_id: request_id.to_string(),
                csrf_token,
                username,
                error: error.map(str::to_string),
            };
            let status = if error.is_some() {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::OK
            };
            response::page(status, &page)
        }
        Err(e) => response::error_page_for(&OAuthError::from(e)),
    }
}

/// The page for a pending request that is gone (expired, finished, or from another browser).
pub fn expired_request() -> HttpResponse {
    response::error_page(
        StatusCode::BAD_REQUEST,
        "This sign-in request has expired",
        "Go back to the application you came from and start again.",
        Some("invalid_request"),
    )
}
