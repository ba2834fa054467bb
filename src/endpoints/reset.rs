//! Self-service password reset (docs/guides/email.md; docs/security.md N.1-N.5):
//! `GET|POST /password/forgot`, `GET /password/forgot/sent`, `GET|POST /reset`, `GET /reset/done`.
//! Each POST answers 303 to a GET page, so reloading never submits twice.

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::accounts::csrf;
use crate::accounts::reset::{self, NewPassword, ResetOutcome};
use crate::http::email_pages::{self, browser};
use crate::http::errors::PageError;
use crate::http::{extract, response};
use crate::state::AppState;

/// Without mail there is no reset: 404.
fn require_mail(state: &AppState) -> Result<(), PageError> {
    if state.ctx.mail.is_enabled() {
        Ok(())
    } else {
        Err(PageError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "error-not-available-title",
            "reset-not-available",
        ))
    }
}

/// The form asking for the username or address.
pub async fn forgot_page(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    require_mail(&state)?;
    let browser = browser(&state, &req).await?;
    let page = email_pages::forgot(&state.ctx, browser.holder()).await?;
    Ok(browser.finish(page))
}

/// docs/security.md N.1: the same answer whether or not the account exists, mail or no mail.
#[tracing::instrument(name = "password_forgot", skip_all)]
pub async fn forgot(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, PageError> {
    require_mail(&state)?;
    let params = extract::form(&req, &body)?;
    let browser = browser(&state, &req).await?;
    csrf::require(&state.ctx.ephemeral, &params, browser.holder()).await?;
    let ip = extract::client_ip(&req);
    reset::request(&state.ctx, params.get("login").unwrap_or_default(), &ip).await?;
    Ok(browser.finish(response::see_other("/password/forgot/sent")))
}

pub async fn forgot_sent(state: Data<AppState>) -> Result<HttpResponse, PageError> {
    require_mail(&state)?;
    email_pages::reset_sent()
}

/// The new-password form a mailed link opens; the link is checked, not spent.
pub async fn reset_page(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    require_mail(&state)?;
    let query = extract::query(&req)?;
    let token = query.get("token").unwrap_or_default().to_string();
    let user = reset::user_of_link(&state.ctx, &token)
        .await?
        .map_err(email_pages::link_problem)?;
    let browser = browser(&state, &req).await?;
    let page = email_pages::reset(&state.ctx, browser.holder(), user.username, token, None).await?;
    Ok(browser.finish(page))
}

/// docs/security.md N.2-N.4: sets the password, spends the link, ends every session.
#[tracing::instrument(name = "password_reset", skip_all)]
pub async fn reset(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, PageError> {
    require_mail(&state)?;
    let ctx = &state.ctx;
    let params = extract::form(&req, &body)?;
    let browser = browser(&state, &req).await?;
    csrf::require(&ctx.ephemeral, &params, browser.holder()).await?;
    let token = params.get("token").unwrap_or_default().to_string();
    let new = NewPassword {
        password: params.get("new_password").unwrap_or_default().to_string(),
        confirm: params.get("confirm_password").unwrap_or_default().to_string(),
    };
    let res = match reset::complete(ctx, &token, new, &extract::client_ip(&req)).await? {
        ResetOutcome::Done => response::see_other("/reset/done"),
        ResetOutcome::Link(p) => return Err(email_pages::link_problem(p)),
        ResetOutcome::Refused(message) => {
            let username = params.get("username").unwrap_or_default().to_string();
            email_pages::reset(ctx, browser.holder(), username, token, Some(message)).await?
        }
    };
    Ok(browser.finish(res))
}

pub async fn reset_done() -> Result<HttpResponse, PageError> {
    email_pages::reset_done()
}
