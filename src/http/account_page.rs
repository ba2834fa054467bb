//! The account page's view (docs/operations.md, "What users see"): the user's sessions per device,
//! the apps with access and the password form, each form with its own CSRF token.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use crate::accounts::csrf::{self, Holder};
use crate::accounts::devices::ago;
use crate::accounts::overview::{self, AppAccess, DeviceSession, PasswordProblem};
use crate::context::Context;
use crate::http::errors::PageError;
use crate::http::response;
use crate::http::session::Current;
use crate::http::templates::{AccountPage, AppRow, Notice, ScopeItem, SessionRow};
use crate::oauth::OAuthError;
use crate::oidc::claims::{describe_scope, has_description};
use crate::storage::FamilyLifetime;
use crate::timefmt;

/// The confirmation named by `?notice=` (only these fixed texts; the query is never echoed).
pub fn notice(name: Option<&str>) -> Option<Notice> {
    let (section, message) = match name? {
        "device-signed-out" => ("sessions", "notice-device-signed-out"),
        "access-removed" => ("apps", "notice-access-removed"),
        "verification-sent" => ("email", "notice-verification-sent"),
        "password-changed" => ("password", "notice-password-changed"),
        "profile-saved" => ("profile", "notice-profile-saved"),
        "profile-email-changed" => ("profile", "notice-profile-email-changed"),
        other => (
            "profile-error",
            crate::accounts::profile::ProfileProblem::from_key(other)?.message(),
        ),
    };
    Some(Notice {
        section,
        message: crate::i18n::t(message),
    })
}

/// Renders the account page; with a password problem, 400 (429 when locked) and the message.
pub async fn render(
    ctx: &Context,
    current: &Current,
    binding: &str,
    notice: Option<Notice>,
    problem: Option<PasswordProblem>,
) -> Result<HttpResponse, PageError> {
    let status = match &problem {
        None => StatusCode::OK,
        Some(PasswordProblem::Locked { .. }) => StatusCode::TOO_MANY_REQUESTS,
        Some(_) => StatusCode::BAD_REQUEST,
    };
    let page = build(ctx, current, binding, notice, problem).await?;
    response::page(status, &page)
}

async fn build(
    ctx: &Context,
    current: &Current,
    binding: &str,
    notice: Option<Notice>,
    problem: Option<PasswordProblem>,
) -> Result<AccountPage, OAuthError> {
    let t = ctx.now();
    let view = overview::load(&ctx.store, &current.user.id, &current.session.sid, t).await?;
    let holder = Holder {
        binding,
        login: Some(current.session.login()),
    };
    let issue = || csrf::issue(&ctx.ephemeral, holder);
    let mut sessions = Vec::with_capacity(view.sessions.len());
    for s in view.sessions {
        sessions.push(session_row(s, t, issue().await?));
    }
    let mut apps = Vec::with_capacity(view.apps.len());
    for a in view.apps {
        apps.push(app_row(a, issue().await?));
    }
    let user = &current.user;
    let verify_email_csrf = if ctx.mail.is_enabled() && user.email.is_some() && !user.email_verified {
        Some(issue().await?)
    } else {
        None
    };
    Ok(AccountPage {
        username: user.username.clone(),
        name: user.name.clone().unwrap_or_default(),
        email: user.email.clone().unwrap_or_default(),
        email_verified: user.email_verified,
        profile_csrf: issue().await?,
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
        verify_email_csrf,
    })
}

fn session_row(s: DeviceSession, now: i64, csrf_token: String) -> SessionRow {
    SessionRow {
        signed_in: timefmt::minute_in(crate::i18n::current(), s.created_at),
        signed_in_iso: timefmt::rfc3339(s.created_at),
        last_used: ago(s.last_used_at, now),
        last_used_iso: timefmt::rfc3339(s.last_used_at),
        family_id: s.family_id,
        client_name: s.client_name,
        device: s.device,
        ip: s.ip,
        this_browser: s.this_browser,
        offline: s.lifetime == FamilyLifetime::Offline,
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
                let description = if has_description(s) {
                    describe_scope(s)
                } else {
                    crate::i18n::t1("scope-access-to", "scope", s)
                };
                ScopeItem {
                    name: s.clone(),
                    description,
                    api: None,
                }
            })
            .collect(),
        granted: timefmt::minute_in(crate::i18n::current(), a.granted_at),
        granted_iso: timefmt::rfc3339(a.granted_at),
        client_id: a.client_id,
        client_name: a.client_name,
        csrf_token,
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
                lifetime: if n == 1 {
                    FamilyLifetime::Offline
                } else {
                    FamilyLifetime::Session
                },
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
            name: "Alice Liddell".into(),
            email: "alice@example.com".into(),
            email_verified: true,
            profile_csrf: "csrf-profile".into(),
            sessions,
            apps,
            notice,
            signout_csrf: "csrf-signout".into(),
            everywhere_csrf: "csrf-everywhere".into(),
            password_csrf: "csrf-password".into(),
            password_error_field: problem.as_ref().map(|p| p.field()).unwrap_or_default().into(),
            password_error: problem.map(|p| p.message()),
            verify_email_csrf: None,
        }
    }

    #[test]
    fn every_form_has_its_own_csrf_token_and_names_are_escaped() {
        let html = templates::render(&sample(None, None, false)).unwrap();
        assert_eq!(
            html.matches("<form").count(),
            3 + 1 + 4,
            "3 devices, 1 app, sign out, everywhere, password, profile"
        );
        for token in [
            "csrf-session-0",
            "csrf-session-2",
            "csrf-app-0",
            "csrf-signout",
            "csrf-everywhere",
            "csrf-password",
            "csrf-profile",
        ] {
            assert_eq!(html.matches(token).count(), 1, "{token}");
        }
        assert!(!html.contains("Partner <Corp>"));
        assert!(html.contains("Partner &#60;Corp&#62;") || html.contains("Partner &lt;Corp&gt;"));
        assert!(html.contains("Signed in as <strong>alice</strong>"));
        assert!(html.contains("This browser"));
        assert_eq!(html.matches("(offline access)").count(), 1, "one offline family");
        assert_eq!(html.matches("Ends when you sign out").count(), 2);
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
