//! `GET|POST /logout` and `POST /logout/confirm` (OpenID RP-Initiated Logout 1.0,
//! docs/security.md D.22). A hint for the signed-in user logs out at once; otherwise the user
//! confirms.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::accounts::csrf::{self, Holder};
use crate::accounts::{self, LogoutVia, session};
use crate::http::errors::PageError;
use crate::http::templates::{LoggedOutPage, LogoutConfirmPage};
use crate::http::{cookies, extract, response};
use crate::oauth::OAuthError;
use crate::oidc::end_session::{self, LogoutRequest};
use crate::state::AppState;

#[tracing::instrument(name = "logout", skip_all)]
pub async fn handle(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let params = extract::query_or_form(&req, &body)?;
    let request = end_session::validate(ctx, &params).await?;
    let Some(current) = crate::http::session::current(ctx, &state.settings, &req).await? else {
        return finish(&state, &req, &request, None).await;
    };
    if request.hint_sub.as_deref() == Some(current.user.id.as_str()) {
        return finish(&state, &req, &request, Some(&current.cookie)).await;
    }
    let (binding, new_cookie) = cookies::browser(&req, &state);
    let holder = Holder {
        binding: &binding,
        login: Some(current.session.login()),
    };
    let page = LogoutConfirmPage {
        client_name: request.client_name.clone(),
        logout_id: end_session::park(ctx, &request, holder).await?,
        csrf_token: csrf::issue(&ctx.ephemeral, holder).await?,
    };
    let mut res = response::page(StatusCode::OK, &page)?;
    if let Some(c) = new_cookie {
        let _ = res.add_cookie(&c);
    }
    Ok(res)
}

#[tracing::instrument(name = "logout_confirm", skip_all)]
pub async fn confirm(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let params = extract::form(&req, &body)?;
    let (binding, _) = cookies::browser(&req, &state);
    let current = crate::http::session::current(ctx, &state.settings, &req).await?;
    let holder = Holder {
        binding: &binding,
        login: current.as_ref().map(|c| c.session.login()),
    };
    csrf::require(&ctx.ephemeral, &params, holder).await?;
    let id = params.require("logout_id")?;
    let request = end_session::unpark(ctx, id, holder)
        .await?
        .ok_or_else(|| OAuthError::invalid_request("this sign-out request has expired"))?;
    if params.get("decision") != Some("logout") {
        return response::message(
            "You are still signed in",
            "Sign-out was cancelled. You can close this window.",
        );
    }
    let cookie = cookies::session_value(&req, &state.settings);
    finish(&state, &req, &request, cookie.as_deref()).await
}

/// Ends the session (if any, recorded in the audit log with the client's address), clears the
/// cookie, and redirects to the registered URI with `state` or shows the signed-out page.
async fn finish(
    state: &AppState,
    req: &HttpRequest,
    request: &LogoutRequest,
    session_cookie: Option<&str>,
) -> Result<HttpResponse, PageError> {
    if let Some(c) = session_cookie {
        if let Some(ended) = session::load(&state.ctx, c).await? {
            let (client_id, ip) = (request.client_id.as_deref(), extract::client_ip(req));
            accounts::record_logout(&state.ctx, &ended, LogoutVia::RelyingParty, client_id, &ip).await;
        }
        session::destroy(&state.ctx, c).await?;
    }
    let mut res = match end_session::after_logout_redirect(request) {
        Some(location) => response::see_other(&location),
        None => response::page(
            StatusCode::OK,
            &LoggedOutPage {
                client_name: request.client_name.clone(),
            },
        )?,
    };
    let _ = res.add_cookie(&cookies::clear_session(&state.settings));
    Ok(res)
}
