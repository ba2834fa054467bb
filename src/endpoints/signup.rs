//! Self-service sign-up (docs/guides/email.md; docs/security.md N.7): `GET|POST /signup` for a
//! pending authorization request whose client allows it. After sign-up the person is signed in
//! and the authorization request goes on (consent, then the client), with `email_verified` false
//! until the mailed link is followed.

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use super::login::{self, NewLogin};
use crate::accounts::csrf::{self, Holder};
use crate::accounts::signup::{self, SignupForm, SignupOutcome};
use crate::context::Context;
use crate::http::email_pages::{SignupPage, browser};
use crate::http::errors::PageError;
use crate::http::{extract, response};
use crate::interaction::Pending;
use crate::oauth::params::ParamMap;
use crate::state::AppState;
use crate::storage::{AuthMethod, Client};

/// The pending request named by `request_id` and its client, when that client offers sign-up;
/// otherwise 404 (sign-up is off, or not for this client) or "request expired".
async fn target(
    ctx: &Context,
    params: &ParamMap,
    holder: Holder<'_>,
) -> Result<(Pending, Client), PageError> {
    if !ctx.signup.enabled {
        return Err(not_offered());
    }
    let id = params.get("request_id").unwrap_or_default();
    let pending = Pending::load(ctx, id, holder)
        .await?
        .ok_or_else(PageError::request_expired)?;
    let client = ctx
        .store
        .client_by_id(&pending.request.client_id)
        .await?
        .ok_or_else(PageError::request_expired)?;
    if !signup::offered(ctx, Some(&client)).await? {
        return Err(not_offered());
    }
    Ok((pending, client))
}

fn not_offered() -> PageError {
    PageError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "signup-not-available-title",
        "signup-not-available",
    )
}

async fn page(
    ctx: &Context,
    holder: Holder<'_>,
    client: &Client,
    request_id: &str,
    form: &SignupForm,
    error: Option<(&'static str, String)>,
) -> Result<HttpResponse, PageError> {
    let (error_field, error) = match error {
        Some((field, message)) => (field.to_string(), Some(message)),
        None => (String::new(), None),
    };
    let status = if error.is_some() {
        actix_web::http::StatusCode::BAD_REQUEST
    } else {
        actix_web::http::StatusCode::OK
    };
    let page = SignupPage {
        client_name: client.name.clone(),
        request_id: request_id.to_string(),
        csrf_token: csrf::issue(&ctx.ephemeral, holder).await?,
        username: form.username.clone(),
        email: form.email.clone(),
        min_chars: ctx.password_policy.min_chars,
        error,
        error_field,
    };
    response::page(status, &page)
}

/// The sign-up form.
pub async fn get(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let query = extract::query(&req)?;
    let browser = browser(&state, &req).await?;
    let (pending, client) = target(ctx, &query, browser.holder()).await?;
    let res = page(
        ctx,
        browser.holder(),
        &client,
        &pending.id,
        &SignupForm::default(),
        None,
    )
    .await?;
    Ok(browser.finish(res))
}

/// Creates the account, then signs the person in and continues the authorization request.
#[tracing::instrument(name = "signup", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let params = extract::form(&req, &body)?;
    let browser = browser(&state, &req).await?;
    csrf::require(&ctx.ephemeral, &params, browser.holder()).await?;
    let (mut pending, client) = target(ctx, &params, browser.holder()).await?;
    pending.login_submitted(ctx).await?;
    let field = |name: &str| params.get(name).unwrap_or_default().to_string();
    let form = SignupForm {
        username: field("username").trim().to_string(),
        email: field("email").trim().to_string(),
        password: field("password"),
        confirm: field("confirm_password"),
    };
    let meta = extract::meta(&req);
    let user = match signup::create(ctx, form.clone(), &client.client_id, &meta.ip).await? {
        SignupOutcome::Created(user) => user,
        SignupOutcome::Refused { field, message } => {
            let res = page(
                ctx,
                browser.holder(),
                &client,
                &pending.id,
                &form,
                Some((field, message)),
            )
            .await?;
            return Ok(browser.finish(res));
        }
    };
    let new_login = NewLogin {
        user,
        amr: vec![AuthMethod::Password],
        idp: None,
    };
    let cookie = browser.set_cookies.into_iter().next();
    login::finish(
        &state,
        &req,
        new_login,
        Some((pending, client)),
        (browser.binding, cookie),
        &meta,
    )
    .await
}
