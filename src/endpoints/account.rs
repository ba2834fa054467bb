//! `GET /account` and its forms (DESIGN.md §5 `/account`, issue 3 §4; SECURITY.md D.20-D.23): the
//! user's sessions (token families) and devices, each revocable; "sign out everywhere"; the apps
//! they consented to; the password. Every form carries its own single-use CSRF token and every POST
//! needs the signed-in browser. The logic is in `accounts::overview`.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::accounts::csrf;
use crate::accounts::devices::{ago, format_utc, rfc3339};
use crate::accounts::overview::{
    self, AppAccess, DeviceSession, PasswordChange, PasswordForm, PasswordOutcome, PasswordProblem,
};
use crate::accounts::session;
use crate::accounts::users::AccountError;
use crate::endpoints::common::{self, Current};
use crate::endpoints::interaction;
use crate::http::templates::{AccountPage, AppRow, LoggedOutPage, Notice, ScopeItem, SessionRow};
use crate::http::{cookies, extract, response};
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::oidc::claims::describe_scope;
use crate::state::AppState;
use crate::util::now;

/// Issue 3 §4: the account page, or the login page for it when the browser is not signed in.
#[tracing::instrument(name = "account", skip_all)]
pub async fn get(state: Data<AppState>, req: HttpRequest) -> HttpResponse {
    let (binding, new_cookie) = cookies::browser(&req, &state.settings);
    let mut res = match common::signed_in(&state, &req).await {
        Ok(Some(current)) => render(&state, &current, &binding, notice(&req), None).await,
        Ok(None) => interaction::login_page(&state, &binding, None, "", String::new(), None).await,
        Err(e) => response::error_page_for(&e),
    };
    if let Some(c) = new_cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

/// `POST /account/sessions/revoke` (`family_id`): "Sign out this device" (RFC 9700 §4.14); 404 for
/// a family that is not the user's.
#[tracing::instrument(name = "account_revoke_session", skip_all)]
pub async fn revoke_session(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let post = match accept(&state, &req, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let family_id = post.params.get("family_id").unwrap_or_default();
    match overview::sign_out_device(&state.store, &post.current.user.id, family_id).await {
        Ok(true) => response::see_other("/account?notice=device-signed-out"),
        Ok(false) => response::error_page(
            StatusCode::NOT_FOUND,
            "Session not found",
            "This session has already ended, or it does not belong to your account.",
            None,
        ),
        Err(e) => response::error_page_for(&e.into()),
    }
}

/// `POST /account/consents/revoke` (`client_id`): withdraws consent and signs the app out
/// (SECURITY.md D.23).
#[tracing::instrument(name = "account_revoke_consent", skip_all)]
pub async fn revoke_consent(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let post = match accept(&state, &req, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let client_id = post.params.get("client_id").unwrap_or_default();
    match overview::withdraw_consent(&state.store, &post.current.user.id, client_id).await {
        Ok(true) => response::see_other("/account?notice=access-removed"),
        Ok(false) => response::see_other("/account"),
        Err(e) => response::error_page_for(&e.into()),
    }
}

/// `POST /account/logout-everywhere`: ends every token family and login session of the user.
#[tracing::instrument(name = "account_logout_everywhere", skip_all)]
pub async fn logout_everywhere(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let post = match accept(&state, &req, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    match overview::sign_out_everywhere(&state.store, &post.current.user.id).await {
        Ok(_) => signed_out(&state, &post.current.cookie).await,
        Err(e) => response::error_page_for(&account_error(e)),
    }
}

/// `POST /account/signout`: ends this browser's login session only.
#[tracing::instrument(name = "account_signout", skip_all)]
pub async fn signout(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    match accept(&state, &req, &body).await {
        Ok(post) => signed_out(&state, &post.current.cookie).await,
        Err(res) => res,
    }
}

/// `POST /account/password` (`current_password`, `new_password`, `confirm_password`): a new
/// password ends every other session (SECURITY.md C.13, D.21); this browser gets a new session.
#[tracing::instrument(name = "account_password", skip_all)]
pub async fn change_password(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let post = match accept(&state, &req, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let field = |name| post.params.get(name).unwrap_or_default().to_string();
    let form = PasswordForm {
        current: field("current_password"),
        new: field("new_password"),
        confirm: field("confirm_password"),
    };
    let change = PasswordChange {
        store: &state.store,
        ephemeral: &state.ephemeral,
        hasher: &state.hasher,
        limits: &state.settings.rate_limit,
        sessions: &state.settings.sessions,
    };
    let ip = extract::client_ip(&req);
    match change
        .run(&ip, &post.current.user, &post.current.cookie, form)
        .await
    {
        Ok(PasswordOutcome::Changed { cookie, .. }) => {
            let mut res = response::see_other("/account?notice=password-changed");
            let _ = res.add_cookie(&cookies::session(&state.settings, &cookie));
            res
        }
        Ok(PasswordOutcome::Refused(problem)) => {
            render(&state, &post.current, &post.binding, None, Some(problem)).await
        }
        Err(e) => response::error_page_for(&account_error(e)),
    }
}

/// A checked account-page POST: the form, the browser binding and the signed-in user.
struct Post {
    params: ParamMap,
    binding: String,
    current: Current,
}

/// SECURITY.md D.20: the CSRF token first (400 when missing or spent), then the session (303 to
/// `/account`, which shows the login page, when there is none).
async fn accept(state: &AppState, req: &HttpRequest, body: &[u8]) -> Result<Post, HttpResponse> {
    let params = extract::form(req, body).map_err(|e| response::error_page_for(&e))?;
    let (binding, _) = cookies::browser(req, &state.settings);
    let token = params.get("csrf_token").unwrap_or_default();
    match csrf::verify(&state.ephemeral, token, &binding).await {
        Ok(true) => {}
        Ok(false) => {
            return Err(response::error_page(
                StatusCode::BAD_REQUEST,
                "This form has expired",
                "Go back to your account page, reload it and try again.",
                Some("invalid_request"),
            ));
        }
        Err(e) => return Err(response::error_page_for(&e.into())),
    }
    match common::signed_in(state, req).await {
        Ok(Some(current)) => Ok(Post {
            params,
            binding,
            current,
        }),
        Ok(None) => Err(response::see_other("/account")),
        Err(e) => Err(response::error_page_for(&e)),
    }
}

/// Ends this browser's session, clears its cookie and shows the signed-out page.
async fn signed_out(state: &AppState, cookie: &str) -> HttpResponse {
    if let Err(e) = session::destroy(&state.ephemeral, cookie).await {
        return response::error_page_for(&e.into());
    }
    let mut res = response::page(StatusCode::OK, &LoggedOutPage { client_name: None });
    let _ = res.add_cookie(&cookies::clear_session(&state.settings));
    res
}

/// The confirmation named by `?notice=` (only these fixed texts; the query is never echoed).
fn notice(req: &HttpRequest) -> Option<Notice> {
    let params = extract::query(req).ok()?;
    let (section, message) = match params.get("notice")? {
        "device-signed-out" => ("sessions", "That device has been signed out."),
        "access-removed" => (
            "apps",
            "Access removed. The app will ask for your permission next time.",
        ),
        "password-changed" => (
            "password",
            "Your password has been changed and your other devices have been signed out.",
        ),
        _ => return None,
    };
    Some(Notice {
        section,
        message: message.to_string(),
    })
}

/// Renders the account page; with a password problem, 400 (429 when locked) and the message.
async fn render(
    state: &AppState,
    current: &Current,
    binding: &str,
    notice: Option<Notice>,
    problem: Option<PasswordProblem>,
) -> HttpResponse {
    let status = match &problem {
        None => StatusCode::OK,
        Some(PasswordProblem::Locked) => StatusCode::TOO_MANY_REQUESTS,
        Some(_) => StatusCode::BAD_REQUEST,
    };
    match build(state, current, binding, notice, problem).await {
        Ok(page) => response::page(status, &page),
        Err(e) => response::error_page_for(&e),
    }
}

async fn build(
    state: &AppState,
    current: &Current,
    binding: &str,
    notice: Option<Notice>,
    problem: Option<PasswordProblem>,
) -> Result<AccountPage, OAuthError> {
    let t = now();
    let view = overview::load(&state.store, &current.user.id, &current.session.sid, t).await?;
    let issue = || csrf::issue(&state.ephemeral, binding);
    let mut sessions = Vec::with_capacity(view.sessions.len());
    for s in view.sessions {
        sessions.push(session_row(s, t, issue().await?));
    }
    let mut apps = Vec::with_capacity(view.apps.len());
    for a in view.apps {
        apps.push(app_row(a, issue().await?));
    }
    Ok(AccountPage {
        username: current.user.username.clone(),
        sessions,
        apps,
        notice,
        signout_csrf: issue().await?,
        everywhere_csrf: issue().await?,
        password_csrf: issue().await?,
        password_error_field: problem
            .as_ref()
            .map(|p| p.field())
            .unwrap_or_default()
            .to_string(),
        password_error: problem.map(|p| p.message()),
    })
}

fn session_row(s: DeviceSession, now: i64, csrf_token: String) -> SessionRow {
    SessionRow {
        signed_in: format_utc(s.created_at),
        signed_in_iso: rfc3339(s.created_at),
        last_used: ago(s.last_used_at, now),
        last_used_iso: rfc3339(s.last_used_at),
        family_id: s.family_id,
        client_name: s.client_name,
        device: s.device,
        ip: s.ip,
        this_browser: s.this_browser,
        csrf_token,
    }
}

fn app_row(a: AppAccess, csrf_token: String) -> AppRow {
    AppRow {
        scopes: a
            .scopes
            .iter()
            .map(|s| {
                // A scope the server has no words for is named rather than described generically.
                let description = match describe_scope(s) {
                    d if d == describe_scope("") => format!("Access to {s}"),
                    d => d.to_string(),
                };
                ScopeItem {
                    name: s.clone(),
                    description,
                }
            })
            .collect(),
        granted: format_utc(a.granted_at),
        granted_iso: rfc3339(a.granted_at),
        client_id: a.client_id,
        client_name: a.client_name,
        csrf_token,
    }
}

fn account_error(e: AccountError) -> OAuthError {
    match e {
        AccountError::Storage(s) => s.into(),
        other => OAuthError::server_error(other),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::http::templates;

    const NOW: i64 = 1_795_442_759;

    fn device(n: usize, client: &str, device: &str, this_browser: bool) -> SessionRow {
        session_row(
            DeviceSession {
                family_id: format!("fam{n}"),
                client_id: "web-app".into(),
                client_name: client.into(),
                device: device.into(),
                created_at: NOW - 86_400 * (n as i64 + 2) - 3_000,
                last_used_at: NOW - 180 * (n as i64 + 1) * (n as i64 + 1) * 20,
                ip: Some(if n == 2 {
                    "2001:db8:85a3::8a2e:370:7334".into()
                } else {
                    "203.0.113.7".into()
                }),
                this_browser,
            },
            NOW,
            format!("csrf-session-{n}"),
        )
    }

    fn sample(problem: Option<PasswordProblem>, notice: Option<Notice>, empty: bool) -> AccountPage {
        let sessions = if empty {
            Vec::new()
        } else {
            vec![
                device(0, "Web App", "Firefox on Linux", true),
                device(1, "Single Page App", "Work laptop", false),
                device(2, "Partner <Corp>", "Safari on iPhone", false),
            ]
        };
        let apps = if empty {
            Vec::new()
        } else {
            vec![app_row(
                AppAccess {
                    client_id: "partner".into(),
                    client_name: "Partner <Corp>".into(),
                    scopes: ["openid", "profile", "offline_access", "api:read"]
                        .map(String::from)
                        .to_vec(),
                    granted_at: NOW - 86_400 * 12,
                },
                "csrf-app-0".into(),
            )]
        };
        AccountPage {
            username: "alice".into(),
            sessions,
            apps,
            notice,
            signout_csrf: "csrf-signout".into(),
            everywhere_csrf: "csrf-everywhere".into(),
            password_csrf: "csrf-password".into(),
            password_error_field: problem.as_ref().map(|p| p.field()).unwrap_or_default().into(),
            password_error: problem.map(|p| p.message()),
        }
    }

    #[test]
    fn every_form_has_its_own_csrf_token_and_names_are_escaped() {
        let html = templates::render(&sample(None, None, false)).unwrap();
        assert_eq!(
            html.matches("<form").count(),
            3 + 1 + 3,
            "3 devices, 1 app, sign out, everywhere, password"
        );
        for token in [
            "csrf-session-0",
            "csrf-session-2",
            "csrf-app-0",
            "csrf-signout",
            "csrf-everywhere",
            "csrf-password",
        ] {
            assert_eq!(html.matches(token).count(), 1, "{token}");
        }
        assert!(!html.contains("Partner <Corp>"));
        assert!(html.contains("Partner &#60;Corp&#62;") || html.contains("Partner &lt;Corp&gt;"));
        assert!(html.contains("Signed in as <strong>alice</strong>"));
        assert!(html.contains("This browser"));
        assert!(html.contains("Access to api:read"));
        assert!(!html.contains("<script") && !html.contains("style="));
    }

    #[test]
    fn password_problem_is_announced_on_its_field() {
        let html = templates::render(&sample(Some(PasswordProblem::WrongCurrent), None, true)).unwrap();
        assert!(html.contains(r#"role="alert""#));
        assert!(html.contains("Your current password is not correct."));
        assert_eq!(html.matches(r#"aria-invalid="true""#).count(), 1);
        assert!(html.contains("No app is signed in"));
    }

    /// Writes the account page in its states to `$PAGES_OUT` for screenshots.
    #[test]
    #[ignore = "writes files; run by hand to look at the page"]
    fn write_account_pages_for_review() {
        let dir = std::path::PathBuf::from(std::env::var("PAGES_OUT").expect("set PAGES_OUT"));
        std::fs::create_dir_all(&dir).unwrap();
        let notice = Notice {
            section: "sessions",
            message: "That device has been signed out.".into(),
        };
        let pages = [
            ("account.html", sample(None, None, false)),
            ("account_notice.html", sample(None, Some(notice), false)),
            (
                "account_empty.html",
                sample(Some(PasswordProblem::Mismatch), None, true),
            ),
        ];
        for (name, page) in pages {
            std::fs::write(dir.join(name), templates::render(&page).unwrap()).unwrap();
        }
    }
}
