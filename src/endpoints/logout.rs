//! `GET|POST /logout` and `POST /logout/confirm` (OpenID RP-Initiated Logout 1.0,
//! docs/security.md D.22). A hint for the signed-in user logs out at once; otherwise the user
//! confirms.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::accounts::csrf::{self, Holder};
use crate::accounts::{self, LogoutVia, session};
use crate::http::errors::PageError;
use crate::http::templates::{LoggedOutPage, LogoutConfirmPage, LogoutStayedPage};
use crate::http::{cookies, extract, response};
use crate::interaction::logout_outcome::{self, Outcome};
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
        // docs/security.md O.3: "Stay signed in" is a page that says so, with the way back.
        let outcome = Outcome {
            signed_out: false,
            back: way_back_to(&state, &request).await?,
            client_name: request.client_name.clone(),
        };
        let id = logout_outcome::park(ctx, &outcome, holder).await?;
        return Ok(response::see_other(&format!("/logout/done?id={id}")));
    }
    let cookie = cookies::session_value(&req, &state.settings);
    let mut res = finish(&state, &req, &request, cookie.as_deref()).await?;
    if res.status() != StatusCode::SEE_OTHER {
        // docs/security.md O.1: the signed-out page is a GET, not the answer to this POST.
        let outcome = Outcome {
            signed_out: true,
            back: None,
            client_name: request.client_name.clone(),
        };
        let signed_out = Holder {
            login: None,
            ..holder
        };
        let id = logout_outcome::park(ctx, &outcome, signed_out).await?;
        let mut redirect = response::see_other(&format!("/logout/done?id={id}"));
        for c in res.cookies() {
            let _ = redirect.add_cookie(&c.into_owned());
        }
        res = redirect;
    }
    Ok(res)
}

/// `GET /logout/done?id=...`: how the logout confirmation ended, for the browser that answered
/// it; reloadable (docs/security.md O.1, O.3). Anything else is the plain signed-out page when the
/// browser is signed out, or the "still signed in" page pointing to `/account`.
#[tracing::instrument(name = "logout_done", skip_all)]
pub async fn done(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let (binding, _) = cookies::browser(&req, &state);
    let current = crate::http::session::current(ctx, &state.settings, &req).await?;
    let holder = Holder {
        binding: &binding,
        login: current.as_ref().map(|c| c.session.login()),
    };
    let query = extract::query(&req).ok();
    let id = query.as_ref().and_then(|q| q.get("id")).unwrap_or_default();
    let outcome = logout_outcome::load(ctx, id, holder).await?.unwrap_or(Outcome {
        signed_out: current.is_none(),
        ..Outcome::default()
    });
    if outcome.signed_out {
        let page = LoggedOutPage {
            client_name: outcome.client_name,
        };
        return response::page(StatusCode::OK, &page);
    }
    let page = LogoutStayedPage {
        client_name: outcome.client_name,
        back: outcome.back,
    };
    response::page(StatusCode::OK, &page)
}

/// The client's registered address, or the origin of its registered post-logout redirect URI.
async fn way_back_to(state: &AppState, request: &LogoutRequest) -> Result<Option<String>, PageError> {
    let client = match &request.client_id {
        Some(id) => state.ctx.store.client_by_id(id).await?,
        None => None,
    };
    let client_uri = client
        .as_ref()
        .and_then(|c| c.registration.display.client_uri.as_deref());
    Ok(logout_outcome::way_back(
        client_uri,
        request.redirect_uri.as_deref(),
    ))
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
