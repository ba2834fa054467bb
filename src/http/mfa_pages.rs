//! The second-factor pages (docs/guides/mfa.md): the code or passkey page after the password
//! (`templates/mfa_challenge.html`), the account's two-step verification page
//! (`mfa_account.html`), TOTP enrolment (`mfa_totp.html`) and the recovery codes shown for a few
//! minutes after it (`mfa_recovery.html`). Like every page: no inline script or style; the passkey buttons load
//! `/static/js/passkey.js`, and every page works without it.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::accounts::csrf::{self, Holder};
use crate::context::Context;
use crate::http::errors::PageError;
use crate::http::response;
use crate::mfa::challenge::{self, Challenge};
use crate::mfa::{self, Factors};
use crate::storage::{AuthMethod, User};

/// The second-factor page (`POST /login/mfa`, or a passkey).
#[derive(Template, serde::Serialize)]
#[template(path = "mfa_challenge.html")]
pub struct ChallengePage {
    pub username: String,
    pub client_name: Option<String>,
    /// Hidden input `challenge`: the half-done login's id.
    pub challenge: String,
    pub csrf_token: String,
    pub has_totp: bool,
    pub has_passkey: bool,
    pub error: Option<String>,
}

/// The account's two-step verification page.
#[derive(Template, serde::Serialize)]
#[template(path = "mfa_account.html")]
pub struct AccountMfaPage {
    pub username: String,
    /// The pending request that sent the user here to enrol (docs/security.md G.1).
    pub request_id: Option<String>,
    pub request_id_value: String,
    /// "Continue" to the pending request, once the user has a factor.
    pub continue_to: Option<String>,
    pub totp_since: Option<String>,
    pub recovery_left: i64,
    pub totp_setup_url: String,
    /// The "Turn off" form's CSRF token, when TOTP is on.
    pub totp_remove_csrf: Option<String>,
    pub passkeys: Vec<PasskeyItem>,
}

/// One passkey on the account page, with its "Remove" form.
#[derive(serde::Serialize)]
pub struct PasskeyItem {
    pub id: String,
    pub name: String,
    pub csrf_token: String,
}

/// TOTP enrolment: the QR code (an image from `/account/mfa/totp/qr.svg`), the key, the code form.
#[derive(Template, serde::Serialize)]
#[template(path = "mfa_totp.html")]
pub struct TotpPage {
    pub secret: String,
    pub csrf_token: String,
    pub request_id: String,
    pub error: Option<String>,
}

/// The recovery codes after enrolment (`GET /account/mfa/recovery-codes`); no codes: the page
/// that says they were shown already and how to make new ones.
#[derive(Template, serde::Serialize)]
#[template(path = "mfa_recovery.html")]
pub struct RecoveryPage {
    pub codes: Vec<String>,
    pub next: String,
}

/// docs/security.md G.1: a signed-in browser's request needs a second factor the user has: the
/// step-up challenge, then its page (303, so a reload does not repeat the POST).
pub async fn step_up(
    ctx: &Context,
    holder: Holder<'_>,
    request_id: String,
    user_id: String,
    amr: Vec<AuthMethod>,
) -> Result<HttpResponse, PageError> {
    let client_id = match crate::interaction::Pending::load(ctx, &request_id, holder).await? {
        Some(p) => Some(p.request.client_id),
        None => None,
    };
    let challenge = Challenge {
        user_id,
        amr,
        request_id: Some(request_id),
        client_id,
        step_up: true,
    };
    let id = challenge::start(ctx, holder, &challenge).await?;
    Ok(response::see_other(&format!("/login/mfa?challenge={id}")))
}

/// The second-factor page for `challenge` (with an error and 401 after a refused code).
pub async fn challenge_page(
    ctx: &Context,
    holder: Holder<'_>,
    id: &str,
    challenge: &Challenge,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let user = ctx
        .store
        .user_by_id(&challenge.user_id)
        .await?
        .ok_or_else(PageError::request_expired)?;
    let client_name = match &challenge.client_id {
        Some(id) => ctx.store.client_by_id(id).await?.map(|c| c.name),
        None => None,
    };
    let factors = mfa::factors(&ctx.store, &user.id).await?;
    let page = ChallengePage {
        username: user.username,
        client_name,
        challenge: id.to_string(),
        csrf_token: csrf::issue(&ctx.ephemeral, holder).await?,
        has_totp: factors.totp_since.is_some(),
        has_passkey: !factors.passkeys.is_empty(),
        error,
    };
    let status = if page.error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    response::page(status, &page)
}

/// The account's two-step verification page, each removal form with its own CSRF token.
pub async fn account_page(
    ctx: &Context,
    holder: Holder<'_>,
    user: &User,
    factors: &Factors,
    request_id: Option<String>,
) -> Result<HttpResponse, PageError> {
    let rid = request_id.clone().unwrap_or_default();
    let continue_to = match &request_id {
        Some(id) if factors.any() => Some(challenge::next_url(Some(id))),
        _ => None,
    };
    let totp_setup_url = match &request_id {
        Some(id) => format!("/account/mfa/totp?request_id={id}"),
        None => "/account/mfa/totp".to_string(),
    };
    let totp_remove_csrf = match factors.totp_since {
        Some(_) => Some(csrf::issue(&ctx.ephemeral, holder).await?),
        None => None,
    };
    let mut passkeys = Vec::new();
    for p in &factors.passkeys {
        passkeys.push(PasskeyItem {
            id: p.id.clone(),
            name: p.name.clone(),
            csrf_token: csrf::issue(&ctx.ephemeral, holder).await?,
        });
    }
    let page = AccountMfaPage {
        username: user.username.clone(),
        request_id,
        request_id_value: rid,
        continue_to,
        totp_since: factors
            .totp_since
            .map(|t| crate::timefmt::minute_in(crate::i18n::current(), t)),
        recovery_left: factors.recovery_codes_left,
        totp_setup_url,
        totp_remove_csrf,
        passkeys,
    };
    response::page(StatusCode::OK, &page)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn pages() -> Vec<(&'static str, String)> {
        vec![
            (
                "mfa_challenge.html",
                ChallengePage {
                    username: "alice".into(),
                    client_name: Some("Web <App>".into()),
                    challenge: "c".into(),
                    csrf_token: "t".into(),
                    has_totp: true,
                    has_passkey: true,
                    error: Some("Wrong code.".into()),
                }
                .render()
                .unwrap(),
            ),
            (
                "mfa_account.html",
                AccountMfaPage {
                    username: "alice".into(),
                    request_id: Some("r".into()),
                    request_id_value: "r".into(),
                    continue_to: Some("/login/continue?request_id=r".into()),
                    totp_since: Some("2027-01-15 08:00".into()),
                    recovery_left: 9,
                    totp_setup_url: "/account/mfa/totp".into(),
                    totp_remove_csrf: Some("t".into()),
                    passkeys: vec![PasskeyItem {
                        id: "k".into(),
                        name: "Passkey".into(),
                        csrf_token: "t".into(),
                    }],
                }
                .render()
                .unwrap(),
            ),
            (
                "mfa_totp.html",
                TotpPage {
                    secret: "JBSWY3DPEHPK3PXP".into(),
                    csrf_token: "t".into(),
                    request_id: String::new(),
                    error: None,
                }
                .render()
                .unwrap(),
            ),
            (
                "mfa_recovery.html",
                RecoveryPage {
                    codes: vec!["abcd-efgh-ijkl-mnop".into()],
                    next: "/account/mfa".into(),
                }
                .render()
                .unwrap(),
            ),
            (
                "mfa_recovery_shown.html",
                RecoveryPage {
                    codes: Vec::new(),
                    next: "/account/mfa".into(),
                }
                .render()
                .unwrap(),
            ),
        ]
    }

    /// docs/security.md E.26: the second-factor pages carry no inline script or style; the only
    /// script is the passkey file from /static.
    #[test]
    fn mfa_pages_have_no_inline_script_or_style() {
        for (name, html) in pages() {
            assert!(!html.contains("style="), "{name}");
            assert!(!html.contains("<style"), "{name}");
            assert!(!html.contains(" onclick="), "{name}");
            let scripts = html.matches("<script").count();
            let external = html
                .matches("<script src=\"/static/js/passkey.js\"></script>")
                .count();
            assert_eq!(scripts, external, "{name} has an inline script");
        }
    }

    /// Writes the second-factor pages to `$PAGES_OUT` for screenshots:
    /// `PAGES_OUT=/tmp/pages/html cargo test --lib http::mfa_pages -- --ignored`.
    #[test]
    #[ignore = "writes files; run by hand to look at the pages"]
    fn write_mfa_pages_for_review() {
        let dir = std::env::var("PAGES_OUT").expect("set PAGES_OUT to a directory");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, html) in pages() {
            std::fs::write(std::path::Path::new(&dir).join(name), html).unwrap();
        }
        let qr_dir = std::path::Path::new(&dir).join("account/mfa/totp");
        std::fs::create_dir_all(&qr_dir).unwrap();
        let uri = crate::mfa::totp::otpauth_uri("Portcullis", "alice", b"12345678901234567890");
        std::fs::write(qr_dir.join("qr.svg"), crate::mfa::totp::qr_svg(&uri).unwrap()).unwrap();
    }
}
