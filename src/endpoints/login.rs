//! `POST /login`: the login form (SECURITY.md D.19-D.21). A CSRF token bound to the browser, rate
//! limits, one message for every failure, a new session id at every login, then the pending
//! authorization request continues.

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::accounts::login::{LoginOutcome, PasswordCheck};
use crate::accounts::{csrf, session};
use crate::authorization::{self, Pending, SignedIn};
use crate::endpoints::interaction;
use crate::grants::code::Browser;
use crate::http::{cookies, extract, response};
use crate::oauth::OAuthError;
use crate::state::AppState;

const INVALID: &str = "Incorrect username or password.";
const LOCKED: &str = "Too many sign-in attempts. Wait a few minutes and try again.";
const STALE: &str = "This form has expired. Please sign in again.";

#[tracing::instrument(name = "login", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let params = match extract::form(&req, &body) {
        Ok(p) => p,
        Err(e) => return response::error_page_for(&e),
    };
    let (binding, new_cookie) = cookies::browser(&req, &state.settings);
    // An authorization request waiting for this login, or none: signing in to the account page.
    let request_id = params.get("request_id").unwrap_or_default();
    let target = if request_id.is_empty() {
        None
    } else {
        let pending = match Pending::load(&state, request_id, &binding).await {
            Ok(Some(p)) => p,
            Ok(None) => return interaction::expired_request(),
            Err(e) => return response::error_page_for(&e),
        };
        match state.store.client_by_id(&pending.request.client_id).await {
            Ok(Some(c)) => Some((pending, c)),
            Ok(None) => return interaction::expired_request(),
            Err(e) => return response::error_page_for(&e.into()),
        }
    };
    let client_name = target.as_ref().map(|(_, c)| c.name.clone());
    let client_id = target.as_ref().map(|(_, c)| c.client_id.clone());
    let username = params.get("username").unwrap_or_default().to_string();
    let retry = |msg: &'static str| {
        let (state, binding, name, id, user) = (
            state.clone(),
            binding.clone(),
            client_name.clone(),
            request_id.to_string(),
            username.clone(),
        );
        async move { interaction::login_page(&state, &binding, name, &id, user, Some(msg)).await }
    };
    match csrf::verify(
        &state.ephemeral,
        params.get("csrf_token").unwrap_or_default(),
        &binding,
    )
    .await
    {
        Ok(true) => {}
        Ok(false) => return retry(STALE).await,
        Err(e) => return response::error_page_for(&e.into()),
    }
    let password = params.get("password").unwrap_or_default().to_string();
    if username.is_empty() || password.is_empty() {
        return retry(INVALID).await;
    }
    let check = PasswordCheck {
        store: &state.store,
        ephemeral: &state.ephemeral,
        hasher: &state.hasher,
        limits: &state.settings.rate_limit,
    };
    let ip = extract::client_ip(&req);
    let user = match check.check(&ip, &username, password, client_id.as_deref()).await {
        Ok(LoginOutcome::Success(user)) => user,
        Ok(LoginOutcome::Invalid) => return retry(INVALID).await,
        Ok(LoginOutcome::Locked) => return retry(LOCKED).await,
        Err(e) => return response::error_page_for(&OAuthError::server_error(e)),
    };
    // A new session id at every login (session fixation, SECURITY.md D.21).
    if let Some(old) = cookies::session_value(&req, &state.settings) {
        let _ = session::destroy(&state.ephemeral, &old).await;
    }
    let (cookie, login) = match session::create(
        &state.ephemeral,
        &state.settings.sessions,
        &user.id,
        vec!["pwd".into()],
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return response::error_page_for(&e.into()),
    };
    let browser = Browser {
        user_agent: extract::user_agent(&req),
        ip: Some(ip),
    };
    let signed_in = SignedIn {
        session: &login,
        user: &user,
    };
    let mut set = vec![cookies::session(&state.settings, &cookie)];
    set.extend(new_cookie);
    let Some((pending, client)) = target else {
        let mut res = response::see_other("/account");
        for c in &set {
            let _ = res.add_cookie(c);
        }
        return res;
    };
    match authorization::after_login(&state, pending, &client, signed_in, browser).await {
        Ok(step) => interaction::render(&state, step, &binding, set).await,
        Err(e) => response::error_page_for(&e),
    }
}
