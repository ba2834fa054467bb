//! `POST /consent` (docs/security.md D.23): the user's explicit decision, remembered when allowed.

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::accounts::{Audit, csrf};
use crate::http::errors::PageError;
use crate::http::pages::{self, Browser};
use crate::http::{cookies, extract, response, session};
use crate::interaction::{self, Pending};
use crate::state::AppState;
use crate::storage::AuditKind;

#[tracing::instrument(name = "consent", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let params = extract::form(&req, &body)?;
    let (binding, _) = cookies::browser(&req, &state.settings);
    csrf::require(&ctx.ephemeral, &params, &binding).await?;
    let request_id = params.get("request_id").unwrap_or_default();
    let mut pending = Pending::load(ctx, request_id, &binding)
        .await?
        .ok_or_else(PageError::request_expired)?;
    let current = session::current(ctx, &state.settings, &req)
        .await?
        .ok_or_else(PageError::request_expired)?;
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
        set_cookies: Vec::new(),
    };
    pages::render(ctx, step, browser).await
}
