//! Turning an interaction [`Step`] into a page or a redirect. The login and consent pages carry a
//! CSRF token bound to the browser's binding cookie and its login session (docs/security.md D.20,
//! E.32).

use actix_web::HttpResponse;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::accounts::csrf::{self, Holder};
use crate::context::Context;
use crate::http::errors::PageError;
use crate::http::parked::{self, Refusal};
use crate::http::response;
use crate::http::templates::{LoginPage, ScopeItem, UpstreamButton};
use crate::interaction::Step;
use crate::oauth::scope::OFFLINE_ACCESS;
use crate::oidc::claims::describe_scope;
use crate::storage::Client;

/// The browser a page is rendered for: its binding cookie value, the id of the login it has once
/// this response is in (a login sets a new one), and cookies to set with the page.
pub struct Browser {
    pub binding: String,
    pub login: Option<String>,
    pub set_cookies: Vec<Cookie<'static>>,
}

impl Browser {
    /// Who the page's form is for (docs/security.md E.32).
    pub fn holder(&self) -> Holder<'_> {
        Holder {
            binding: &self.binding,
            login: self.login.as_deref(),
        }
    }

    /// Adds the cookies to `res`.
    pub fn finish(self, mut res: HttpResponse) -> HttpResponse {
        for c in self.set_cookies {
            let _ = res.add_cookie(&c);
        }
        res
    }
}

/// Renders a step of the authorization request for `browser`.
pub async fn render(ctx: &Context, step: Step, browser: Browser) -> Result<HttpResponse, PageError> {
    render_refused(ctx, step, browser, None).await
}

/// Like [`render`]; a login step shows `refused`, the login form this browser sent for the
/// request and had refused (docs/security.md O.1), with its error and username.
pub async fn render_refused(
    ctx: &Context,
    step: Step,
    browser: Browser,
    refused: Option<RefusedLogin>,
) -> Result<HttpResponse, PageError> {
    let res = match step {
        Step::Respond(r) => response::authorization_response(&r)?,
        Step::Login { pending, client_name } => {
            let client = ctx.store.client_by_id(&pending.request.client_id).await?;
            let hint = pending.request.login_hint.as_deref().unwrap_or_default();
            // docs/security.md I.5: home-realm discovery by `login_hint`.
            if let Some(up) = ctx.upstreams.home_realm(hint, client.as_ref()) {
                let path = crate::federation::flow::start_path(up.id(), &pending.id, Some(hint));
                return Ok(browser.finish(response::see_other(&path)));
            }
            let error = refused.as_ref().map(|r| r.message(ctx.now()));
            let form = LoginForm {
                client_name: Some(client_name),
                client,
                request_id: pending.id.clone(),
                username: refused.map_or_else(|| hint.to_string(), |r| r.username),
            };
            login_page(ctx, browser.holder(), form, error).await?
        }
        Step::Consent {
            pending,
            client_name,
            username,
        } => {
            crate::http::consent_page::render(ctx, browser.holder(), &pending, client_name, username).await?
        }
        Step::SecondFactor {
            request_id,
            user_id,
            amr,
        } => crate::http::mfa_pages::step_up(ctx, browser.holder(), request_id, user_id, amr).await?,
        Step::EnrolMfa { request_id } => {
            response::see_other(&format!("/account/mfa?request_id={request_id}"))
        }
        Step::Denied {
            client_name,
            username,
            response,
        } => crate::http::denied::page(client_name, username, &response)?,
    };
    Ok(browser.finish(res))
}

/// docs/security.md O.1: the answer to a form POST. A step that shows a page of the pending request
/// (login, second factor, consent) is a 303 See Other to `GET /login/continue`, which renders that
/// step and can be reloaded or restored without resubmitting the form; an answer to the client
/// (a redirect, or the form-post page) and the access-denied page are sent as they are.
pub async fn after_post(ctx: &Context, step: Step, browser: Browser) -> Result<HttpResponse, PageError> {
    let request_id = match &step {
        Step::Login { pending, .. } | Step::Consent { pending, .. } => Some(pending.id.as_str()),
        Step::SecondFactor { request_id, .. } => Some(request_id.as_str()),
        _ => None,
    };
    match request_id {
        Some(id) => Ok(browser.finish(response::see_other(&continue_path(id)))),
        None => render(ctx, step, browser).await,
    }
}

/// `GET /login/continue` for the pending request `request_id`: where a form POST sends the browser.
pub fn continue_path(request_id: &str) -> String {
    format!("/login/continue?request_id={request_id}")
}

/// The `notice` of the GET that shows a refused login form again (docs/security.md O.1).
pub const LOGIN_REFUSED: &str = "login-refused";

/// The message id of a wrong username or password (`locales/*/errors.ftl`).
pub const INVALID_LOGIN: &str = "login-error-invalid";

/// A refused login form, parked for the browser that sent it (docs/security.md O.1): why, and the
/// username typed (never the password).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefusedLogin {
    pub username: String,
    pub why: Refusal,
}

impl RefusedLogin {
    /// The form's error at `now` (a lock counts down).
    pub fn message(&self, now: i64) -> String {
        self.why.message(INVALID_LOGIN, now)
    }
}

/// Where a refused login form of the pending request `request_id` (empty: the account page's
/// login form) is shown again: the GET of the same login page.
pub fn refused_login_path(request_id: &str) -> String {
    if request_id.is_empty() {
        format!("/account?notice={LOGIN_REFUSED}")
    } else {
        format!("{}&notice={LOGIN_REFUSED}", continue_path(request_id))
    }
}

/// Parks `refused` for the browser that sent the login form of `request_id` (empty: the account
/// page's).
pub async fn park_refused_login(
    ctx: &Context,
    holder: Holder<'_>,
    request_id: &str,
    refused: &RefusedLogin,
) -> Result<(), PageError> {
    parked::park(ctx, LOGIN_REFUSED, request_id, holder, refused).await?;
    Ok(())
}

/// The refused login form of `request_id` this browser parked, when the GET's `notice` asks for
/// it; none for another browser or once [`parked::SHOWN_FOR`] is over.
pub async fn refused_login(
    ctx: &Context,
    holder: Holder<'_>,
    request_id: &str,
    notice: Option<&str>,
) -> Result<Option<RefusedLogin>, PageError> {
    if notice != Some(LOGIN_REFUSED) {
        return Ok(None);
    }
    Ok(parked::shown(ctx, LOGIN_REFUSED, request_id, holder).await?)
}

/// The scopes a consent (or device confirmation) page lists. RFC 8707: a scope of an API the
/// request is for is described in the API's own words, with the API's name
/// (docs/guides/apis.md); signing in (`openid`) first; OpenID Core §11: offline access last, where
/// the page highlights it (docs/security.md O.4).
pub async fn scope_items(
    ctx: &Context,
    scope: &crate::oauth::scope::Scope,
    resources: &[String],
) -> Result<Vec<ScopeItem>, PageError> {
    let target = crate::apis::load(ctx, resources).await?;
    let mut scopes: Vec<ScopeItem> = scope
        .iter()
        .map(|s| {
            let api = target.apis.iter().find(|a| a.describe(s).is_some());
            ScopeItem {
                name: s.to_string(),
                description: api
                    .and_then(|a| a.describe(s))
                    .map_or_else(|| describe_scope(s), str::to_string),
                api: api.map(|a| a.name.clone()),
            }
        })
        .collect();
    scopes.sort_by_key(|s| match s.name.as_str() {
        "openid" => 0,
        OFFLINE_ACCESS => 2,
        _ => 1,
    });
    Ok(scopes)
}

/// What the login form is for.
#[derive(Debug, Clone, Default)]
pub struct LoginForm {
    /// The client signed in to; `None` for the account page.
    pub client_name: Option<String>,
    /// The client, for the sign-in options it offers (docs/security.md I.6).
    pub client: Option<Client>,
    /// The pending authorization request (empty for the account page).
    pub request_id: String,
    /// Prefilled username (`login_hint` or the last attempt).
    pub username: String,
}

/// The login page with a fresh CSRF token; with an error, a 401 and the message.
pub async fn login_page(
    ctx: &Context,
    holder: Holder<'_>,
    form: LoginForm,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let csrf_token = csrf::issue(&ctx.ephemeral, holder).await?;
    let client = form.client.as_ref();
    let upstreams = ctx
        .upstreams
        .offered_to(client)
        .map(|u| UpstreamButton {
            name: u.settings.name.clone(),
            href: crate::federation::flow::start_path(u.id(), &form.request_id, None),
            available: u.is_available(),
        })
        .collect();
    // An email may be typed alone when some upstream's domain could take it (I.5).
    let home_realms = ctx
        .upstreams
        .offered_to(client)
        .any(|u| !u.settings.domains.is_empty());
    let signup_href = crate::accounts::signup::offered(ctx, client)
        .await?
        .then(|| format!("/signup?request_id={}", encode(&form.request_id)));
    let page = LoginPage {
        forgot_password: ctx.mail.is_enabled() && client.is_none_or(|c| c.password_login),
        signup_href,
        password_login: client.is_none_or(|c| c.password_login),
        password_required: !home_realms,
        upstreams,
        client_name: form.client_name,
        request_id: form.request_id,
        csrf_token,
        username: form.username,
        error,
    };
    let status = if page.error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    response::page(status, &page)
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// docs/security.md A.7: the error page with 429 and `Retry-After` for a browser over the
/// authorization endpoint's limit.
pub fn too_many_requests(retry_after_secs: u64) -> HttpResponse {
    use actix_web::ResponseError;
    let mut res = PageError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "error-too-many-requests-title",
        "error-too-many-requests",
    )
    .error_response();
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&retry_after_secs.to_string()) {
        res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, v);
    }
    res
}
