//! The pages of password reset, email verification and sign-up (docs/guides/email.md). Every form
//! carries a CSRF token bound to the browser (docs/security.md D.20, E.32).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::accounts::csrf::{self, Holder};
use crate::context::Context;
use crate::http::errors::PageError;
use crate::http::pages::Browser;
use crate::http::response;
use crate::i18n::t;
use crate::mail::links::LinkProblem;
use crate::state::AppState;

/// The browser a page or form is for: its binding cookie (set now when new) and its login, if
/// it is signed in (docs/security.md E.32).
pub async fn browser(state: &AppState, req: &actix_web::HttpRequest) -> Result<Browser, PageError> {
    let (binding, new_cookie) = crate::http::cookies::browser(req, state);
    let current = crate::http::session::current(&state.ctx, &state.settings, req).await?;
    Ok(Browser {
        binding,
        login: current.map(|c| c.session.login().to_string()),
        set_cookies: new_cookie.into_iter().collect(),
    })
}

/// "Forgot your password?": the username or address (`POST /password/forgot`).
#[derive(Template, serde::Serialize)]
#[template(path = "password_forgot.html")]
pub struct ForgotPage {
    pub csrf_token: String,
}

/// The new-password form a reset link opens (`POST /reset`).
#[derive(Template, serde::Serialize)]
#[template(path = "password_reset.html")]
pub struct ResetPage {
    pub username: String,
    /// Hidden input `token`: the link's token.
    pub token: String,
    pub csrf_token: String,
    pub min_chars: usize,
    pub error: Option<String>,
}

/// "Create an account" (`POST /signup`), for a pending authorization request.
#[derive(Template, serde::Serialize)]
#[template(path = "signup.html")]
pub struct SignupPage {
    pub client_name: String,
    pub request_id: String,
    pub csrf_token: String,
    pub username: String,
    pub email: String,
    pub min_chars: usize,
    pub error: Option<String>,
    /// The input the error is about: `username`, `email` or `password`.
    pub error_field: String,
}

/// The forgot-password form.
pub async fn forgot(ctx: &Context, holder: Holder<'_>) -> Result<HttpResponse, PageError> {
    let csrf_token = csrf::issue(&ctx.ephemeral, holder).await?;
    response::page(StatusCode::OK, &ForgotPage { csrf_token })
}

/// The new-password form; with an error, 400.
pub async fn reset(
    ctx: &Context,
    holder: Holder<'_>,
    username: String,
    token: String,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let page = ResetPage {
        username,
        token,
        csrf_token: csrf::issue(&ctx.ephemeral, holder).await?,
        min_chars: ctx.password_policy.min_chars,
        error,
    };
    let status = if page.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    response::page(status, &page)
}

/// The answer to every reset request, whether an account matched or not (docs/security.md N.1).
pub fn reset_sent() -> Result<HttpResponse, PageError> {
    response::message(&t("reset-sent-title"), &t("reset-sent"))
}

pub fn reset_done() -> Result<HttpResponse, PageError> {
    response::message(&t("reset-done-title"), &t("reset-done"))
}

pub fn email_verified() -> Result<HttpResponse, PageError> {
    response::message(&t("email-verified-title"), &t("email-verified"))
}

/// docs/security.md N.2-N.3: a link that does not work: 400, and what to do.
pub fn link_problem(problem: LinkProblem) -> PageError {
    match problem {
        LinkProblem::Expired => PageError::new(StatusCode::BAD_REQUEST, "link-expired-title", "link-expired"),
        LinkProblem::Used => PageError::new(StatusCode::BAD_REQUEST, "link-used-title", "link-used"),
        LinkProblem::Invalid => PageError::new(StatusCode::BAD_REQUEST, "link-invalid-title", "link-invalid"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::http::templates::render;

    const EVIL: &str = "<script>alert(1)</script>\"'";

    fn pages() -> Vec<(&'static str, String)> {
        vec![
            (
                "password_forgot.html",
                render(&ForgotPage {
                    csrf_token: "csrf-1".into(),
                })
                .unwrap(),
            ),
            (
                "password_reset.html",
                render(&ResetPage {
                    username: EVIL.into(),
                    token: EVIL.into(),
                    csrf_token: "csrf-2".into(),
                    min_chars: 8,
                    error: Some(EVIL.into()),
                })
                .unwrap(),
            ),
            (
                "signup.html",
                render(&SignupPage {
                    client_name: EVIL.into(),
                    request_id: EVIL.into(),
                    csrf_token: "csrf-3".into(),
                    username: EVIL.into(),
                    email: EVIL.into(),
                    min_chars: 12,
                    error: Some(EVIL.into()),
                    error_field: "password".into(),
                })
                .unwrap(),
            ),
        ]
    }

    /// E.26: the new pages escape what people typed, carry their CSRF token, and have no inline
    /// script or style (the strict CSP holds).
    #[test]
    fn email_pages_escape_input_carry_csrf_and_have_no_inline_script() {
        for (name, html) in pages() {
            assert!(!html.contains("<script"), "{name} has a script");
            assert!(!html.contains("style="), "{name} has a style attribute");
            assert!(html.contains("name=\"csrf_token\""), "{name} has no CSRF token");
            assert!(!html.contains(EVIL), "{name} does not escape");
        }
        let signup = &pages()[2].1;
        assert!(signup.contains("minlength=\"12\""));
        assert!(signup.contains("aria-invalid=\"true\" aria-describedby=\"signup-error\" autofocus"));
    }
}
