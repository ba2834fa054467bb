//! `POST /consent` (docs/security.md D.23, E.32): the user's explicit decision, remembered when
//! allowed. Only the login session the consent page was shown to can answer it.

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::accounts::csrf::{self, Holder};
use crate::accounts::{self, Audit, LogoutVia};
use crate::http::errors::PageError;
use crate::http::pages::{self, Browser};
use crate::http::session::Current;
use crate::http::{cookies, extract, response, session};
use crate::interaction;
use crate::interaction::pending::Pending;
use crate::oauth::params::ParamMap;
use crate::state::AppState;
use crate::storage::AuditKind;

/// A form answering the consent page, checked: the signed-in login the page was shown to, its CSRF
/// token, and the request still awaiting that login's consent.
struct Answer {
    params: ParamMap,
    binding: String,
    current: Current,
    pending: Pending,
}

async fn answer(state: &AppState, req: &HttpRequest, body: &Bytes) -> Result<Answer, PageError> {
    let ctx = &state.ctx;
    let params = extract::form(req, body)?;
    let (binding, _) = cookies::browser(req, state);
    let current = session::current(ctx, &state.settings, req)
        .await?
        .ok_or_else(PageError::request_expired)?;
    let holder = Holder {
        binding: &binding,
        login: Some(current.session.login()),
    };
    csrf::require(&ctx.ephemeral, &params, holder).await?;
    let request_id = params.get("request_id").unwrap_or_default();
    let pending = interaction::awaiting_consent(ctx, request_id, &binding, current.signed_in())
        .await?
        .ok_or_else(PageError::request_expired)?;
    Ok(Answer {
        params,
        binding,
        current,
        pending,
    })
}

#[tracing::instrument(name = "consent", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let Answer {
        params,
        binding,
        current,
        mut pending,
    } = answer(&state, &req, &body).await?;
    let client = ctx
        .store
        .client_by_id(&pending.request.client_id)
        .await?
        .ok_or_else(PageError::request_expired)?;
    if params.get("decision") != Some("allow") {
        let _ = pending.discard(ctx).await;
        return response::authorization_response(&interaction::deny(ctx, &pending.request));
    }
    interaction::grant_consent(ctx, &mut pending, &current.user).await?;
    let meta = extract::meta(&req);
    Audit::new(AuditKind::ConsentGranted)
        .user(Some(&current.user.id))
        .client(Some(&client.client_id))
        .ip(Some(&meta.ip))
        .detail(serde_json::json!({ "scope": pending.request.scope.to_string() }))
        .write(&ctx.store, ctx.now())
        .await;
    let step = interaction::evaluate(ctx, pending, &client, Some(current.signed_in()), &meta).await?;
    let browser = Browser {
        binding,
        login: Some(current.session.login().to_string()),
        set_cookies: Vec::new(),
    };
    pages::after_post(ctx, step, browser).await
}

/// `POST /consent/switch` ("Not you? Use another account", docs/security.md O.4): the browser is
/// signed out of the login the consent page was shown to, and the same request goes back to its
/// login page (303 to `/login/continue`), so whoever signs in next answers it.
#[tracing::instrument(name = "consent_switch", skip_all)]
pub async fn switch_account(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let Answer {
        current, mut pending, ..
    } = answer(&state, &req, &body).await?;
    let ip = extract::client_ip(&req);
    let client_id = Some(pending.request.client_id.as_str());
    accounts::record_logout(ctx, &current.session, LogoutVia::SwitchAccount, client_id, &ip).await;
    accounts::session::destroy(ctx, &current.cookie).await?;
    interaction::forget_login(ctx, &mut pending).await?;
    let mut res = response::see_other(&pages::continue_path(&pending.id));
    let _ = res.add_cookie(&cookies::clear_session(&state.settings));
    Ok(res)
}
