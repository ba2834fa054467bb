//! `/device` (RFC 8628 §3.3, docs/guides/device.md, docs/security.md L): the user signs in, types
//! the code the device shows (or arrives with it from `verification_uri_complete`), confirms on a
//! page that names the client and warns about codes from someone else, and sees the result. Every
//! form has a CSRF token; every POST answers 303 or shows its form again with the error.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::accounts::csrf::{self, Holder};
use crate::http::device_pages;
use crate::http::errors::PageError;
use crate::http::pages::{self, LoginForm};
use crate::http::session::Current;
use crate::http::{cookies, extract, response, session};
use crate::interaction::device;
use crate::interaction::device_approval::{self, Entered};
use crate::oauth::device::UserCode;
use crate::state::AppState;

/// Message ids (`locales/*/device.ftl`).
const WRONG_CODE: &str = "device-wrong-code";
const TOO_MANY: &str = "device-too-many";

fn not_found() -> Result<HttpResponse, PageError> {
    Err(PageError::new(
        StatusCode::NOT_FOUND,
        "error-not-found-title",
        "error-device-off",
    ))
}

/// `GET /device[?user_code=...]`: the code form, prefilled; a signed-out browser signs in first
/// and comes back here (with the code).
#[tracing::instrument(name = "device", skip_all)]
pub async fn get(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    if !ctx.device.enabled {
        return not_found();
    }
    let (binding, new_cookie) = cookies::browser(&req, &state);
    let query = extract::query(&req).ok();
    let typed = query
        .as_ref()
        .and_then(|q| q.get("user_code"))
        .unwrap_or_default();
    let code = UserCode::parse(typed);
    let mut res = match session::current(ctx, &state.settings, &req).await? {
        Some(current) => {
            let holder = holder_of(&binding, &current);
            let prefill = code.as_ref().map_or_else(String::new, UserCode::display);
            device_pages::code_form(ctx, holder, &current.user.username, &prefill, None).await?
        }
        None => {
            device::remember_return(ctx, &binding, &device::device_path(code.as_ref())).await?;
            let holder = Holder {
                binding: &binding,
                login: None,
            };
            let form = LoginForm {
                client_name: Some("your device".to_string()),
                ..LoginForm::default()
            };
            pages::login_page(ctx, holder, form, None).await?
        }
    };
    if let Some(c) = new_cookie {
        let _ = res.add_cookie(&c);
    }
    Ok(res)
}

fn holder_of<'a>(binding: &'a str, current: &'a Current) -> Holder<'a> {
    Holder {
        binding,
        login: Some(current.session.login()),
    }
}

/// `POST /device` (`user_code`, `csrf_token`): a right code goes to its confirmation page (303);
/// a wrong one shows the form again, counted against the address and the user (RFC 8628 §5.1).
#[tracing::instrument(name = "device_enter", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    if !ctx.device.enabled {
        return not_found();
    }
    let params = extract::form(&req, &body)?;
    let (binding, _) = cookies::browser(&req, &state);
    let Some(current) = session::current(ctx, &state.settings, &req).await? else {
        return Ok(response::see_other("/device"));
    };
    let holder = holder_of(&binding, &current);
    csrf::require(&ctx.ephemeral, &params, holder).await?;
    let typed = params.get("user_code").unwrap_or_default();
    let meta = extract::meta(&req);
    let username = &current.user.username;
    match device_approval::enter(ctx, holder, current.signed_in(), typed, &meta).await? {
        Entered::Found { confirm_id } => Ok(response::see_other(&format!(
            "/device/confirm?confirm_id={confirm_id}"
        ))),
        Entered::Wrong => {
            let error = Some((StatusCode::BAD_REQUEST, WRONG_CODE));
            device_pages::code_form(ctx, holder, username, typed, error).await
        }
        Entered::Locked => {
            let error = Some((StatusCode::TOO_MANY_REQUESTS, TOO_MANY));
            device_pages::code_form(ctx, holder, username, "", error).await
        }
    }
}

/// `GET /device/confirm?confirm_id=...`: the confirmation page, for the browser and login that
/// entered the code.
#[tracing::instrument(name = "device_confirm_page", skip_all)]
pub async fn confirm_page(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    if !ctx.device.enabled {
        return not_found();
    }
    let (binding, _) = cookies::browser(&req, &state);
    let Some(current) = session::current(ctx, &state.settings, &req).await? else {
        return Ok(response::see_other("/device"));
    };
    let holder = holder_of(&binding, &current);
    let query = extract::query(&req).ok();
    let id = query
        .as_ref()
        .and_then(|q| q.get("confirm_id"))
        .unwrap_or_default();
    let found = device_approval::awaiting(ctx, id, holder)
        .await?
        .ok_or_else(device_pages::code_expired)?;
    device_pages::confirm_page(ctx, holder, &current.user.username, id, &found).await
}

/// `POST /device/confirm` (`confirm_id`, `csrf_token`, `decision=allow|deny`): records the
/// answer, then 303 to the result page.
#[tracing::instrument(name = "device_confirm", skip_all)]
pub async fn confirm(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    if !ctx.device.enabled {
        return not_found();
    }
    let params = extract::form(&req, &body)?;
    let (binding, _) = cookies::browser(&req, &state);
    let current = session::current(ctx, &state.settings, &req)
        .await?
        .ok_or_else(device_pages::code_expired)?;
    let holder = holder_of(&binding, &current);
    csrf::require(&ctx.ephemeral, &params, holder).await?;
    let id = params.get("confirm_id").unwrap_or_default();
    let allow = params.get("decision") == Some("allow");
    let meta = extract::meta(&req);
    let answered = device_approval::answer(ctx, id, holder, current.signed_in(), allow, &meta).await?;
    device_pages::after_answer(&answered)
}

/// `GET /device/done?result=approved|denied`: the result, in words.
pub async fn done(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    if !state.ctx.device.enabled {
        return not_found();
    }
    let query = extract::query(&req).ok();
    let result = query.as_ref().and_then(|q| q.get("result")).unwrap_or_default();
    device_pages::done_page(result)
}
