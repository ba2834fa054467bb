//! The second factor at sign-in (docs/guides/mfa.md, docs/security.md G): `GET/POST /login/mfa`
//! (a TOTP or recovery code), the passkey ceremonies as JSON (`/login/mfa/passkey/*` as the second
//! factor, `/login/passkey/*` to sign in with a passkey alone), and `GET /login/continue`, where
//! the pending authorization request goes on once the login is complete. The flows are in
//! `mfa/`; the account side is in `endpoints/mfa_account.rs`.

use actix_web::http::header;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use webauthn_rs::prelude::PublicKeyCredential;

use crate::accounts::csrf::{self, CsrfError, Holder};
use crate::context::Context;
use crate::http::errors::{ApiError, PageError};
use crate::http::mfa_pages;
use crate::http::pages::{self, Browser};
use crate::http::parked::{self, Refusal};
use crate::http::{cookies, extract, response};
use crate::interaction::{self, Pending};
use crate::mfa::challenge::{self, Before, Challenge, Completed};
use crate::mfa::passkey;
use crate::mfa::verify::{self, CodeAttempt, CodeOutcome};
use crate::oauth::OAuthError;
use crate::state::AppState;
use crate::storage::{AuthMethod, User};

/// A message id (`locales/*/mfa.ftl`).
const WRONG_CODE: &str = "mfa-wrong-code";

/// The `notice` of the challenge page that shows a refused code again (docs/security.md O.1).
const CODE_REFUSED: &str = "code-refused";

/// docs/security.md G.3: the password of a user with a second factor passed: no session yet; the
/// half-done login waits for the factor on its own page (303).
pub async fn after_password(
    ctx: &Context,
    holder: Holder<'_>,
    user: &User,
    request: Option<(&Pending, &str)>,
) -> Result<HttpResponse, PageError> {
    let challenge = Challenge {
        user_id: user.id.clone(),
        amr: vec![AuthMethod::Password],
        request_id: request.map(|(p, _)| p.id.clone()),
        client_id: request.map(|(_, c)| c.to_string()),
        step_up: false,
    };
    let id = challenge::start(ctx, holder, &challenge).await?;
    Ok(response::see_other(&format!("/login/mfa?challenge={id}")))
}

/// The browser's binding, session cookie and session, and cookies to set with the response.
struct Visit {
    binding: String,
    new_cookie: Option<actix_web::cookie::Cookie<'static>>,
    current: Option<crate::http::session::Current>,
}

impl Visit {
    async fn of(state: &AppState, req: &HttpRequest) -> Result<Visit, OAuthError> {
        let (binding, new_cookie) = cookies::browser(req, state);
        let current = crate::http::session::current(&state.ctx, &state.settings, req).await?;
        Ok(Visit {
            binding,
            new_cookie,
            current,
        })
    }

    fn holder(&self) -> Holder<'_> {
        Holder {
            binding: &self.binding,
            login: self.current.as_ref().map(|c| c.session.login()),
        }
    }

    fn before(&self) -> Before<'_> {
        Before {
            holder: self.holder(),
            cookie: self.current.as_ref().map(|c| c.cookie.as_str()),
            session: self.current.as_ref().map(|c| &c.session),
        }
    }

    fn finish(self, state: &AppState, done: Option<&Completed>, mut res: HttpResponse) -> HttpResponse {
        if let Some(c) = self.new_cookie {
            let _ = res.add_cookie(&c);
        }
        if let Some(cookie) = done.and_then(|d| d.cookie.as_deref()) {
            let _ = res.add_cookie(&cookies::session(&state.settings, cookie));
        }
        res
    }
}

/// `GET /login/mfa?challenge=...`: the second-factor page.
#[tracing::instrument(name = "mfa_challenge", skip_all)]
pub async fn get(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let params = extract::query(&req)?;
    let visit = Visit::of(&state, &req).await?;
    let id = params.get("challenge").unwrap_or_default();
    let found = challenge::load(ctx, id, visit.holder()).await?;
    let found = found.ok_or_else(PageError::request_expired)?;
    // docs/security.md O.1: the code this browser had refused for this challenge, shown again.
    let refused: Option<Refusal> = match params.get("notice") {
        Some(CODE_REFUSED) => parked::shown(ctx, CODE_REFUSED, id, visit.holder()).await?,
        _ => None,
    };
    let error = refused.map(|r| r.message(WRONG_CODE, ctx.now()));
    let res = mfa_pages::challenge_page(ctx, visit.holder(), id, &found, error).await?;
    Ok(visit.finish(&state, None, res))
}

/// `POST /login/mfa` (`challenge`, `csrf_token`, `code`): a TOTP or recovery code (docs/security.md
/// G.5); then the pending request continues (303 to `/login/continue`) or the account page.
#[tracing::instrument(name = "mfa_code", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let params = extract::form(&req, &body)?;
    let visit = Visit::of(&state, &req).await?;
    let id = params.get("challenge").unwrap_or_default();
    let found = challenge::load(ctx, id, visit.holder()).await?;
    let found = found.ok_or_else(PageError::request_expired)?;
    match csrf::require(&ctx.ephemeral, &params, visit.holder()).await {
        Err(CsrfError::Expired) => return Err(PageError::form_expired()),
        checked => checked?,
    }
    let attempt = CodeAttempt {
        user_id: &found.user_id,
        ip: &extract::client_ip(&req),
        client_id: found.client_id.as_deref(),
    };
    let code = params.get("code").unwrap_or_default();
    let why = match verify::check_code(ctx, attempt, code).await? {
        CodeOutcome::Accepted(method) => {
            let done = complete(ctx, &visit, id, method, &req).await?;
            let res = response::see_other(&done.next);
            return Ok(visit.finish(&state, Some(&done), res));
        }
        CodeOutcome::Invalid { last_chance } => Refusal::wrong(last_chance),
        CodeOutcome::Locked { wait } => Refusal::locked(ctx.now(), wait),
    };
    // docs/security.md O.1: a refused code is parked for this browser, and the answer is 303 to
    // the challenge page, which shows it (401) and can be reloaded without sending the code again.
    parked::park(ctx, CODE_REFUSED, id, visit.holder(), &why).await?;
    let res = response::see_other(&format!("/login/mfa?challenge={id}&notice={CODE_REFUSED}"));
    Ok(visit.finish(&state, None, res))
}

/// The challenge `id` passed with `method`: it is used up, and the login completes.
async fn complete(
    ctx: &Context,
    visit: &Visit,
    id: &str,
    method: AuthMethod,
    req: &HttpRequest,
) -> Result<Completed, OAuthError> {
    let found = challenge::take(ctx, id, visit.holder())
        .await?
        .ok_or_else(|| OAuthError::invalid_request("the sign-in expired"))?;
    challenge::complete(ctx, visit.before(), &found, method, &extract::meta(req)).await
}

/// A JSON body of a passkey endpoint. These endpoints change state with the browser's cookies, so
/// (docs/security.md G.4) the body must be `application/json`, which a cross-site form cannot
/// send without a CORS preflight these endpoints never answer, and an `Origin`, when sent, must
/// be the issuer's.
pub fn json_body<T: DeserializeOwned>(ctx: &Context, req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(OAuthError::invalid_request("the body must be application/json").into());
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let issuer_origin = url::Url::parse(&ctx.issuer)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        if origin.to_str().ok() != Some(issuer_origin.as_str()) {
            return Err(OAuthError::invalid_request("cross-origin request").into());
        }
    }
    serde_json::from_slice(body).map_err(|e| {
        OAuthError::invalid_request("malformed JSON body")
            .with_detail(e)
            .into()
    })
}

/// A JSON answer with `no-store`, and the visit's cookies.
fn json_response(
    state: &AppState,
    visit: Visit,
    done: Option<&Completed>,
    value: serde_json::Value,
) -> HttpResponse {
    let res = response::no_store(HttpResponse::Ok().json(value));
    visit.finish(state, done, res)
}

#[derive(Deserialize)]
struct ChallengeBegin {
    challenge: String,
}

/// `POST /login/mfa/passkey/begin` (`{"challenge"}`): WebAuthn options for the user's passkeys.
#[tracing::instrument(name = "mfa_passkey_begin", skip_all)]
pub async fn passkey_begin(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let ctx = &state.ctx;
    let input: ChallengeBegin = json_body(ctx, &req, &body)?;
    let visit = Visit::of(&state, &req).await?;
    let found = challenge::load(ctx, &input.challenge, visit.holder())
        .await?
        .ok_or_else(|| OAuthError::invalid_request("the sign-in expired"))?;
    let (ceremony, options) = passkey::begin_authentication(ctx, &found.user_id, &visit.binding)
        .await
        .map_err(OAuthError::from)?
        .ok_or_else(|| OAuthError::invalid_request("no passkey is registered"))?;
    Ok(json_response(
        &state,
        visit,
        None,
        json!({ "ceremony": ceremony, "options": options }),
    ))
}

#[derive(Deserialize)]
struct ChallengeFinish {
    challenge: String,
    ceremony: String,
    credential: PublicKeyCredential,
}

/// `POST /login/mfa/passkey/finish`: the passkey as the second factor; `{"next"}` is where to go.
#[tracing::instrument(name = "mfa_passkey_finish", skip_all)]
pub async fn passkey_finish(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let ctx = &state.ctx;
    let input: ChallengeFinish = json_body(ctx, &req, &body)?;
    let visit = Visit::of(&state, &req).await?;
    let found = challenge::load(ctx, &input.challenge, visit.holder())
        .await?
        .ok_or_else(|| OAuthError::invalid_request("the sign-in expired"))?;
    let (user_id, method) =
        passkey::finish_authentication(ctx, &visit.binding, &input.ceremony, &input.credential)
            .await
            .map_err(|e| failed_passkey(ctx, &req, &found.user_id, e))?;
    if user_id != found.user_id {
        return Err(OAuthError::invalid_request("the passkey is another user's").into());
    }
    let done = complete(ctx, &visit, &input.challenge, method, &req).await?;
    let next = json!({ "next": done.next });
    Ok(json_response(&state, visit, Some(&done), next))
}

/// A refused passkey: audited (docs/security.md G.4), answered as the flow's error.
fn failed_passkey(ctx: &Context, req: &HttpRequest, user_id: &str, e: crate::mfa::MfaError) -> OAuthError {
    let (ctx, ip, user_id) = (ctx.clone(), extract::client_ip(req), user_id.to_string());
    let reason = e.to_string();
    tokio::spawn(async move {
        crate::accounts::Audit::new(crate::storage::AuditKind::MfaFailure)
            .user(Some(&user_id))
            .ip(Some(&ip))
            .detail(json!({ "factor": "passkey", "reason": reason }))
            .write(&ctx.store, ctx.now())
            .await;
    });
    e.into()
}

#[derive(Deserialize)]
struct SignInBegin {
    username: String,
}

/// `POST /login/passkey/begin` (`{"username"}`): sign in with a passkey alone; WebAuthn options for
/// the user's passkeys (docs/security.md G.4).
#[tracing::instrument(name = "passkey_begin", skip_all)]
pub async fn sign_in_begin(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let ctx = &state.ctx;
    let input: SignInBegin = json_body(ctx, &req, &body)?;
    let visit = Visit::of(&state, &req).await?;
    let no_passkey = || OAuthError::invalid_request("no passkey sign-in for this username");
    let user = ctx
        .store
        .user_by_username(input.username.trim())
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(no_passkey)?;
    let (ceremony, options) = passkey::begin_authentication(ctx, &user.id, &visit.binding)
        .await
        .map_err(OAuthError::from)?
        .ok_or_else(no_passkey)?;
    Ok(json_response(
        &state,
        visit,
        None,
        json!({ "ceremony": ceremony, "options": options }),
    ))
}

#[derive(Deserialize)]
struct SignInFinish {
    ceremony: String,
    credential: PublicKeyCredential,
    #[serde(default)]
    request_id: Option<String>,
}

/// `POST /login/passkey/finish`: a passkey alone signs the user in (`amr` `hwk` or `swk`); the
/// pending request `request_id`, if any, continues.
#[tracing::instrument(name = "passkey_finish", skip_all)]
pub async fn sign_in_finish(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let ctx = &state.ctx;
    let input: SignInFinish = json_body(ctx, &req, &body)?;
    let visit = Visit::of(&state, &req).await?;
    let (user_id, method) =
        passkey::finish_authentication(ctx, &visit.binding, &input.ceremony, &input.credential)
            .await
            .map_err(OAuthError::from)?;
    let user = ctx.store.user_by_id(&user_id).await?;
    if user.is_none_or(|u| u.disabled) {
        return Err(OAuthError::new(crate::oauth::ErrorCode::AccessDenied, "the account is disabled").into());
    }
    let request_id = input.request_id.filter(|r| !r.is_empty());
    let client_id = match &request_id {
        Some(id) => Pending::load(ctx, id, visit.holder())
            .await?
            .map(|p| p.request.client_id),
        None => None,
    };
    let found = Challenge {
        user_id,
        amr: Vec::new(),
        request_id,
        client_id,
        step_up: false,
    };
    let done = challenge::complete(ctx, visit.before(), &found, method, &extract::meta(&req)).await?;
    let next = json!({ "next": done.next });
    Ok(json_response(&state, visit, Some(&done), next))
}

/// `GET /login/continue?request_id=...`: the pending request goes on for its browser: after a
/// second factor or enrolment, after every login and consent form (docs/security.md O.1: the GET a
/// form POST sends the browser to, safe to reload), and after "Use another account" (signed out:
/// the request's login page). The next step: login, consent, another factor, or the code.
#[tracing::instrument(name = "login_continue", skip_all)]
pub async fn resume(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let params = extract::query(&req)?;
    let visit = Visit::of(&state, &req).await?;
    let request_id = params.get("request_id").unwrap_or_default();
    let pending = Pending::load(ctx, request_id, visit.holder())
        .await?
        .ok_or_else(PageError::request_expired)?;
    let client = ctx
        .store
        .client_by_id(&pending.request.client_id)
        .await?
        .ok_or_else(PageError::request_expired)?;
    let meta = extract::meta(&req);
    // Signed out (e.g. "Use another account", docs/security.md O.4): the login page of the request.
    let signed_in = visit.current.as_ref().map(|c| c.signed_in());
    let step = interaction::evaluate(ctx, pending, &client, signed_in, &meta).await?;
    // docs/security.md O.1: a refused login form of this request, parked for this browser.
    let refused = pages::refused_login(ctx, visit.holder(), request_id, params.get("notice")).await?;
    let browser = Browser {
        login: visit.current.as_ref().map(|c| c.session.login().to_string()),
        binding: visit.binding.clone(),
        set_cookies: visit.new_cookie.clone().into_iter().collect(),
    };
    pages::render_refused(ctx, step, browser, refused).await
}
