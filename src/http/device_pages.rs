//! The `/device` pages (RFC 8628 §3.3, docs/guides/device.md): the code form
//! (`templates/device.html`), the confirmation with its warning (`device_confirm.html`) and the
//! result (`device_done.html`). Like every page: no inline script or style, a CSRF token on every
//! form.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::accounts::csrf::{self, Holder};
use crate::context::Context;
use crate::http::errors::PageError;
use crate::http::response;
use crate::http::templates::ScopeItem;
use crate::interaction::device_approval::{Answered, ToConfirm};
use crate::oauth::scope::OFFLINE_ACCESS;

/// The code form (`POST /device`).
#[derive(Template, serde::Serialize)]
#[template(path = "device.html")]
pub struct DevicePage {
    pub username: String,
    /// Prefilled value of input `user_code` (`verification_uri_complete`, or the last attempt).
    pub user_code: String,
    pub csrf_token: String,
    /// Shown above the form with role="alert".
    pub error: Option<String>,
}

/// The confirmation (`POST /device/confirm`, `decision=allow|deny`).
#[derive(Template, serde::Serialize)]
#[template(path = "device_confirm.html")]
pub struct DeviceConfirmPage {
    pub client_name: String,
    pub username: String,
    /// The code as the device shows it, `BCDF-GHJK`.
    pub user_code: String,
    pub scopes: Vec<ScopeItem>,
    /// Hidden input `confirm_id`.
    pub confirm_id: String,
    pub csrf_token: String,
}

impl DeviceConfirmPage {
    pub fn asks_offline_access(&self) -> bool {
        self.scopes.iter().any(|s| s.name == OFFLINE_ACCESS)
    }

    /// The first letter of the client name, upper-cased, for the avatar.
    pub fn client_initial(&self) -> String {
        self.client_name
            .trim()
            .chars()
            .next()
            .map_or_else(|| "?".to_owned(), |c| c.to_uppercase().collect())
    }
}

/// The result page.
#[derive(Template, serde::Serialize)]
#[template(path = "device_done.html")]
pub struct DeviceDonePage {
    pub approved: bool,
    pub title: String,
    pub message: String,
}

/// The code form for `holder`; with an error, `status` says why (400 wrong code, 429 limit).
pub async fn code_form(
    ctx: &Context,
    holder: Holder<'_>,
    username: &str,
    user_code: &str,
    error: Option<(StatusCode, &str)>,
) -> Result<HttpResponse, PageError> {
    let page = DevicePage {
        username: username.to_string(),
        user_code: user_code.chars().take(32).collect(),
        csrf_token: csrf::issue(&ctx.ephemeral, holder).await?,
        error: error.map(|(_, id)| crate::i18n::t(id)),
    };
    response::page(error.map_or(StatusCode::OK, |(s, _)| s), &page)
}

/// The confirmation page for `found`.
pub async fn confirm_page(
    ctx: &Context,
    holder: Holder<'_>,
    username: &str,
    confirm_id: &str,
    found: &ToConfirm,
) -> Result<HttpResponse, PageError> {
    let scopes = crate::http::pages::scope_items(ctx, &found.request.scope, &found.request.resources).await?;
    let page = DeviceConfirmPage {
        client_name: found.client.name.clone(),
        username: username.to_string(),
        user_code: found.user_code.display(),
        scopes,
        confirm_id: confirm_id.to_string(),
        csrf_token: csrf::issue(&ctx.ephemeral, holder).await?,
    };
    response::page(StatusCode::OK, &page)
}

/// The result page for `/device/done?result=...`: only words, nothing from the request.
pub fn done_page(result: &str) -> Result<HttpResponse, PageError> {
    let (approved, title, message) = match result {
        "approved" => (true, "device-done-title", "device-done"),
        _ => (false, "device-not-done-title", "device-not-done"),
    };
    let page = DeviceDonePage {
        approved,
        title: crate::i18n::t(title),
        message: crate::i18n::t(message),
    };
    response::page(StatusCode::OK, &page)
}

/// Where the confirmation form's answer leads (303 after the POST).
pub fn after_answer(answered: &Answered) -> Result<HttpResponse, PageError> {
    match answered {
        Answered::Approved => Ok(response::see_other("/device/done?result=approved")),
        Answered::Denied => Ok(response::see_other("/device/done?result=denied")),
        Answered::NotAllowed(reason) => Err(PageError::new(
            StatusCode::FORBIDDEN,
            "error-device-not-allowed-title",
            reason,
        )),
        Answered::Gone => Err(code_expired()),
    }
}

/// The code's request ended, was answered, or the page was another browser's.
pub fn code_expired() -> PageError {
    PageError::new(
        StatusCode::BAD_REQUEST,
        "error-device-code-expired-title",
        "error-device-code-expired",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use crate::http::templates::render;

    fn confirm(name: &str) -> DeviceConfirmPage {
        DeviceConfirmPage {
            client_name: name.to_owned(),
            username: "alice".to_owned(),
            user_code: "BCDF-GHJK".to_owned(),
            scopes: vec![
                ScopeItem {
                    name: "openid".to_owned(),
                    description: "Confirm who you are".to_owned(),
                    api: None,
                },
                ScopeItem {
                    name: "offline_access".to_owned(),
                    description: "Stay connected when you are not using it".to_owned(),
                    api: None,
                },
            ],
            confirm_id: "conf-1".to_owned(),
            csrf_token: "csrf-abc".to_owned(),
        }
    }

    /// The device pages with sample data, for the checks every page gets (`http::templates`).
    pub(crate) fn samples() -> Vec<(&'static str, String)> {
        let form = |error: Option<&str>| DevicePage {
            username: "alice".to_owned(),
            user_code: "BCDF-GHJK".to_owned(),
            csrf_token: "csrf-abc".to_owned(),
            error: error.map(str::to_owned),
        };
        let done = |approved| DeviceDonePage {
            approved,
            title: "Device connected".to_owned(),
            message: "Your device is now signed in.".to_owned(),
        };
        vec![
            ("device.html", render(&form(None)).unwrap()),
            (
                "device_error.html",
                render(&form(Some("That code is not valid."))).unwrap(),
            ),
            (
                "device_confirm.html",
                render(&confirm("Living Room <TV>")).unwrap(),
            ),
            ("device_done.html", render(&done(true)).unwrap()),
            ("device_denied.html", render(&done(false)).unwrap()),
        ]
    }

    /// L.4: the confirmation names the client (escaped), shows the code, always carries the
    /// warning, and has both decisions and the CSRF token.
    #[test]
    fn device_confirmation_names_the_client_and_always_warns() {
        let html = render(&confirm("Living Room <TV>")).unwrap();
        let named = [
            "Living Room &#60;TV&#62; on a device",
            "Living Room &lt;TV&gt; on a device",
        ];
        assert!(named.iter().any(|n| html.contains(n)), "{html}");
        assert!(html.contains("BCDF-GHJK"));
        assert!(html.contains("Only continue if you started this on your own device"));
        assert!(html.contains(r#"action="/device/confirm""#));
        assert!(html.contains(r#"name="confirm_id" value="conf-1""#));
        assert!(html.contains(r#"name="csrf_token" value="csrf-abc""#));
        assert!(html.contains(r#"name="decision" value="allow">Allow</button>"#));
        assert!(html.contains(r#"name="decision" value="deny">Deny</button>"#));
        assert!(html.contains("Stays connected after you sign out."));
    }

    /// The code form: a labelled field, prefilled, errors announced.
    #[test]
    fn device_code_form_is_labelled_and_announces_errors() {
        let samples = samples();
        let html = &samples[1].1;
        assert!(html.contains(r#"<label for="user_code">"#));
        assert!(html.contains(r#"value="BCDF-GHJK""#));
        assert!(html.contains(r#"id="device-error" role="alert""#));
        assert!(html.contains(r#"aria-describedby="device-error""#));
        assert!(!samples[0].1.contains("role=\"alert\""));
    }
}
