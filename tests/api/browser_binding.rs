//! docs/security.md E.32: no trust in browser state a sibling subdomain can plant. `__Host-` cookies
//! on an https issuer, binding values only as the server issued them, and CSRF tokens, pending
//! requests and the consent page bound to the login session.
//!
//! The https issuer sits behind a TLS-terminating proxy here: the tests reach the server over plain
//! http, with a cookie jar that keeps `Secure` cookies as a browser on https would, and that lets
//! an attacker plant any cookie (a sibling subdomain on a browser without cookie prefixes, or an
//! attacker that got around them): the checks must hold without the prefix too.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use portcullis::random::random_id;
use portcullis::storage::NewUser;
use reqwest::header::HeaderValue;

use crate::authorize::{assert_login_page, cookie_value, set_cookie};
use crate::helpers::*;

const ISSUER: &str = "https://id.portcullis.test";
const BINDING: &str = "__Host-portcullis_browser";
const SESSION: &str = "__Host-portcullis_session";

/// E.32, D.21: on an https issuer the session and binding cookies are `__Host-` cookies (`Secure`,
/// `Path=/`, no `Domain`), `HttpOnly` and `SameSite=Lax`; the server reads them only under those
/// names, so a plain-named cookie planted by a sibling subdomain counts for nothing.
#[tokio::test]
async fn cookies_are_host_prefixed_on_an_https_issuer() {
    let app = spawn_https_app().await;
    let alice = Browser::new();
    let res = alice.authorize(&app, &partner_request()).await;
    let binding = set_cookie(&res, BINDING).expect("the binding cookie, __Host- named");
    assert!(set_cookie(&res, "portcullis_browser").is_none());
    let page = assert_login_page(res).await;
    let res = alice.login(&app, &page, USERNAME, PASSWORD).await;
    let session = set_cookie(&res, SESSION).expect("the session cookie, __Host- named");
    for cookie in [&binding, &session] {
        let attrs: Vec<String> = cookie
            .split(';')
            .skip(1)
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        for wanted in ["secure", "path=/", "httponly", "samesite=lax"] {
            assert!(attrs.iter().any(|a| a == wanted), "{wanted} in {cookie}");
        }
        assert!(
            !attrs.iter().any(|a| a.starts_with("domain")),
            "no Domain: {cookie}"
        );
    }
    assert!(alice.is_signed_in(&app).await);

    // The same session id under the plain name is not read.
    let plain = Browser::new();
    plain.plant("portcullis_session", &cookie_value(&session));
    assert!(!plain.is_signed_in(&app).await);
}

/// E.32: the cookie-injection sequence. The attacker prepares a consent form in its own browser,
/// signed in as itself, and plants its binding cookie in the victim's browser, where the victim is
/// signed in; the victim's browser then submits the attacker's form. It must fail, and the victim
/// must have consented to nothing. A binding value of the attacker's choosing is never accepted:
/// the server replaces it with a fresh one.
#[tokio::test]
async fn planted_binding_cookie_cannot_carry_a_consent_prepared_in_another_browser() {
    let app = spawn_https_app().await;
    create_user(&app, "mallory", "mallory's password").await;
    let attacker = Browser::new();
    let victim = Browser::new();

    // A value of the attacker's choosing is replaced, in both browsers.
    let chosen = format!("{}.{}", "A".repeat(43), "B".repeat(43));
    for browser in [&attacker, &victim] {
        browser.plant(BINDING, &chosen);
        let res = browser.authorize(&app, &partner_request()).await;
        let fresh = set_cookie(&res, BINDING).expect("a value the server did not issue is replaced");
        assert_ne!(cookie_value(&fresh), chosen);
        assert_eq!(
            browser.get(BINDING).as_deref(),
            Some(cookie_value(&fresh).as_str())
        );
    }

    // The attacker's consent form, prepared in its own browser and session.
    let page = assert_login_page(attacker.authorize(&app, &partner_request()).await).await;
    let res = attacker.login(&app, &page, "mallory", "mallory's password").await;
    assert_eq!(res.status(), 303, "to the consent page (docs/security.md O.1)");
    let consent = attacker.http.get(app.url(&location(&res))).send().await.unwrap();
    assert_eq!(consent.status(), 200, "the consent page");
    let consent = consent.text().await.unwrap();
    assert!(consent.contains(r#"action="/consent""#), "{consent}");

    // The victim signs in; then the attacker's binding cookie (one the server did issue, to the
    // attacker) is planted in the victim's browser.
    let page = assert_login_page(victim.authorize(&app, &code_request()).await).await;
    assert_eq!(victim.login(&app, &page, USERNAME, PASSWORD).await.status(), 303);
    victim.plant(BINDING, &attacker.get(BINDING).unwrap());

    let res = victim.consent(&app, &consent, "allow").await;
    assert_eq!(res.status(), 400, "refused, not a redirect with a code");
    assert!(res.headers().get("location").is_none());
    let stored = app
        .ctx()
        .store
        .consent(&app.user_id, THIRD_PARTY_ID)
        .await
        .unwrap();
    assert!(stored.is_none(), "the victim consented to nothing");
    assert!(
        victim.is_signed_in(&app).await,
        "and is still signed in as before"
    );
}

/// E.32: a form rendered in one login session does not work in another one of the same browser,
/// nor a login form rendered signed out once the browser is signed in (login CSRF against a
/// signed-in user); the browser keeps its session.
#[tokio::test]
async fn forms_rendered_in_another_login_session_are_refused() {
    let app = spawn_app().await;
    let browser = &app.browser;
    let signed_out_form = assert_login_page(browser.get(app.url("/account")).send().await.unwrap()).await;
    let res = app
        .submit_login(
            &assert_login_page(browser.get(app.url("/account")).send().await.unwrap()).await,
            USERNAME,
            PASSWORD,
        )
        .await;
    assert_eq!(res.status(), 303);
    let first_session = set_cookie(&res, "portcullis_session").unwrap();

    // A login form rendered before this session: "this form has expired", no new session.
    let res = app.submit_login(&signed_out_form, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 401);
    assert!(set_cookie(&res, "portcullis_session").is_none());

    // The account page's sign-out form of the first session, submitted in a second session.
    let account = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let signout_csrf = hidden(
        &account[account.find("action=\"/account/signout\"").unwrap()..],
        "csrf_token",
    );
    let (_, challenge) = pkce_pair();
    let mut request = app.code_request("st", "n", &challenge, "openid");
    request.push(("prompt", "login"));
    let page = assert_login_page(app.authorize(&request).await).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_ne!(set_cookie(&res, "portcullis_session").unwrap(), first_session);
    let res = browser
        .post(app.url("/account/signout"))
        .form(&[("csrf_token", signout_csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "the form has expired");
    assert!(
        set_cookie(&res, "portcullis_session").is_none(),
        "still signed in"
    );
    let account = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains("Signed in as"), "{account}");
}

// support

async fn spawn_https_app() -> TestApp {
    spawn_app_with(|s| s.issuer = ISSUER.into()).await
}

async fn create_user(app: &TestApp, username: &str, password: &str) {
    app.ctx()
        .store
        .create_user(NewUser {
            id: random_id(),
            username: username.into(),
            email: None,
            email_verified: false,
            name: None,
            password_hash: app.ctx().hasher.hash(password.into()).await.unwrap(),
            created_at: app.clock.now(),
        })
        .await
        .unwrap();
}

fn partner_request() -> Vec<(&'static str, String)> {
    request_for(THIRD_PARTY_ID)
}

fn code_request() -> Vec<(&'static str, String)> {
    request_for(CONFIDENTIAL_ID)
}

fn request_for(client_id: &str) -> Vec<(&'static str, String)> {
    let (_, challenge) = pkce_pair();
    vec![
        ("response_type", "code".into()),
        ("client_id", client_id.into()),
        ("redirect_uri", REDIRECT_URI.into()),
        ("scope", "openid".into()),
        ("state", "st".into()),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256".into()),
    ]
}

/// A cookie jar that keeps `name=value` whatever the attributes, as a browser talking https to the
/// issuer would (the test's transport is http), and lets a test plant any cookie.
#[derive(Default)]
struct Jar(Mutex<BTreeMap<String, String>>);

impl reqwest::cookie::CookieStore for Jar {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &HeaderValue>, _url: &url::Url) {
        let mut jar = self.0.lock().unwrap();
        for header in headers {
            let text = header.to_str().unwrap();
            let (name, value) = text.split(';').next().unwrap().split_once('=').unwrap();
            if value.is_empty() || text.to_ascii_lowercase().contains("max-age=0") {
                jar.remove(name);
            } else {
                jar.insert(name.to_string(), value.to_string());
            }
        }
    }

    fn cookies(&self, _url: &url::Url) -> Option<HeaderValue> {
        let jar = self.0.lock().unwrap();
        let line: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        (!line.is_empty()).then(|| HeaderValue::from_str(&line.join("; ")).unwrap())
    }
}

/// A browser with its own [`Jar`].
struct Browser {
    jar: Arc<Jar>,
    http: reqwest::Client,
}

impl Browser {
    fn new() -> Browser {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Browser { jar, http }
    }

    fn plant(&self, name: &str, value: &str) {
        self.jar.0.lock().unwrap().insert(name.into(), value.into());
    }

    fn get(&self, name: &str) -> Option<String> {
        self.jar.0.lock().unwrap().get(name).cloned()
    }

    async fn authorize(&self, app: &TestApp, request: &[(&str, String)]) -> reqwest::Response {
        self.http
            .get(app.url("/authorize"))
            .query(request)
            .send()
            .await
            .unwrap()
    }

    async fn login(&self, app: &TestApp, page: &str, username: &str, password: &str) -> reqwest::Response {
        let form = [
            ("request_id", hidden(page, "request_id")),
            ("csrf_token", hidden(page, "csrf_token")),
            ("username", username.to_string()),
            ("password", password.to_string()),
        ];
        self.http
            .post(app.url("/login"))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    async fn consent(&self, app: &TestApp, page: &str, decision: &str) -> reqwest::Response {
        let form = [
            ("request_id", hidden(page, "request_id")),
            ("csrf_token", hidden(page, "csrf_token")),
            ("decision", decision.to_string()),
        ];
        self.http
            .post(app.url("/consent"))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// `prompt=none` for the web-app: a code means signed in.
    async fn is_signed_in(&self, app: &TestApp) -> bool {
        let mut request = code_request();
        request.push(("prompt", "none".into()));
        let res = self.authorize(app, &request).await;
        res.status() == 303 && param(&location_params(&res), "code").is_some()
    }
}
