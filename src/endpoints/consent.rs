//! `POST /consent` (SECURITY.md D.23): the user's explicit decision, remembered when allowed.

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::accounts::csrf;
use crate::authorization::{self, Pending, SignedIn};
use crate::endpoints::{common, interaction};
use crate::grants::code::Browser;
use crate::http::{cookies, extract, response};
use crate::state::AppState;

#[tracing::instrument(name = "consent", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let params = match extract::form(&req, &body) {
        Ok(p) => p,
        Err(e) => return response::error_page_for(&e),
    };
    let (binding, _) = cookies::browser(&req, &state.settings);
    match csrf::verify(
        &state.ephemeral,
        params.get("csrf_token").unwrap_or_default(),
        &binding,
    )
    .await
    {
        Ok(true) => {}
        Ok(false) => return interaction::expired_request(),
        Err(e) => return response::error_page_for(&e.into()),
    }
    let mut pending =
        match Pending::load(&state, params.get("request_id").unwrap_or_default(), &binding).await {
            Ok(Some(p)) => p,
            Ok(None) => return interaction::expired_request(),
            Err(e) => return response::error_page_for(&e),
        };
    let current = match common::signed_in(&state, &req).await {
        Ok(Some(c)) => c,
        Ok(None) => return interaction::expired_request(),
        Err(e) => return response::error_page_for(&e),
    };
    let client = match state.store.client_by_id(&pending.request.client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return interaction::expired_request(),
        Err(e) => return response::error_page_for(&e.into()),
    };
    if params.get("decision") != Some("allow") {
        let _ = pending.discard(&state).await;
        return response::authorization_response(&authorization::deny(&state, &pending.request));
    }
    if let Err(e) = authorization::grant_consent(&state, &mut pending, &current.user).await {
        return response::error_page_for(&e);
    }
    let browser = Browser {
        user_agent: extract::user_agent(&req),
        ip: Some(extract::client_ip(&req)),
    };
    let signed_in = SignedIn {
        session: &current.session,
        user: &current.user,
    };
    match authorization::evaluate(&state, pending, &client, Some(signed_in), browser).await {
        Ok(step) => interaction::render(&state, step, &binding, Vec::new()).await,
        Err(e) => response::error_page_for(&e),
    }
}
