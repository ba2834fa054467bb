//! docs/architecture.md, "Pages" + docs/security.md E.26: the HTML pages, rendered with askama.
//!
//! Every template extends `templates/base.html`, loads the one stylesheet `/static/css/portcullis.css`
//! and carries no inline script or style, so the strict CSP `default-src 'self'; frame-ancestors 'none'`
//! holds. askama escapes every `{{ value }}` in `.html` templates; no template uses `|safe`.
//!
//! Every page goes through [`render`]: the override of `branding.dir/templates/NAME.html` when
//! there is one (`http::overrides`; docs/configuration.md, "Page templates"), else the built-in.

use askama::Template;
use minijinja::Value;
use serde::Serialize;

use crate::http::overrides;

/// A page: its built-in askama template, its name (`templates/NAME.html`, the name of its
/// override) and the context an override gets (its fields, serialized, plus [`Page::extras`]).
pub trait Page: Template + Serialize {
    /// The file name of the template without `.html` (one of `overrides::PAGES`).
    const NAME: &'static str;

    /// What built-in templates compute with methods (`client_initial()`, `notice_for(..)`),
    /// as values or functions of the override's context, next to the fields; none by default.
    fn extras(&self) -> Value {
        minijinja::context! {}
    }
}

/// `Page` for page structs whose template uses only their fields.
macro_rules! pages {
    ($($ty:ty => $name:literal),* $(,)?) => {
        $(impl Page for $ty {
            const NAME: &'static str = $name;
        })*
    };
}

pages! {
    LoginPage => "login",
    ErrorPage => "error",
    LogoutConfirmPage => "logout",
    LoggedOutPage => "logged_out",
    LogoutStayedPage => "logout_stayed",
    FormPostPage => "form_post",
    crate::http::denied::DeniedPage => "denied",
    crate::http::device_pages::DevicePage => "device",
    crate::http::device_pages::DeviceDonePage => "device_done",
    crate::http::email_pages::ForgotPage => "password_forgot",
    crate::http::email_pages::ResetPage => "password_reset",
    crate::http::email_pages::SignupPage => "signup",
    crate::http::mfa_pages::ChallengePage => "mfa_challenge",
    crate::http::mfa_pages::AccountMfaPage => "mfa_account",
    crate::http::mfa_pages::TotpPage => "mfa_totp",
    crate::http::mfa_pages::RecoveryPage => "mfa_recovery",
}

impl Page for ConsentPage {
    const NAME: &'static str = "consent";

    fn extras(&self) -> Value {
        minijinja::context! {
            asks_offline_access => self.asks_offline_access(),
            client_initial => self.client_initial(),
        }
    }
}

impl Page for crate::http::device_pages::DeviceConfirmPage {
    const NAME: &'static str = "device_confirm";

    fn extras(&self) -> Value {
        minijinja::context! {
            asks_offline_access => self.asks_offline_access(),
            client_initial => self.client_initial(),
        }
    }
}

impl Page for DevCallbackPage {
    const NAME: &'static str = "dev_callback";

    fn extras(&self) -> Value {
        minijinja::context! { is_error => self.is_error() }
    }
}

impl Page for AccountPage {
    const NAME: &'static str = "account";

    fn extras(&self) -> Value {
        let with_initial = |row: Value, initial: String| {
            minijinja::value::merge_maps([row, minijinja::context! { client_initial => initial }])
        };
        let sessions: Vec<Value> = self
            .sessions
            .iter()
            .map(|s| with_initial(Value::from(minijinja::value::Serde(s)), s.client_initial()))
            .collect();
        let apps: Vec<Value> = self
            .apps
            .iter()
            .map(|a| with_initial(Value::from(minijinja::value::Serde(a)), a.client_initial()))
            .collect();
        let notice = self.notice.clone();
        let error_field = self
            .password_error
            .is_some()
            .then(|| self.password_error_field.clone());
        minijinja::context! {
            user_initial => self.user_initial(),
            sessions => sessions,
            apps => apps,
            notice_for => Value::from_function(move |section: &str| {
                notice
                    .as_ref()
                    .filter(|n| n.section == section)
                    .map(|n| n.message.clone())
            }),
            invalid => Value::from_function(move |field: &str| error_field.as_deref() == Some(field)),
        }
    }
}

/// A page that could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("built-in template: {0}")]
    BuiltIn(#[from] askama::Error),
    #[error("template override: {0}")]
    Override(#[from] minijinja::Error),
}

/// The context of `page`'s override: its fields, its extras, and `lang` and `brand`.
fn context_of<T: Page>(page: &T, brand: &crate::http::branding::Brand) -> Value {
    minijinja::value::merge_maps([
        Value::from(minijinja::value::Serde(page)),
        page.extras(),
        minijinja::context! {
            lang => crate::i18n::current().tag(),
            brand => brand.to_value(),
        },
    ])
}

/// OpenID Connect Core 1.0 §3.1.2.4: one scope line on the consent page.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeItem {
    /// The scope token, e.g. `profile`.
    pub name: String,
    /// What the scope grants, in words a user understands.
    pub description: String,
    /// The API (resource server) that defines the scope, by name (RFC 8707; docs/guides/apis.md).
    pub api: Option<String>,
}

/// OpenID Connect Core 1.0 §3.1.2.3: the login form (`POST /login`), naming the client the user signs in to.
#[derive(Template, Serialize)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// `None`: signing in to the account page ("Sign in to Portcullis").
    pub client_name: Option<String>,
    /// Hidden input `request_id` (may be empty).
    pub request_id: String,
    /// Hidden input `csrf_token`.
    pub csrf_token: String,
    /// Prefilled value of input `username` (login_hint or last attempt).
    pub username: String,
    /// Shown above the form with role="alert".
    pub error: Option<String>,
    /// The password form is shown (false: the client signs in through upstreams only).
    pub password_login: bool,
    /// The password field is `required` (false when an email alone may go to an upstream).
    pub password_required: bool,
    /// One button per upstream OpenID provider the client offers (docs/guides/federation.md).
    pub upstreams: Vec<UpstreamButton>,
    /// "Forgot password?" is offered (mail is configured; docs/guides/email.md).
    pub forgot_password: bool,
    /// "Create an account" (`/signup?request_id=...`), when the client offers sign-up.
    pub signup_href: Option<String>,
}

/// A sign-in button for an upstream OpenID provider.
#[derive(Debug, Clone, Serialize)]
pub struct UpstreamButton {
    pub name: String,
    /// `/upstream/{id}/start?pending=...`
    pub href: String,
    /// Discovery succeeded; otherwise the button says "unavailable" (docs/security.md I.2).
    pub available: bool,
}

/// OpenID Connect Core 1.0 §3.1.2.4: the consent form (`POST /consent`, `decision=allow|deny`).
#[derive(Template, Serialize)]
#[template(path = "consent.html")]
pub struct ConsentPage {
    /// The client's display name.
    pub client_name: String,
    /// A client known only by its metadata document: the host of its URL, shown prominently,
    /// since its name is self-asserted (docs/security.md K.3). Its consent is not remembered.
    pub client_host: Option<String>,
    /// The signed-in user.
    pub username: String,
    /// The scopes the client asks for.
    pub scopes: Vec<ScopeItem>,
    /// Hidden input `request_id`.
    pub request_id: String,
    /// Hidden input `csrf_token`.
    pub csrf_token: String,
    /// `csrf_token` of "Not you? Use another account" (`POST /consent/switch`).
    pub switch_csrf: String,
    /// RFC 7591 §2 `client_uri`, linked, with its host shown.
    pub home: Option<String>,
    pub home_host: Option<String>,
    /// RFC 7591 §2 `logo_uri`, only an https URL the page's CSP names (docs/security.md O.4).
    pub logo: Option<String>,
    /// RFC 7591 §2 `policy_uri` and `tos_uri`, linked.
    pub policy: Option<String>,
    pub terms: Option<String>,
}

impl ConsentPage {
    /// OpenID Core §11: the request asks for access that outlives the login session.
    pub fn asks_offline_access(&self) -> bool {
        self.scopes
            .iter()
            .any(|s| s.name == crate::oauth::scope::OFFLINE_ACCESS)
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

/// RFC 6749 §4.1.2.1: the error page shown when the server must not redirect (unknown client, bad
/// redirect_uri); it never links to a client.
#[derive(Template, Serialize)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// The heading.
    pub title: String,
    /// One or two sentences for the user.
    pub message: String,
    /// The OAuth error code, in the folded technical details.
    pub code: Option<String>,
    /// The developer's description (e.g. "unknown client_id"), in the folded technical details.
    pub detail: Option<String>,
    /// The request id (`X-Request-Id`, on the log lines of this request).
    pub reference: Option<String>,
    /// When it happened, UTC to the second.
    pub time: String,
}

/// OpenID Connect RP-Initiated Logout 1.0 §2: the confirmation form (`POST /logout/confirm`,
/// `decision=logout|cancel`).
#[derive(Template, Serialize)]
#[template(path = "logout.html")]
pub struct LogoutConfirmPage {
    /// The client the user came from, when known.
    pub client_name: Option<String>,
    /// Hidden input `logout_id`.
    pub logout_id: String,
    /// Hidden input `csrf_token`.
    pub csrf_token: String,
}

/// OpenID Connect RP-Initiated Logout 1.0 §3: shown after logout when there is no valid
/// `post_logout_redirect_uri`.
#[derive(Template, Serialize)]
#[template(path = "logged_out.html")]
pub struct LoggedOutPage {
    /// The client the user came from, when known.
    pub client_name: Option<String>,
}

/// docs/security.md O.3: the answer "Stay signed in" on the logout confirmation, with the way back.
#[derive(Template, Serialize)]
#[template(path = "logout_stayed.html")]
pub struct LogoutStayedPage {
    /// The client the user came from, when known.
    pub client_name: Option<String>,
    /// The client's address (see `interaction::logout_outcome::way_back`); `/account` without it.
    pub back: Option<String>,
}

/// OAuth 2.0 Form Post Response Mode §2: an auto-submitting form that POSTs the authorization response
/// to the client (`static/js/form_post.js`; a `<noscript>` button without JavaScript).
#[derive(Template, Serialize)]
#[template(path = "form_post.html")]
pub struct FormPostPage {
    /// The registered redirect URI (the form's action).
    pub redirect_uri: String,
    /// The response parameters, in order (`code`, `state`, `iss`, or `error`...).
    pub params: Vec<(String, String)>,
}

/// RFC 6749 §4.1.2: development-only landing page of the demo client, listing the authorization response.
#[derive(Template, Serialize)]
#[template(path = "dev_callback.html")]
pub struct DevCallbackPage {
    /// The query parameters the redirect carried.
    pub params: Vec<(String, String)>,
    /// The curl command that redeems the code, when there is a code that is safe to paste into a
    /// shell.
    pub curl: Option<String>,
}

impl DevCallbackPage {
    /// True when the response is an error response (RFC 6749 §4.1.2.1).
    pub fn is_error(&self) -> bool {
        self.params.iter().any(|(name, _)| name == "error")
    }
}

/// docs/architecture.md, "Pages": renders any page, its override when `branding.dir` has one
/// (docs/configuration.md, "Page templates"), else the built-in template; the caller turns
/// errors into a 500. An override that fails is logged with the request id and marks the
/// request, so that its error page is the built-in one; a failing override of the error page
/// itself falls back to the built-in error page, so an error is always shown.
pub fn render<T: Page>(page: &T) -> Result<String, RenderError> {
    let is_error_page = T::NAME == ErrorPage::NAME;
    if !(is_error_page && overrides::failed()) {
        let brand = crate::http::branding::current();
        if let Some(result) = brand.overrides.render(T::NAME, context_of(page, &brand)) {
            match result {
                Ok(html) => return Ok(html),
                Err(e) => {
                    tracing::error!(
                        request_id = crate::http::observe::current().as_deref().unwrap_or("-"),
                        page = T::NAME,
                        error = %e,
                        "page template override failed; answering the built-in error page"
                    );
                    overrides::mark_failed();
                    if !is_error_page {
                        return Err(RenderError::Override(e));
                    }
                }
            }
        }
    }
    Ok(page.render()?)
}

/// one row of "Where you're signed in" on the account page: an active token family.
#[derive(Debug, Clone, Serialize)]
pub struct SessionRow {
    /// Hidden input `family_id` of its "Sign out this device" form.
    pub family_id: String,
    /// The client's display name.
    pub client_name: String,
    /// `device_name`, else a summary of the User-Agent ("Firefox on Linux").
    pub device: String,
    /// When the family began, e.g. "2026-11-23 14:05 UTC", and as RFC 3339 for `<time>`.
    pub signed_in: String,
    pub signed_in_iso: String,
    /// When it was last used, e.g. "3 minutes ago", and as RFC 3339 for `<time>`.
    pub last_used: String,
    pub last_used_iso: String,
    /// The IP address it was last used from.
    pub ip: Option<String>,
    /// Born in this browser's current login session.
    pub this_browser: bool,
    /// OpenID Core §11: offline access (independent of the browser session) rather than bound
    /// to the login session it was born in.
    pub offline: bool,
    /// Hidden input `csrf_token` of its form.
    pub csrf_token: String,
}

/// docs/security.md D.23: one row of "Apps you've given access to": a remembered consent.
#[derive(Debug, Clone, Serialize)]
pub struct AppRow {
    /// Hidden input `client_id` of its "Remove access" form.
    pub client_id: String,
    /// The client's display name.
    pub client_name: String,
    /// The granted scopes, described.
    pub scopes: Vec<ScopeItem>,
    /// When consent was given, e.g. "2026-11-23 14:05 UTC", and as RFC 3339 for `<time>`.
    pub granted: String,
    pub granted_iso: String,
    /// Hidden input `csrf_token` of its form.
    pub csrf_token: String,
}

/// a confirmation shown in one section of the account page (`role="status"`).
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// `sessions`, `apps` or `password`.
    pub section: &'static str,
    pub message: String,
}

/// docs/architecture.md, "Flows": the user's own sessions and devices, each revocable; the
/// apps they consented to; "sign out everywhere"; and the password form. One CSRF token per form.
#[derive(Template, Serialize)]
#[template(path = "account.html")]
pub struct AccountPage {
    /// The signed-in user.
    pub username: String,
    /// Their name (empty: none), shown and editable (`POST /account/profile`).
    pub name: String,
    /// Their email (empty: none), shown and editable.
    pub email: String,
    pub email_verified: bool,
    /// `csrf_token` of `POST /account/profile`.
    pub profile_csrf: String,
    /// Active token families, newest use first.
    pub sessions: Vec<SessionRow>,
    /// Remembered consents.
    pub apps: Vec<AppRow>,
    /// A confirmation after a change.
    pub notice: Option<Notice>,
    /// `csrf_token` of `POST /account/signout` (this browser only).
    pub signout_csrf: String,
    /// `csrf_token` of `POST /account/logout-everywhere`.
    pub everywhere_csrf: String,
    /// `csrf_token` of `POST /account/password`.
    pub password_csrf: String,
    /// Why the password was not changed (`role="alert"`).
    pub password_error: Option<String>,
    /// The input the error is about: `current_password` or `new_password`.
    pub password_error_field: String,
    /// `csrf_token` of `POST /account/email/verify`, when the address is not verified and mail
    /// is on (docs/guides/email.md).
    pub verify_email_csrf: Option<String>,
}

impl AccountPage {
    /// The first letter of the username, upper-cased, for the avatar.
    pub fn user_initial(&self) -> String {
        initial(&self.username)
    }

    /// The notice for `section`, if there is one.
    pub fn notice_for(&self, section: &str) -> Option<&str> {
        self.notice
            .as_ref()
            .filter(|n| n.section == section)
            .map(|n| n.message.as_str())
    }

    /// True when the password error is about input `field`.
    pub fn invalid(&self, field: &str) -> bool {
        self.password_error.is_some() && self.password_error_field == field
    }
}

impl SessionRow {
    /// The first letter of the client name, upper-cased, for the avatar.
    pub fn client_initial(&self) -> String {
        initial(&self.client_name)
    }
}

impl AppRow {
    /// The first letter of the client name, upper-cased, for the avatar.
    pub fn client_initial(&self) -> String {
        initial(&self.client_name)
    }
}

fn initial(name: &str) -> String {
    name.trim()
        .chars()
        .next()
        .map_or_else(|| "?".to_owned(), |c| c.to_uppercase().collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const EVIL: &str = "<script>alert(1)</script>";
    const FORM_POST_SCRIPT: &str = r#"<script src="/static/js/form_post.js"></script>"#;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn login(client: Option<&str>, username: &str, error: Option<&str>) -> LoginPage {
        LoginPage {
            client_name: client.map(str::to_owned),
            request_id: "req-123".to_owned(),
            csrf_token: "csrf-abc".to_owned(),
            username: username.to_owned(),
            error: error.map(str::to_owned),
            password_login: true,
            password_required: true,
            upstreams: vec![UpstreamButton {
                name: "Corp SSO".into(),
                href: "/upstream/corp/start?pending=req-123".into(),
                available: false,
            }],
            forgot_password: false,
            signup_href: None,
        }
    }

    fn consent(client: &str) -> ConsentPage {
        ConsentPage {
            client_name: client.to_owned(),
            client_host: None,
            username: "alice".to_owned(),
            scopes: vec![
                ScopeItem {
                    name: "openid".to_owned(),
                    description: "Confirm who you are".to_owned(),
                    api: None,
                },
                ScopeItem {
                    name: "profile".to_owned(),
                    description: "See your name and profile details".to_owned(),
                    api: None,
                },
                ScopeItem {
                    name: "email".to_owned(),
                    description: "See your email address".to_owned(),
                    api: None,
                },
                ScopeItem {
                    name: "offline_access".to_owned(),
                    description: "Stay connected when you are not using it".to_owned(),
                    api: None,
                },
            ],
            request_id: "req-123".to_owned(),
            csrf_token: "csrf-abc".to_owned(),
            switch_csrf: "csrf-switch".to_owned(),
            home: None,
            home_host: None,
            logo: None,
            policy: None,
            terms: None,
        }
    }

    fn error_page() -> ErrorPage {
        ErrorPage {
            title: "This request cannot be completed".to_owned(),
            message: "The application sent a redirect_uri that is not registered for it.".to_owned(),
            code: Some("invalid_request".to_owned()),
            detail: Some("redirect_uri is not registered".to_owned()),
            reference: Some("ref-42".to_owned()),
            time: "2026-11-27 10:00:00Z".to_owned(),
        }
    }

    fn form_post() -> FormPostPage {
        FormPostPage {
            redirect_uri: "https://app.example.com/cb".to_owned(),
            params: pairs(&[
                ("code", "c0de"),
                ("state", "s\"t&a<te"),
                ("iss", "https://id.example.com"),
            ]),
        }
    }

    fn dev_callback(error: bool) -> DevCallbackPage {
        let params = if error {
            pairs(&[
                ("error", "access_denied"),
                ("error_description", "The user denied the request"),
                ("state", "Zm9vYmFy"),
                ("iss", "http://127.0.0.1:8080"),
            ])
        } else {
            pairs(&[
                ("code", "kD3n0Qm9xR1vY7bT2sLwA8eP5hJ6cZ4uN0gF1iK9oVq"),
                ("state", "Zm9vYmFy"),
                ("iss", "http://127.0.0.1:8080"),
            ])
        };
        DevCallbackPage { params, curl: None }
    }

    /// True when some ` on<letters>=` (an inline event handler attribute) appears.
    fn has_event_handler(html: &str) -> bool {
        html.match_indices(" on").any(|(i, _)| {
            let rest = &html[i + 3..];
            let letters = rest.chars().take_while(char::is_ascii_lowercase).count();
            letters > 0 && rest[letters..].starts_with('=')
        })
    }

    /// Every page with sample data, by file name.
    fn all_pages() -> Vec<(&'static str, String)> {
        let mut pages = vec![
            (
                "login.html",
                render(&login(Some("Acme Dashboard"), "", None)).unwrap(),
            ),
            (
                "login_error.html",
                render(&login(
                    Some("Acme Dashboard"),
                    "alice",
                    Some("Incorrect username or password."),
                ))
                .unwrap(),
            ),
            ("login_account.html", render(&login(None, "", None)).unwrap()),
            ("consent.html", render(&consent("Acme Dashboard")).unwrap()),
            ("error.html", render(&error_page()).unwrap()),
            (
                "logout.html",
                render(&LogoutConfirmPage {
                    client_name: Some("Acme Dashboard".to_owned()),
                    logout_id: "lo-1".to_owned(),
                    csrf_token: "csrf-abc".to_owned(),
                })
                .unwrap(),
            ),
            (
                "logged_out.html",
                render(&LoggedOutPage {
                    client_name: Some("Acme Dashboard".to_owned()),
                })
                .unwrap(),
            ),
            (
                "logout_stayed.html",
                render(&LogoutStayedPage {
                    client_name: Some("Acme Dashboard".to_owned()),
                    back: Some("https://acme.example/".to_owned()),
                })
                .unwrap(),
            ),
            ("form_post.html", render(&form_post()).unwrap()),
            ("dev_callback.html", render(&dev_callback(false)).unwrap()),
            ("dev_callback_error.html", render(&dev_callback(true)).unwrap()),
        ];
        pages.extend(crate::http::device_pages::tests::samples());
        pages
    }

    #[test]
    fn login_page_names_the_client_and_carries_the_form() {
        let html = render(&login(Some("Acme Dashboard"), "bob", None)).unwrap();
        assert!(html.contains(r#"<html lang="en">"#));
        assert!(html.contains("Sign in to continue to"));
        assert!(html.contains("Acme Dashboard"));
        assert!(html.contains(r#"action="/login""#));
        assert!(html.contains(r#"name="request_id" value="req-123""#));
        assert!(html.contains(r#"name="csrf_token" value="csrf-abc""#));
        assert!(html.contains(r#"name="username" type="text" value="bob""#));
        assert!(html.contains(r#"autocomplete="username""#));
        assert!(html.contains(r#"autocomplete="current-password""#));
        assert!(html.contains(r#"<label for="username">"#));
        assert!(html.contains(r#"<label for="password">"#));
        assert!(html.contains(">Sign in</button>"));
        assert!(!html.contains(r#"role="alert""#));
        assert!(html.contains(r#"href="/static/css/portcullis.css""#));
    }

    #[test]
    fn login_page_announces_errors() {
        let html = render(&login(None, "", Some("Incorrect username or password."))).unwrap();
        assert!(html.contains("Sign in to Portcullis"));
        assert!(html.contains(r#"id="login-error" role="alert""#));
        assert!(html.contains("Incorrect username or password."));
        assert_eq!(html.matches(r#"aria-describedby="login-error""#).count(), 2);
        assert!(html.contains(r#"aria-invalid="true""#));
    }

    #[test]
    fn consent_page_lists_scopes_and_both_decisions() {
        let html = render(&consent("Acme Dashboard")).unwrap();
        assert!(html.contains("Acme Dashboard wants to access your account"));
        assert!(html.contains("<strong>alice</strong>"));
        assert!(html.contains("See your email address"));
        assert!(html.contains(">offline_access</code>"));
        assert!(html.contains(r#"action="/consent""#));
        assert!(html.contains(r#"name="decision" value="allow">Allow</button>"#));
        assert!(html.contains(r#"name="decision" value="deny">Deny</button>"#));
        assert!(html.contains(r#"href="/account""#));
        assert!(html.contains(r#"<span class="avatar">A</span>"#));
    }

    #[test]
    fn consent_page_highlights_offline_access_last() {
        let html = render(&consent("Acme Dashboard")).unwrap();
        assert!(html.contains(r#"<li class="scope scope-offline">"#));
        assert!(html.contains("Stays connected after you sign out."));
        let without = ConsentPage {
            scopes: consent("Acme")
                .scopes
                .into_iter()
                .filter(|s| s.name != "offline_access")
                .collect(),
            ..consent("Acme")
        };
        let html = render(&without).unwrap();
        assert!(!html.contains("scope-offline") && !html.contains("Stays connected"));
    }

    /// docs/security.md O.4: the app's home page (by host), logo, policy and terms when registered.
    #[test]
    fn consent_page_shows_the_apps_links_and_logo() {
        let html = render(&ConsentPage {
            home: Some("https://app.example/".to_owned()),
            home_host: Some("app.example".to_owned()),
            logo: Some("https://app.example/logo.png".to_owned()),
            policy: Some("https://app.example/privacy".to_owned()),
            terms: Some("https://app.example/terms".to_owned()),
            ..consent("Acme")
        })
        .unwrap();
        assert!(html.contains(r#"src="https://app.example/logo.png""#), "{html}");
        assert!(html.contains(r#"href="https://app.example/privacy""#), "{html}");
        assert!(html.contains(r#"href="https://app.example/terms""#), "{html}");
        assert!(html.contains("app.example</a>"), "{html}");
        assert!(html.contains(r#"action="/consent/switch""#), "{html}");
        let plain = render(&consent("Acme")).unwrap();
        assert!(
            !plain.contains("Privacy policy") && !plain.contains("client-logo"),
            "{plain}"
        );
    }

    /// docs/security.md A.3: the error page never links to the app (its redirect URI may be
    /// unverified); the only way out it offers is this server's account page.
    #[test]
    fn error_page_folds_the_detail_shows_a_reference_and_links_only_to_the_account_page() {
        let html = render(&error_page()).unwrap();
        assert!(html.contains("This request cannot be completed"));
        assert!(html.contains("<summary>Technical details</summary>"));
        assert!(html.contains("<code>invalid_request</code>"));
        assert!(html.contains("redirect_uri is not registered"));
        assert!(html.contains("<code>ref-42</code> at 2026-11-27 10:00:00Z"));
        let links: Vec<&str> = html.match_indices("<a ").map(|(i, _)| &html[i..]).collect();
        assert_eq!(links.len(), 1);
        assert!(links[0].starts_with(r#"<a href="/account">"#));
        let bare = render(&ErrorPage {
            code: None,
            detail: None,
            reference: None,
            ..error_page()
        })
        .unwrap();
        assert!(!bare.contains("Technical details"));
        assert!(!bare.contains("Reference"));
    }

    #[test]
    fn logout_pages() {
        let html = render(&LogoutConfirmPage {
            client_name: Some("Acme".to_owned()),
            logout_id: "lo-1".to_owned(),
            csrf_token: "csrf-abc".to_owned(),
        })
        .unwrap();
        assert!(html.contains("Sign out of Portcullis?"));
        assert!(html.contains("You came from <strong"));
        assert!(html.contains(r#"action="/logout/confirm""#));
        assert!(html.contains(r#"name="logout_id" value="lo-1""#));
        assert!(html.contains(r#"value="logout">Sign out</button>"#));
        assert!(html.contains(r#"value="cancel">Stay signed in</button>"#));
        let done = render(&LoggedOutPage { client_name: None }).unwrap();
        assert!(done.contains("You have signed out."));
        assert!(done.contains("close this window"));
    }

    #[test]
    fn form_post_page_posts_escaped_params() {
        let html = render(&form_post()).unwrap();
        assert!(html.contains(
            r#"<form id="form-post" class="form" method="post" action="https://app.example.com/cb">"#
        ));
        assert!(html.contains(r#"<input type="hidden" name="code" value="c0de">"#));
        assert!(
            html.contains(r#"name="state" value="s&#34;t&#38;a&#60;te""#),
            "{html}"
        );
        assert!(html.contains("<noscript>"));
        assert!(html.contains(">Continue</button>"));
        assert_eq!(html.matches("<script").count(), 1);
        assert!(html.contains(FORM_POST_SCRIPT));
    }

    #[test]
    fn dev_callback_lists_parameters() {
        let html = render(&dev_callback(false)).unwrap();
        assert!(html.contains("Authorization response received"));
        assert!(html.contains("<dt>code</dt>"));
        assert!(html.contains("<code>Zm9vYmFy</code>"));
        assert!(html.contains("portcullis serve --dev"));
        let err = render(&dev_callback(true)).unwrap();
        assert!(err.contains("<dt>error_description</dt>"));
        assert!(err.contains("returned an error"));
    }

    #[test]
    fn user_data_is_escaped_everywhere() {
        let escaped = "&#60;script&#62;";
        let pages = [
            render(&login(Some(EVIL), EVIL, Some(EVIL))).unwrap(),
            render(&ConsentPage {
                username: EVIL.to_owned(),
                ..consent(EVIL)
            })
            .unwrap(),
            render(&ErrorPage {
                title: EVIL.to_owned(),
                message: EVIL.to_owned(),
                code: Some(EVIL.to_owned()),
                detail: Some(EVIL.to_owned()),
                reference: Some(EVIL.to_owned()),
                time: EVIL.to_owned(),
            })
            .unwrap(),
            render(&LogoutConfirmPage {
                client_name: Some(EVIL.to_owned()),
                logout_id: EVIL.to_owned(),
                csrf_token: EVIL.to_owned(),
            })
            .unwrap(),
            render(&LoggedOutPage {
                client_name: Some(EVIL.to_owned()),
            })
            .unwrap(),
            render(&LogoutStayedPage {
                client_name: Some(EVIL.to_owned()),
                back: Some(EVIL.to_owned()),
            })
            .unwrap(),
            render(&DevCallbackPage {
                params: pairs(&[(EVIL, EVIL)]),
                curl: Some(EVIL.to_owned()),
            })
            .unwrap(),
        ];
        for html in &pages {
            // The login page loads the passkey and show-password scripts from /static
            // (docs/guides/mfa.md, docs/security.md O.5); nothing else.
            let html = &html
                .replace("<script src=\"/static/js/passkey.js\"></script>", "")
                .replace("<script src=\"/static/js/password.js\"></script>", "");
            assert!(!html.contains("<script"), "unescaped script in {html}");
            assert!(
                html.contains(escaped) || html.contains("&lt;script&gt;"),
                "{html}"
            );
        }
        let post = render(&FormPostPage {
            redirect_uri: "https://app.example.com/cb\"><script>".to_owned(),
            params: pairs(&[(EVIL, EVIL)]),
        })
        .unwrap();
        assert_eq!(post.matches("<script").count(), 1);
    }

    #[test]
    fn no_inline_script_or_style() {
        for (name, html) in all_pages() {
            assert!(!html.contains("style="), "{name} has a style attribute");
            assert!(!html.contains("<style"), "{name} has a style element");
            assert!(!html.contains("javascript:"), "{name} has a javascript: URL");
            assert!(!has_event_handler(&html), "{name} has an event handler attribute");
            let scripts = html.matches("<script").count();
            if name == "form_post.html" {
                assert_eq!(scripts, 1, "{name}");
                assert!(html.contains(FORM_POST_SCRIPT));
            } else {
                // docs/guides/mfa.md, docs/security.md O.5: the passkey button's and the
                // show-password scripts, from /static, are the ones allowed.
                let allowed = html
                    .matches("<script src=\"/static/js/passkey.js\"></script>")
                    .count()
                    + html
                        .matches("<script src=\"/static/js/password.js\"></script>")
                        .count();
                assert_eq!(scripts, allowed, "{name} has a script");
            }
        }
    }

    /// The brand of a `branding.dir` holding `templates` (`(file, text)`), kept in `dir`.
    fn brand_with(
        dir: &std::path::Path,
        templates: &[(&str, &str)],
    ) -> std::sync::Arc<crate::http::branding::Brand> {
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        for (name, text) in templates {
            std::fs::write(dir.join("templates").join(name), text).unwrap();
        }
        let settings = crate::config::BrandingSettings {
            dir: Some(dir.to_path_buf()),
            ..Default::default()
        };
        std::sync::Arc::new(crate::http::branding::Brand::load(&settings).unwrap())
    }

    fn example_brand() -> std::sync::Arc<crate::http::branding::Brand> {
        let settings = crate::config::BrandingSettings {
            dir: Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/branding")),
            ..Default::default()
        };
        std::sync::Arc::new(crate::http::branding::Brand::load(&settings).unwrap())
    }

    /// docs/configuration.md, "Page templates": the example set of examples/branding renders
    /// every page it overrides, from its own layout, escaped, with no inline script or style.
    #[test]
    fn example_overrides_render_every_page_they_override() {
        let brand = example_brand();
        let overridden: Vec<&str> = brand.overrides.pages().collect();
        assert!(overridden.len() >= 3, "{overridden:?}");
        let pages = crate::http::branding::sync_scope(brand.clone(), || {
            vec![
                ("login", render(&login(Some(EVIL), EVIL, Some(EVIL))).unwrap()),
                ("login", render(&login(None, "", None)).unwrap()),
                (
                    "consent",
                    render(&ConsentPage {
                        username: EVIL.to_owned(),
                        home: Some("https://app.example/".to_owned()),
                        home_host: Some("app.example".to_owned()),
                        ..consent(EVIL)
                    })
                    .unwrap(),
                ),
                ("error", render(&error_page()).unwrap()),
            ]
        });
        for page in &overridden {
            assert!(pages.iter().any(|(n, _)| n == page), "no sample renders {page}");
        }
        for (name, html) in &pages {
            assert!(
                html.contains(r#"<body class="example-branding">"#),
                "{name}: {html}"
            );
            assert!(html.contains(r#"<html lang="en">"#), "{name}");
            assert!(!html.contains("<script"), "{name}: {html}");
            assert!(!html.contains("style="), "{name}");
            assert!(!has_event_handler(html), "{name}");
        }
        let (_, login_html) = &pages[0];
        assert!(login_html.contains("&lt;script&gt;"), "{login_html}");
        assert!(login_html.contains(r#"name="csrf_token" value="csrf-abc""#));
        assert!(pages[2].1.contains("Stays connected") || pages[2].1.contains("offline-note"));
        assert!(
            pages[3].1.contains("<code>invalid_request</code>"),
            "{}",
            pages[3].1
        );
    }

    /// An override replaces only its page; the others stay built-in.
    #[test]
    fn only_overridden_pages_change() {
        let dir = crate::tempdir::tempdir().unwrap();
        let brand = brand_with(
            dir.path(),
            &[("login.html", "<p>{{ t(\"login-title\") }} {{ client_name }}</p>")],
        );
        let (login_html, error_html, german) = crate::http::branding::sync_scope(brand, || {
            (
                render(&login(Some("Acme"), "", None)).unwrap(),
                render(&error_page()).unwrap(),
                crate::i18n::sync_scope(crate::i18n::Lang::De, || {
                    render(&login(Some("Acme"), "", None)).unwrap()
                }),
            )
        });
        assert_eq!(login_html, "<p>Sign in Acme</p>");
        assert_eq!(german, "<p>Anmelden Acme</p>");
        assert!(
            error_html.contains("<summary>Technical details</summary>"),
            "built-in: {error_html}"
        );
    }

    /// The account page's methods are values and functions of its override's context.
    #[test]
    fn account_override_gets_the_methods_of_the_built_in_template() {
        let dir = crate::tempdir::tempdir().unwrap();
        let text = "{{ user_initial }}|{{ notice_for('apps') }}|{{ notice_for('sessions') }}|\
                    {{ invalid('new_password') }}|{{ invalid('current_password') }}|\
                    {% for s in sessions %}{{ s.client_initial }}{{ s.client_name }}{% endfor %}|\
                    {% for a in apps %}{{ a.client_initial }}{% for sc in a.scopes %}{{ sc.name }}{% endfor %}{% endfor %}|{{ brand.product_name }}";
        let brand = brand_with(dir.path(), &[("account.html", text)]);
        let page = AccountPage {
            username: "alice".into(),
            name: String::new(),
            email: String::new(),
            email_verified: false,
            profile_csrf: "c".into(),
            sessions: vec![SessionRow {
                family_id: "f".into(),
                client_name: "web".into(),
                device: "Firefox".into(),
                signed_in: "s".into(),
                signed_in_iso: "s".into(),
                last_used: "l".into(),
                last_used_iso: "l".into(),
                ip: None,
                this_browser: true,
                offline: false,
                csrf_token: "c".into(),
            }],
            apps: vec![AppRow {
                client_id: "m".into(),
                client_name: "mail".into(),
                scopes: consent("x").scopes.into_iter().take(1).collect(),
                granted: "g".into(),
                granted_iso: "g".into(),
                csrf_token: "c".into(),
            }],
            notice: Some(Notice {
                section: "apps",
                message: "Removed.".into(),
            }),
            signout_csrf: "c".into(),
            everywhere_csrf: "c".into(),
            password_csrf: "c".into(),
            password_error: Some("Too short.".into()),
            password_error_field: "new_password".into(),
            verify_email_csrf: None,
        };
        let html = crate::http::branding::sync_scope(brand, || render(&page).unwrap());
        assert_eq!(
            html, "A|Removed.|None|True|False|Wweb|Mopenid|Portcullis",
            "{html}"
        );
    }

    /// A failing override answers an error (the caller's 500) and the request's error page is
    /// then the built-in one, even when error.html is overridden; a failing error.html override
    /// falls back to the built-in error page.
    #[test]
    fn failing_override_falls_back_to_the_built_in_error_page() {
        let dir = crate::tempdir::tempdir().unwrap();
        let brand = brand_with(
            dir.path(),
            &[
                ("login.html", "{{ client_nmae }}"),
                ("error.html", "<p class=\"mine\">{{ title }}</p>"),
            ],
        );
        crate::http::branding::sync_scope(brand, || {
            assert_eq!(
                render(&error_page()).unwrap(),
                "<p class=\"mine\">This request cannot be completed</p>"
            );
            let err = render(&login(None, "", None)).unwrap_err();
            assert!(matches!(err, RenderError::Override(_)), "{err}");
            assert!(err.to_string().contains("login.html"), "{err}");
            let html = render(&error_page()).unwrap();
            assert!(
                html.contains("<summary>Technical details</summary>"),
                "built-in: {html}"
            );
        });
        let dir = crate::tempdir::tempdir().unwrap();
        let brand = brand_with(dir.path(), &[("error.html", "{{ titel }}")]);
        let html = crate::http::branding::sync_scope(brand, || render(&error_page()).unwrap());
        assert!(
            html.contains("<summary>Technical details</summary>"),
            "built-in: {html}"
        );
    }

    /// Every page struct has a distinct name, and together they name every built-in page.
    #[test]
    fn every_page_has_its_template_name() {
        use crate::http::{denied, device_pages as d, email_pages as e, mfa_pages as m};
        let mut names = vec![
            LoginPage::NAME,
            ConsentPage::NAME,
            ErrorPage::NAME,
            LogoutConfirmPage::NAME,
            LoggedOutPage::NAME,
            LogoutStayedPage::NAME,
            FormPostPage::NAME,
            DevCallbackPage::NAME,
            AccountPage::NAME,
            denied::DeniedPage::NAME,
            d::DevicePage::NAME,
            d::DeviceConfirmPage::NAME,
            d::DeviceDonePage::NAME,
            e::ForgotPage::NAME,
            e::ResetPage::NAME,
            e::SignupPage::NAME,
            m::ChallengePage::NAME,
            m::AccountMfaPage::NAME,
            m::TotpPage::NAME,
            m::RecoveryPage::NAME,
        ];
        names.sort_unstable();
        assert_eq!(names, overrides::PAGES);
    }

    /// Writes every page to `$PAGES_OUT` for screenshots:
    /// `PAGES_OUT=/tmp/pages/html cargo test --lib http::templates -- --ignored`.
    #[test]
    #[ignore = "writes files; run by hand to look at the pages"]
    fn write_pages_for_review() {
        let dir = std::env::var("PAGES_OUT").expect("set PAGES_OUT to a directory");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, html) in all_pages() {
            std::fs::write(std::path::Path::new(&dir).join(name), html).unwrap();
        }
    }
}
