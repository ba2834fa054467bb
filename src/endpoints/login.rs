//! `POST /login`: the login form (docs/security.md D.19-D.21). A CSRF token bound to the browser,
//! rate limits, one message for every failure, a new session id at every login, then the pending
//! authorization request continues (or, without one, the account page).

use actix_web::cookie::Cookie;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::accounts::csrf::{self, CsrfError, Holder};
use crate::accounts::login::{self, Attempt, LoginOutcome};
use crate::accounts::session;
use crate::context::{Context, RequestMeta};
use crate::http::errors::PageError;
use crate::http::pages::{self, Browser, LoginForm, RefusedLogin};
use crate::http::parked::Refusal;
use crate::http::{cookies, extract, response};
use crate::interaction::{self, Pending, SignedIn};
use crate::oauth::params::ParamMap;
use crate::state::AppState;
use crate::storage::{AuthMethod, Client, User};

/// Message ids (`locales/*/errors.ftl`).
const STALE: &str = "login-error-stale";
const NO_PASSWORD: &str = "login-error-no-password";

#[tracing::instrument(name = "login", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let params = extract::form(&req, &body)?;
    let meta = extract::meta(&req);
    let (binding, new_cookie) = cookies::browser(&req, &state);
    let current = crate::http::session::current(ctx, &state.settings, &req).await?;
    let holder = Holder {
        binding: &binding,
        login: current.as_ref().map(|c| c.session.login()),
    };
    let mut target = waiting_request(ctx, &params, holder).await?;
    let form = form_again(&params, target.as_ref());
    let retry = |message: String| pages::login_page(ctx, holder, form.clone(), Some(message));
    if !form_is_fresh(ctx, &params, holder, target.as_mut()).await? {
        // docs/security.md O.2: a used form of a pending request sent again (a reload, a
        // restored tab) by a browser that is signed in goes on to the step the request is at;
        // nothing is checked again and no session is made.
        if let (Some(_), Some((pending, _))) = (&current, &target) {
            return Ok(response::see_other(&pages::continue_path(&pending.id)));
        }
        return retry(crate::i18n::t(STALE)).await;
    }
    // docs/security.md I.5-I.6: an email of an upstream's domain goes there, before any password
    // check; a client that signs in through upstreams only never checks a password.
    let client = target.as_ref().map(|(_, c)| c);
    if let Some(path) = home_realm(ctx, &params, client) {
        let browser = Browser {
            binding,
            login: None,
            set_cookies: new_cookie.into_iter().collect(),
        };
        return Ok(browser.finish(response::see_other(&path)));
    }
    if client.is_some_and(|c| !c.password_login) {
        return retry(crate::i18n::t(NO_PASSWORD)).await;
    }
    let client_id = client.map(|c| c.client_id.as_str());
    let user = match check_password(ctx, &params, &meta.ip, client_id).await? {
        LoginOutcome::Success(user) => user,
        LoginOutcome::Invalid { last_chance } => {
            let why = Refusal::wrong(last_chance);
            return refused(ctx, holder, form, why, new_cookie).await;
        }
        LoginOutcome::Locked { wait } => {
            let why = Refusal::locked(ctx.now(), wait);
            return refused(ctx, holder, form, why, new_cookie).await;
        }
    };
    // docs/security.md G.3: a user with a second factor is not signed in until it passes.
    if crate::mfa::has_factor(ctx, &user.id).await? {
        let request = target.as_ref().map(|(p, c)| (p, c.client_id.as_str()));
        let mut res = super::mfa::after_password(ctx, holder, &user, request).await?;
        if let Some(c) = new_cookie {
            let _ = res.add_cookie(&c);
        }
        return Ok(res);
    }
    let new_login = NewLogin {
        user,
        amr: vec![AuthMethod::Password],
        idp: None,
    };
    finish(&state, &req, new_login, target, (binding, new_cookie), &meta).await
}

/// Who just signed in, and how.
pub struct NewLogin {
    pub user: User,
    /// RFC 8176 methods of this login.
    pub amr: Vec<AuthMethod>,
    /// The upstream OpenID provider it went through (the ID token's `idp`), if any.
    pub idp: Option<String>,
}

/// After a successful login (this form, or an upstream provider: `endpoints/upstream.rs`): a new
/// session id (session fixation, docs/security.md D.21), then the pending authorization request
/// continues, or, without one, the account page. `browser` is the binding cookie's value and the
/// cookie to set when it is new.
pub async fn finish(
    state: &AppState,
    req: &HttpRequest,
    new_login: NewLogin,
    target: Option<(Pending, Client)>,
    browser: (String, Option<Cookie<'static>>),
    meta: &RequestMeta,
) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let (binding, new_cookie) = browser;
    let NewLogin { user, amr, idp } = new_login;
    let old = cookies::session_value(req, &state.settings);
    let (cookie, login) = session::renew_via(ctx, old.as_deref(), &user.id, amr, idp).await?;
    let mut set_cookies = vec![cookies::session(&state.settings, &cookie)];
    set_cookies.extend(new_cookie);
    let login_id = Some(login.login().to_string());
    let browser = Browser {
        binding,
        login: login_id,
        set_cookies,
    };
    let Some((pending, client)) = target else {
        // RFC 8628 §3.3: a sign-in that started at `/device` goes back there.
        let next = crate::interaction::device::take_return(ctx, &browser.binding).await?;
        let next = next.as_deref().unwrap_or("/account");
        return Ok(browser.finish(response::see_other(next)));
    };
    let signed_in = SignedIn {
        session: &login,
        user: &user,
    };
    let step = interaction::after_login(ctx, pending, &client, signed_in, meta).await?;
    pages::after_post(ctx, step, browser).await
}

/// docs/security.md I.5: the start of a sign-in at the upstream whose domain the typed username
/// (an email) is in, when the client offers it.
fn home_realm(ctx: &Context, params: &ParamMap, client: Option<&Client>) -> Option<String> {
    let username = params.get("username")?;
    let upstream = ctx.upstreams.home_realm(username, client)?;
    let pending = params.get("request_id").unwrap_or_default();
    Some(crate::federation::flow::start_path(
        upstream.id(),
        pending,
        Some(username),
    ))
}

/// docs/security.md D.20: the form's CSRF token is this browser's, in this login. A fresh form of
/// a pending request extends the request's life (docs/security.md A.7). False: the form expired.
async fn form_is_fresh(
    ctx: &Context,
    params: &ParamMap,
    holder: Holder<'_>,
    target: Option<&mut (Pending, Client)>,
) -> Result<bool, PageError> {
    match csrf::require(&ctx.ephemeral, params, holder).await {
        Err(CsrfError::Expired) => return Ok(false),
        checked => checked?,
    }
    if let Some((pending, _)) = target {
        pending.login_submitted(ctx).await?;
    }
    Ok(true)
}

/// The authorization request waiting for this login and its client, or none (signing in to the
/// account page). A request that is gone is the "request expired" page.
async fn waiting_request(
    ctx: &Context,
    params: &ParamMap,
    holder: Holder<'_>,
) -> Result<Option<(Pending, Client)>, PageError> {
    let request_id = params.get("request_id").unwrap_or_default();
    if request_id.is_empty() {
        return Ok(None);
    }
    let pending = Pending::load(ctx, request_id, holder)
        .await?
        .ok_or_else(PageError::request_expired)?;
    let client = ctx
        .store
        .client_by_id(&pending.request.client_id)
        .await?
        .ok_or_else(PageError::request_expired)?;
    Ok(Some((pending, client)))
}

/// docs/security.md D.20, O.1: a refused password (one text for every failure, a warning before
/// the lock, how long a lock has left) is parked for this browser with the username typed, and
/// the answer is 303 to the GET of the same login page, which shows it (401) and can be reloaded
/// without sending the password again or counting another attempt.
async fn refused(
    ctx: &Context,
    holder: Holder<'_>,
    form: LoginForm,
    why: Refusal,
    new_cookie: Option<Cookie<'static>>,
) -> Result<HttpResponse, PageError> {
    let refused = RefusedLogin {
        username: form.username,
        why,
    };
    pages::park_refused_login(ctx, holder, &form.request_id, &refused).await?;
    let mut res = response::see_other(&pages::refused_login_path(&form.request_id));
    if let Some(c) = new_cookie {
        let _ = res.add_cookie(&c);
    }
    Ok(res)
}

/// The login form shown again after a refused attempt, with the username kept.
fn form_again(params: &ParamMap, target: Option<&(Pending, Client)>) -> LoginForm {
    LoginForm {
        client_name: target.map(|(_, c)| c.name.clone()),
        client: target.map(|(_, c)| c.clone()),
        request_id: params.get("request_id").unwrap_or_default().to_string(),
        username: params.get("username").unwrap_or_default().to_string(),
    }
}

async fn check_password(
    ctx: &Context,
    params: &ParamMap,
    ip: &str,
    client_id: Option<&str>,
) -> Result<LoginOutcome, PageError> {
    let (Some(username), Some(password)) = (params.get("username"), params.get("password")) else {
        return Ok(LoginOutcome::Invalid { last_chance: None });
    };
    let attempt = Attempt {
        ip,
        username,
        client_id,
    };
    // A full hashing queue is the 503 error page with `Retry-After` (docs/security.md E.33).
    login::check_password(ctx, attempt, password.to_string())
        .await
        .map_err(|e| crate::oauth::OAuthError::from(e).into())
}
