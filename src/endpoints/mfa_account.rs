//! Two-step verification on the account page (docs/guides/mfa.md): `GET /account/mfa` (the user's
//! factors; with `request_id` when a request sent the user to enrol, docs/security.md G.1), TOTP
//! enrolment (`/account/mfa/totp`, its QR code as an SVG image, the confirming code, then 303 to
//! `/account/mfa/recovery-codes`, which shows the new recovery codes to this browser's login for a
//! few minutes) and passkey registration as JSON (`/account/mfa/passkey/*`). Every one needs
//! the signed-in browser; the signed-out browser is sent to `/account`, which shows the login form.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use webauthn_rs::prelude::RegisterPublicKeyCredential;

use crate::accounts::csrf::{self, CsrfError, Holder};
use crate::accounts::{Audit, session};
use crate::endpoints::mfa::json_body;
use crate::http::errors::{ApiError, PageError};
use crate::http::mfa_pages::{self, RecoveryPage, TotpPage};
use crate::http::parked::{self, Refusal};
use crate::http::session::Current;
use crate::http::{cookies, extract, response};
use crate::interaction::pending::Parking;
use crate::mfa::{self, enrol, passkey, policy, totp};
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::state::AppState;
use crate::storage::{AuditKind, AuthMethod, Kind};

/// docs/guides/mfa.md: how long the new recovery codes can be shown again (a reload of
/// `/account/mfa/recovery-codes`) after the confirming code; then the page says they were shown.
pub const RECOVERY_CODES_SHOWN_FOR: Duration = Duration::from_secs(5 * 60);

/// The new recovery codes waiting to be shown, parked for one browser and its login session only
/// (docs/security.md E.32), sealed under the master key like a waiting TOTP secret; the codes
/// that sign in stay stored hashed.
#[derive(Serialize, Deserialize)]
struct NewCodes {
    sealed: String,
    next: String,
}

fn codes_aad(user_id: &str) -> Vec<u8> {
    format!("recovery-codes:{user_id}").into_bytes()
}

impl NewCodes {
    fn seal(state: &AppState, user_id: &str, codes: &[String], next: String) -> Result<NewCodes, OAuthError> {
        let sealed = state
            .ctx
            .keys
            .seal(codes.join("\n").as_bytes(), &codes_aad(user_id))
            .map_err(OAuthError::server_error)?;
        Ok(NewCodes { sealed, next })
    }

    fn open(&self, state: &AppState, user_id: &str) -> Result<Vec<String>, OAuthError> {
        let plain = state
            .ctx
            .keys
            .open(&self.sealed, &codes_aad(user_id))
            .map_err(OAuthError::server_error)?;
        let text = String::from_utf8(plain).map_err(OAuthError::server_error)?;
        Ok(text.lines().map(str::to_string).collect())
    }
}

fn new_codes() -> Parking {
    Parking {
        kind: Kind::Page,
        ttl: RECOVERY_CODES_SHOWN_FOR,
    }
}

/// Where a login's new recovery codes wait (the store keys it by its digest).
fn new_codes_id(current: &Current) -> String {
    format!("recovery-codes:{}", current.session.login())
}

/// The signed-in browser: its binding and current login.
async fn signed_in(state: &AppState, req: &HttpRequest) -> Result<Option<(String, Current)>, OAuthError> {
    let (binding, _) = cookies::browser(req, state);
    let current = crate::http::session::current(&state.ctx, &state.settings, req).await?;
    Ok(current.map(|c| (binding, c)))
}

/// The `request_id` a request sent the user to enrol with, if any.
fn request_id(params: &ParamMap) -> Option<String> {
    params
        .get("request_id")
        .filter(|r| !r.is_empty())
        .map(str::to_string)
}

/// `GET /account/mfa`: the user's second factors, and the ways to add one.
#[tracing::instrument(name = "account_mfa", skip_all)]
pub async fn get(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let Some((binding, current)) = signed_in(&state, &req).await? else {
        return Ok(response::see_other("/account"));
    };
    let params = extract::query(&req)?;
    let factors = mfa::factors(&state.ctx.store, &current.user.id).await?;
    let holder = holder(&binding, &current);
    mfa_pages::account_page(&state.ctx, holder, &current.user, &factors, request_id(&params)).await
}

/// A removal form from the signed-in browser whose login used a second factor (docs/security.md
/// G.7): the user id; `None` when the browser is not signed in.
async fn removal(
    state: &AppState,
    req: &HttpRequest,
    params: &ParamMap,
) -> Result<Option<String>, PageError> {
    let Some((binding, current)) = signed_in(state, req).await? else {
        return Ok(None);
    };
    match csrf::require(&state.ctx.ephemeral, params, holder(&binding, &current)).await {
        Err(CsrfError::Expired) => return Err(PageError::form_expired()),
        checked => checked?,
    }
    if !policy::satisfied(&current.session.amr) {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "error-mfa-first-title",
            "error-mfa-first",
        ));
    }
    Ok(Some(current.user.id))
}

/// `POST /account/mfa/totp/remove`: turns the authenticator app off (its recovery codes go too).
#[tracing::instrument(name = "account_totp_remove", skip_all)]
pub async fn totp_remove(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let params = extract::form(&req, &body)?;
    let Some(user_id) = removal(&state, &req, &params).await? else {
        return Ok(response::see_other("/account"));
    };
    if state.ctx.store.delete_totp(&user_id).await? {
        removed(&state, &req, &user_id, json!({ "factor": "totp" })).await;
    }
    Ok(response::see_other("/account/mfa"))
}

/// `POST /account/mfa/passkey/remove` (`passkey_id`): removes one of the user's passkeys.
#[tracing::instrument(name = "account_passkey_remove", skip_all)]
pub async fn passkey_remove(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let params = extract::form(&req, &body)?;
    let Some(user_id) = removal(&state, &req, &params).await? else {
        return Ok(response::see_other("/account"));
    };
    let id = params.get("passkey_id").unwrap_or_default();
    if state.ctx.store.delete_passkey(&user_id, id).await? {
        removed(
            &state,
            &req,
            &user_id,
            json!({ "factor": "passkey", "credential": id }),
        )
        .await;
    }
    Ok(response::see_other("/account/mfa"))
}

async fn removed(state: &AppState, req: &HttpRequest, user_id: &str, detail: serde_json::Value) {
    Audit::new(AuditKind::MfaRemoved)
        .user(Some(user_id))
        .ip(Some(&extract::client_ip(req)))
        .detail(detail)
        .write(&state.ctx.store, state.ctx.now())
        .await;
}

/// `GET /account/mfa/totp`: a new secret waiting for its first code, as a QR code and a key.
#[tracing::instrument(name = "account_totp", skip_all)]
pub async fn totp_get(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let Some((binding, current)) = signed_in(&state, &req).await? else {
        return Ok(response::see_other("/account"));
    };
    let params = extract::query(&req)?;
    let holder = holder(&binding, &current);
    // docs/security.md O.1: after a refused first code, the same key again with the error (422).
    let refused = match params.get("notice") {
        Some(CODE_REFUSED) => {
            let login = current.session.login();
            parked::shown::<Refusal>(ctx, TOTP_REFUSED, login, holder).await?
        }
        _ => None,
    };
    let waiting = match refused {
        Some(why) => enrol::pending_setup(ctx, &current.user)
            .await?
            .map(|setup| (setup, why.message("mfa-setup-wrong-code", ctx.now()))),
        None => None,
    };
    let (setup, error) = match waiting {
        Some((setup, message)) => (setup, Some(message)),
        None => (enrol::begin_totp(ctx, &current.user).await?, None),
    };
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let page = TotpPage {
        secret: setup.secret_base32,
        csrf_token: csrf::issue(&ctx.ephemeral, holder).await?,
        request_id: request_id(&params).unwrap_or_default(),
        error,
    };
    response::page(status, &page)
}

/// The `notice` of the TOTP page that shows a refused first code again (docs/security.md O.1).
const CODE_REFUSED: &str = "code-refused";

/// Where a refused first code is parked (`http::parked`), for the browser's login.
const TOTP_REFUSED: &str = "totp-refused";

/// The TOTP enrolment page, for the request `rid` if any; with `notice`, e.g. [`CODE_REFUSED`].
fn totp_path(rid: Option<&str>, notice: Option<&str>) -> String {
    let mut query: Vec<String> = Vec::new();
    if let Some(id) = rid {
        query.push(format!("request_id={id}"));
    }
    if let Some(n) = notice {
        query.push(format!("notice={n}"));
    }
    if query.is_empty() {
        "/account/mfa/totp".to_string()
    } else {
        format!("/account/mfa/totp?{}", query.join("&"))
    }
}

fn holder<'a>(binding: &'a str, current: &'a Current) -> Holder<'a> {
    Holder {
        binding,
        login: Some(current.session.login()),
    }
}

/// `GET /account/mfa/totp/qr.svg`: the waiting secret's `otpauth://` URI as a QR code (an image, so
/// the page needs no script, and `no-store`: it holds the secret).
#[tracing::instrument(name = "account_totp_qr", skip_all)]
pub async fn totp_qr(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let Some((_, current)) = signed_in(&state, &req).await? else {
        return Ok(HttpResponse::NotFound().finish());
    };
    let svg = enrol::pending_setup(&state.ctx, &current.user)
        .await?
        .and_then(|setup| totp::qr_svg(&setup.uri));
    let Some(svg) = svg else {
        return Ok(HttpResponse::NotFound().finish());
    };
    Ok(response::no_store(
        HttpResponse::Ok().content_type("image/svg+xml").body(svg),
    ))
}

/// `POST /account/mfa/totp` (`code`, `csrf_token`, `request_id`): the first code turns TOTP on, and
/// 303 to `GET /account/mfa/recovery-codes`, which shows the new recovery codes (kept for this
/// browser's login for [`RECOVERY_CODES_SHOWN_FOR`], never in a URL). This login now has a second
/// factor (the code just passed).
#[tracing::instrument(name = "account_totp_confirm", skip_all)]
pub async fn totp_post(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let params = extract::form(&req, &body)?;
    let Some((binding, current)) = signed_in(&state, &req).await? else {
        return Ok(response::see_other("/account"));
    };
    match csrf::require(&ctx.ephemeral, &params, holder(&binding, &current)).await {
        Err(CsrfError::Expired) => return Err(PageError::form_expired()),
        checked => checked?,
    }
    let rid = request_id(&params);
    let typed = params.get("code").unwrap_or_default();
    let Some(codes) = enrol::confirm_totp(ctx, &current.user, typed, &extract::meta(&req)).await? else {
        if enrol::pending_setup(ctx, &current.user).await?.is_none() {
            // The key expired: start again with a new one.
            return Ok(response::see_other(&totp_path(rid.as_deref(), None)));
        }
        // docs/security.md O.1: the wrong first code is parked for this browser's login, and the
        // answer is 303 to the same key's page, which shows it (422) and can be reloaded.
        let login = current.session.login();
        let why = Refusal::wrong(None);
        parked::park(ctx, TOTP_REFUSED, login, holder(&binding, &current), &why).await?;
        return Ok(response::see_other(&totp_path(
            rid.as_deref(),
            Some(CODE_REFUSED),
        )));
    };
    let amr = policy::with_method(&current.session.amr, AuthMethod::Otp);
    session::add_methods(ctx, &current.cookie, current.session.clone(), amr).await?;
    let next = match &rid {
        Some(id) => mfa::challenge::next_url(Some(id)),
        None => "/account/mfa".to_string(),
    };
    let waiting = NewCodes::seal(&state, &current.user.id, &codes, next)?;
    new_codes()
        .put(ctx, &new_codes_id(&current), holder(&binding, &current), &waiting)
        .await?;
    Ok(response::see_other("/account/mfa/recovery-codes"))
}

/// `GET /account/mfa/recovery-codes`: the recovery codes the last enrolment made, to the browser
/// and login that made them, again on a reload for [`RECOVERY_CODES_SHOWN_FOR`]; afterwards (or to
/// anyone else, or once the authenticator app is off) the page says they were shown already and how
/// to get new ones.
#[tracing::instrument(name = "account_recovery_codes", skip_all)]
pub async fn recovery_codes(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let Some((binding, current)) = signed_in(&state, &req).await? else {
        return Ok(response::see_other("/account"));
    };
    let waiting: Option<NewCodes> = new_codes()
        .get(ctx, &new_codes_id(&current), holder(&binding, &current))
        .await?;
    let totp_on = mfa::factors(&ctx.store, &current.user.id)
        .await?
        .totp_since
        .is_some();
    let page = match waiting.filter(|_| totp_on) {
        Some(waiting) => RecoveryPage {
            codes: waiting.open(&state, &current.user.id)?,
            next: waiting.next,
        },
        None => RecoveryPage {
            codes: Vec::new(),
            next: "/account/mfa".to_string(),
        },
    };
    response::page(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct RegisterFinish {
    ceremony: String,
    credential: RegisterPublicKeyCredential,
    #[serde(default)]
    request_id: Option<String>,
}

/// `POST /account/mfa/passkey/begin`: WebAuthn options to create a passkey for the signed-in user.
#[tracing::instrument(name = "account_passkey_begin", skip_all)]
pub async fn passkey_begin(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let ctx = &state.ctx;
    let _: serde_json::Value = json_body(ctx, &req, &body)?;
    let (binding, current) = signed_in(&state, &req)
        .await?
        .ok_or_else(|| OAuthError::new(crate::oauth::ErrorCode::LoginRequired, "sign in first"))?;
    let (ceremony, options) = passkey::begin_registration(ctx, &current.user, &binding)
        .await
        .map_err(OAuthError::from)?;
    Ok(response::no_store(
        HttpResponse::Ok().json(json!({ "ceremony": ceremony, "options": options })),
    ))
}

/// `POST /account/mfa/passkey/finish`: stores the new passkey; `{"next"}` is the account's
/// two-step page (with the pending request's "Continue", which asks for the passkey once).
#[tracing::instrument(name = "account_passkey_finish", skip_all)]
pub async fn passkey_finish(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let ctx = &state.ctx;
    let input: RegisterFinish = json_body(ctx, &req, &body)?;
    let (binding, current) = signed_in(&state, &req)
        .await?
        .ok_or_else(|| OAuthError::new(crate::oauth::ErrorCode::LoginRequired, "sign in first"))?;
    let added =
        passkey::finish_registration(ctx, &current.user, &binding, &input.ceremony, &input.credential)
            .await
            .map_err(OAuthError::from)?;
    Audit::new(AuditKind::MfaEnrolled)
        .user(Some(&current.user.id))
        .ip(Some(&extract::client_ip(&req)))
        .detail(json!({ "factor": "passkey", "credential": added.id }))
        .write(&ctx.store, ctx.now())
        .await;
    let next = match input.request_id.filter(|r| !r.is_empty()) {
        Some(id) => format!("/account/mfa?request_id={id}"),
        None => "/account/mfa".to_string(),
    };
    Ok(response::no_store(
        HttpResponse::Ok().json(json!({ "next": next })),
    ))
}
