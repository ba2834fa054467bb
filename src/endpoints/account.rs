//! `GET /account` and its forms (docs/operations.md, "What users see"; docs/security.md
//! D.20-D.23): the user's sessions (token families) and devices, each revocable; "sign out
//! everywhere"; the apps they consented to; the password. Every form carries its own single-use
//! CSRF token and every POST needs the signed-in browser, and answers 303 to a GET (docs/security.md
//! O.1): a refused password form is parked for this browser's login and shown by the next
//! `GET /account`. The logic is in `accounts::overview`, the page in `http::account_page`.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::csrf::{self, Holder};
use crate::accounts::overview::{self, Actor, PasswordForm, PasswordOutcome, PasswordProblem};
use crate::accounts::profile::{self, ProfileForm, ProfileOutcome};
use crate::accounts::{self, LogoutVia, session};
use crate::http::errors::PageError;
use crate::http::pages::{self, LoginForm};
use crate::http::session::Current;
use crate::http::{account_page, parked};
use crate::http::{cookies, extract, response};
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::state::AppState;

/// The account page, or the login page for it when the browser is not signed in.
#[tracing::instrument(name = "account", skip_all)]
pub async fn get(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let (binding, new_cookie) = cookies::browser(&req, &state);
    let mut res = match crate::http::session::current(ctx, &state.settings, &req).await? {
        Some(current) => {
            let query = extract::query(&req).ok();
            let notice = account_page::notice(query.as_ref().and_then(|q| q.get("notice")));
            let problem = match query.as_ref().and_then(|q| q.get("notice")) {
                Some(PASSWORD_REFUSED) => refused_password(&state, &binding, &current).await?,
                _ => None,
            };
            account_page::render(ctx, &current, &binding, notice, problem).await?
        }
        None => {
            let holder = Holder {
                binding: &binding,
                login: None,
            };
            // docs/security.md O.1: the account page's login form this browser had refused.
            let notice = extract::query(&req).ok();
            let notice = notice.as_ref().and_then(|q| q.get("notice"));
            let refused = pages::refused_login(ctx, holder, "", notice).await?;
            let error = refused.as_ref().map(|r| r.message(ctx.now()));
            let form = LoginForm {
                username: refused.map(|r| r.username).unwrap_or_default(),
                ..LoginForm::default()
            };
            pages::login_page(ctx, holder, form, error).await?
        }
    };
    if let Some(c) = new_cookie {
        let _ = res.add_cookie(&c);
    }
    Ok(res)
}

/// `POST /account/sessions/revoke` (`family_id`): "Sign out this device" (RFC 9700 §4.14); 404 for
/// a family that is not the user's.
#[tracing::instrument(name = "account_revoke_session", skip_all)]
pub async fn revoke_session(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let Some(post) = accept(&state, &req, &body).await? else {
        return Ok(response::see_other("/account"));
    };
    let family_id = post.params.get("family_id").unwrap_or_default();
    let ip = extract::client_ip(&req);
    if overview::sign_out_device(&state.ctx, post.actor(&ip), family_id).await? {
        Ok(response::see_other("/account?notice=device-signed-out"))
    } else {
        Err(PageError::new(
            StatusCode::NOT_FOUND,
            "error-session-not-found-title",
            "error-session-not-found",
        ))
    }
}

/// `POST /account/consents/revoke` (`client_id`): withdraws consent and signs the app out
/// (docs/security.md D.23).
#[tracing::instrument(name = "account_revoke_consent", skip_all)]
pub async fn revoke_consent(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let Some(post) = accept(&state, &req, &body).await? else {
        return Ok(response::see_other("/account"));
    };
    let client_id = post.params.get("client_id").unwrap_or_default();
    let ip = extract::client_ip(&req);
    if overview::withdraw_consent(&state.ctx, post.actor(&ip), client_id).await? {
        Ok(response::see_other("/account?notice=access-removed"))
    } else {
        Ok(response::see_other("/account"))
    }
}

/// `POST /account/logout-everywhere`: ends every token family and login session of the user.
#[tracing::instrument(name = "account_logout_everywhere", skip_all)]
pub async fn logout_everywhere(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let Some(post) = accept(&state, &req, &body).await? else {
        return Ok(response::see_other("/account"));
    };
    let ip = extract::client_ip(&req);
    overview::sign_out_everywhere(&state.ctx, post.actor(&ip)).await?;
    signed_out(&state, &post.current.cookie).await
}

/// `POST /account/signout`: ends this browser's login session only.
#[tracing::instrument(name = "account_signout", skip_all)]
pub async fn signout(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    match accept(&state, &req, &body).await? {
        Some(post) => {
            let ip = extract::client_ip(&req);
            let session = &post.current.session;
            accounts::record_logout(&state.ctx, session, LogoutVia::AccountPage, None, &ip).await;
            signed_out(&state, &post.current.cookie).await
        }
        None => Ok(response::see_other("/account")),
    }
}

/// `POST /account/password` (`current_password`, `new_password`, `confirm_password`): a new
/// password ends every other session (docs/security.md C.13, D.21); this browser gets a new session.
#[tracing::instrument(name = "account_password", skip_all)]
pub async fn change_password(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let Some(post) = accept(&state, &req, &body).await? else {
        return Ok(response::see_other("/account"));
    };
    let field = |name| post.params.get(name).unwrap_or_default().to_string();
    let form = PasswordForm {
        current: field("current_password"),
        new: field("new_password"),
        confirm: field("confirm_password"),
    };
    let ip = extract::client_ip(&req);
    let current = &post.current;
    match overview::change_password(ctx, &ip, &current.user, &current.cookie, form).await? {
        PasswordOutcome::Changed { cookie, .. } => {
            let mut res = response::see_other("/account?notice=password-changed");
            let _ = res.add_cookie(&cookies::session(&state.settings, &cookie));
            Ok(res)
        }
        PasswordOutcome::Refused(problem) => {
            let refused = Refused::of(&problem, ctx.now());
            let holder = Holder {
                binding: &post.binding,
                login: Some(current.session.login()),
            };
            parked::park(ctx, PASSWORD_REFUSED, current.session.login(), holder, &refused).await?;
            Ok(response::see_other(&format!(
                "/account?notice={PASSWORD_REFUSED}#password"
            )))
        }
    }
}

/// The `?notice=` of the account page that shows the parked refusal of the password form.
const PASSWORD_REFUSED: &str = "password-refused";

/// Why the password form was refused, parked for the browser and login that sent it (nothing
/// typed is kept; a lock keeps its end, so a reload shows the time still to wait).
#[derive(Serialize, Deserialize)]
enum Refused {
    WrongCurrent,
    LockedUntil(i64),
    Mismatch,
    SameAsCurrent,
    /// The policy's message, in the language of the POST.
    Policy(String),
}

impl Refused {
    fn of(problem: &PasswordProblem, now: i64) -> Refused {
        match problem {
            PasswordProblem::WrongCurrent => Refused::WrongCurrent,
            PasswordProblem::Locked { wait } => {
                Refused::LockedUntil(now.saturating_add(wait.as_secs() as i64))
            }
            PasswordProblem::Mismatch => Refused::Mismatch,
            PasswordProblem::SameAsCurrent => Refused::SameAsCurrent,
            PasswordProblem::Policy(message) => Refused::Policy(message.clone()),
        }
    }

    fn problem(self, now: i64) -> PasswordProblem {
        match self {
            Refused::WrongCurrent => PasswordProblem::WrongCurrent,
            Refused::LockedUntil(end) => PasswordProblem::Locked {
                wait: Duration::from_secs(end.saturating_sub(now).max(1) as u64),
            },
            Refused::Mismatch => PasswordProblem::Mismatch,
            Refused::SameAsCurrent => PasswordProblem::SameAsCurrent,
            Refused::Policy(message) => PasswordProblem::Policy(message),
        }
    }
}

/// The refusal parked for this browser's login, if any (none for another browser or login).
async fn refused_password(
    state: &AppState,
    binding: &str,
    current: &Current,
) -> Result<Option<PasswordProblem>, OAuthError> {
    let holder = Holder {
        binding,
        login: Some(current.session.login()),
    };
    let login = current.session.login();
    let refused: Option<Refused> = parked::shown(&state.ctx, PASSWORD_REFUSED, login, holder).await?;
    Ok(refused.map(|r| r.problem(state.ctx.now())))
}

/// `POST /account/profile` (`name`, `email`): the user's own name and email (docs/security.md
/// O.5); 303 back to the account page with what happened.
#[tracing::instrument(name = "account_profile", skip_all)]
pub async fn change_profile(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let Some(post) = accept(&state, &req, &body).await? else {
        return Ok(response::see_other("/account"));
    };
    let form = ProfileForm {
        name: post.params.get("name").unwrap_or_default().to_string(),
        email: post.params.get("email").unwrap_or_default().to_string(),
    };
    let ip = extract::client_ip(&req);
    let notice = match profile::change(&state.ctx, &post.current.user, &ip, form).await? {
        ProfileOutcome::Changed { email_changed: true } => "profile-email-changed",
        ProfileOutcome::Changed { email_changed: false } | ProfileOutcome::Unchanged => "profile-saved",
        ProfileOutcome::Refused(problem) => problem.key(),
    };
    Ok(response::see_other(&format!("/account?notice={notice}#profile")))
}

/// A checked account-page POST: the form, the browser binding and the signed-in user.
struct Post {
    params: ParamMap,
    binding: String,
    current: Current,
}

impl Post {
    /// The signed-in user acting from `ip`, for the audit log.
    fn actor<'a>(&'a self, ip: &'a str) -> Actor<'a> {
        Actor {
            user_id: &self.current.user.id,
            ip,
        }
    }
}

/// docs/security.md D.20, E.32: the session first (`None` when there is none: the caller sends the
/// browser to `/account`, which shows the login page), then the CSRF token, which must have been
/// issued to this browser in this login session (the "form expired" page when missing, spent or
/// another's).
async fn accept(state: &AppState, req: &HttpRequest, body: &[u8]) -> Result<Option<Post>, PageError> {
    let params = extract::form(req, body)?;
    let (binding, _) = cookies::browser(req, state);
    let Some(current) = crate::http::session::current(&state.ctx, &state.settings, req).await? else {
        return Ok(None);
    };
    let holder = Holder {
        binding: &binding,
        login: Some(current.session.login()),
    };
    csrf::require(&state.ctx.ephemeral, &params, holder).await?;
    Ok(Some(Post {
        params,
        binding,
        current,
    }))
}

/// Ends this browser's session, clears its cookie and sends the browser to the signed-out page
/// (`GET /logout/done`, docs/security.md O.1).
async fn signed_out(state: &AppState, cookie: &str) -> Result<HttpResponse, PageError> {
    session::destroy(&state.ctx, cookie).await?;
    let mut res = response::see_other("/logout/done");
    let _ = res.add_cookie(&cookies::clear_session(&state.settings));
    Ok(res)
}
