//! `GET /upstream/{id}/start` and `GET /upstream/{id}/callback`: sign-in through an upstream OpenID
//! provider (docs/guides/federation.md, docs/security.md I). The protocol is in
//! `federation/flow.rs`; a successful callback ends like a password login (`endpoints/login.rs`).

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use crate::accounts::Audit;
use crate::accounts::csrf::Holder;
use crate::endpoints::login::{self, NewLogin};
use crate::federation::{self, Callback, FederationError, Start};
use crate::http::errors::PageError;
use crate::http::{cookies, pages::Browser};
use crate::http::{extract, response, session};
use crate::state::AppState;
use crate::storage::{AuditKind, AuthMethod};

#[tracing::instrument(name = "upstream_start", skip_all, fields(upstream = %id))]
pub async fn start(
    state: Data<AppState>,
    req: HttpRequest,
    id: Path<String>,
) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let params = extract::query(&req)?;
    let (binding, new_cookie) = cookies::browser(&req, &state);
    let current = session::current(ctx, &state.settings, &req).await?;
    let login = current.as_ref().map(|c| c.session.login().to_string());
    let holder = Holder {
        binding: &binding,
        login: login.as_deref(),
    };
    let started = federation::flow::start(
        ctx,
        Start {
            upstream_id: &id,
            pending_id: params.get("pending").unwrap_or_default(),
            login_hint: params.get("login_hint"),
            holder,
        },
    )
    .await;
    let location = started.map_err(|e| page(&id, e))?;
    let browser = Browser {
        binding,
        login,
        set_cookies: new_cookie.into_iter().collect(),
    };
    Ok(browser.finish(response::see_other(&location)))
}

#[tracing::instrument(name = "upstream_callback", skip_all, fields(upstream = %id))]
pub async fn callback(
    state: Data<AppState>,
    req: HttpRequest,
    id: Path<String>,
) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let params = extract::query(&req)?;
    let meta = extract::meta(&req);
    let (binding, new_cookie) = cookies::browser(&req, &state);
    let current = session::current(ctx, &state.settings, &req).await?;
    let holder = Holder {
        binding: &binding,
        login: current.as_ref().map(|c| c.session.login()),
    };
    let cb = Callback {
        upstream_id: &id,
        params: &params,
        holder,
    };
    let done = match federation::flow::callback(ctx, cb, &meta).await {
        Ok(done) => done,
        Err(e) => {
            let detail = json!({ "upstream": id.as_str(), "reason": e.reason() });
            let event = Audit::new(AuditKind::FederationRefused).ip(Some(&meta.ip));
            event.detail(detail).write(&ctx.store, ctx.now()).await;
            return Err(page(&id, e));
        }
    };
    let client_id = done.target.as_ref().map(|(_, c)| c.client_id.as_str());
    let detail = json!({ "method": "fed", "upstream": done.upstream_id });
    let event = Audit::new(AuditKind::LoginSuccess)
        .user(Some(&done.user.id))
        .client(client_id);
    event
        .ip(Some(&meta.ip))
        .detail(detail)
        .write(&ctx.store, ctx.now())
        .await;
    tracing::debug!(groups = done.groups.len(), linked_by = ?done.linked_by, "federated sign-in");
    let new_login = NewLogin {
        user: done.user,
        amr: vec![AuthMethod::Federated],
        idp: Some(done.upstream_id),
    };
    login::finish(&state, &req, new_login, done.target, (binding, new_cookie), &meta).await
}

/// docs/security.md I.3: every failure is a clear page; the detail goes to the log only.
fn page(upstream: &str, e: FederationError) -> PageError {
    use FederationError as E;
    crate::monitoring::upstream_error(upstream, e.reason());
    match &e {
        E::Storage(_) | E::OAuth(_) => tracing::error!(upstream, error = %e, "upstream sign-in failed"),
        _ => tracing::info!(upstream, error = %e, "upstream sign-in refused"),
    }
    let (status, title, message) = match e {
        E::UnknownUpstream => (
            StatusCode::NOT_FOUND,
            "error-upstream-unknown-title",
            "error-upstream-unknown",
        ),
        E::NotOffered | E::PasswordLoginOff => (
            StatusCode::FORBIDDEN,
            "error-upstream-not-offered-title",
            "error-upstream-not-offered",
        ),
        E::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "error-upstream-unavailable-title",
            "error-upstream-unavailable",
        ),
        E::RequestExpired => return PageError::request_expired(),
        E::BadState => (
            StatusCode::BAD_REQUEST,
            "error-upstream-state-title",
            "error-upstream-state",
        ),
        E::Denied(_) => (
            StatusCode::FORBIDDEN,
            "error-upstream-denied-title",
            "error-upstream-denied",
        ),
        E::InvalidResponse(_) => (
            StatusCode::BAD_GATEWAY,
            "error-upstream-invalid-title",
            "error-upstream-invalid",
        ),
        E::UnknownUser => (
            StatusCode::FORBIDDEN,
            "error-upstream-unknown-user-title",
            "error-upstream-unknown-user",
        ),
        E::CannotProvision(_) => (
            StatusCode::CONFLICT,
            "error-upstream-provision-title",
            "error-upstream-provision",
        ),
        E::Disabled => (
            StatusCode::FORBIDDEN,
            "error-account-disabled-title",
            "error-account-disabled",
        ),
        E::Storage(e) => return e.into(),
        E::OAuth(e) => return e.into(),
    };
    PageError::new(status, title, message)
}
