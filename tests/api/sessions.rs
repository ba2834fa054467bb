//! docs/security.md D.20-D.21: the login form (CSRF, one message for every failure, lockout) and the
//! session cookie (flags, a new id at every login, prompt=login / max_age / prompt=none).

use crate::authorize::{
    SESSION_COOKIE, assert_login_page, assert_redirect_error, cookie_value, has_session, redirect_params,
    set_cookie, sign_in,
};
use crate::helpers::*;

const INVALID: &str = "Incorrect username or password.";
const STALE: &str = "This form has expired. Please sign in again.";

/// D.20: a login without the CSRF token creates no session and shows the login page again.
#[tokio::test]
async fn login_without_csrf_token_creates_no_session() {
    let app = spawn_app().await;
    let page = login_page(&app, &app.browser).await;
    let form = [
        ("request_id", hidden(&page, "request_id")),
        ("username", USERNAME.to_string()),
        ("password", PASSWORD.to_string()),
    ];
    let res = app
        .browser
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_refused_login(res, STALE).await;
    assert!(!has_session(&app, &app.browser).await);
}

/// D.20: a login with a wrong CSRF token creates no session and shows the login page again.
#[tokio::test]
async fn login_with_wrong_csrf_token_creates_no_session() {
    let app = spawn_app().await;
    let page = login_page(&app, &app.browser).await;
    let form = [
        ("request_id", hidden(&page, "request_id")),
        ("csrf_token", portcullis::random::secret_256()),
        ("username", USERNAME.to_string()),
        ("password", PASSWORD.to_string()),
    ];
    let res = app
        .browser
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_refused_login(res, STALE).await;
    assert!(!has_session(&app, &app.browser).await);

    // A token works once: replaying a spent one fails too.
    let page = login_page(&app, &app.browser).await;
    let res = app.submit_login(&page, USERNAME, "wrong password").await;
    assert_refused_login(res, INVALID).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_refused_login(res, STALE).await;
    assert!(!has_session(&app, &app.browser).await);
}

/// D.20: the CSRF token is bound to the browser that got it: a token from another cookie jar fails.
#[tokio::test]
async fn csrf_token_is_bound_to_the_browser() {
    let app = spawn_app().await;
    let victim = http_client(true);
    let victim_page = login_page(&app, &victim).await;
    let attacker_page = login_page(&app, &app.browser).await;
    let form = [
        ("request_id", hidden(&attacker_page, "request_id")),
        ("csrf_token", hidden(&victim_page, "csrf_token")),
        ("username", USERNAME.to_string()),
        ("password", PASSWORD.to_string()),
    ];
    let res = app
        .browser
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_refused_login(res, STALE).await;
    assert!(!has_session(&app, &app.browser).await);
}

/// D.20: a wrong password and an unknown user get the same status and message.
#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    let page = login_page(&app, &app.browser).await;
    let wrong_password = app.submit_login(&page, USERNAME, "not the password").await;
    let status_a = wrong_password.status();
    let message_a = assert_refused_login(wrong_password, INVALID).await;

    let page = login_page(&app, &app.browser).await;
    let unknown_user = app.submit_login(&page, "mallory", PASSWORD).await;
    let status_b = unknown_user.status();
    let message_b = assert_refused_login(unknown_user, INVALID).await;

    assert_eq!(status_a, status_b);
    assert_eq!(message_a, message_b);
    assert!(!has_session(&app, &app.browser).await);
}

/// D.20: after 5 failures the username is locked, even for the right password, with a message that
/// is the same whether the user exists or not.
#[tokio::test]
async fn login_is_locked_after_five_failures_without_revealing_whether_user_exists() {
    let app = spawn_app().await;
    let stranger = http_client(true);
    // Both lockouts in parallel (the growing delay makes each take ~2 s).
    let (alice, nobody) = tokio::join!(
        lock_out(&app, &app.browser, USERNAME),
        lock_out(&app, &stranger, "nobody")
    );
    assert_eq!(
        alice, nobody,
        "the locked answer does not reveal whether the user exists"
    );
    assert_ne!(alice.1, INVALID, "the lockout is reported");
    assert!(!has_session(&app, &app.browser).await);
}

/// D.21: the session cookie is `HttpOnly`, `SameSite=Lax`, `Path=/`, and not `Secure` on an http issuer.
#[tokio::test]
async fn session_cookie_is_httponly_samesite_lax_and_scoped_to_root() {
    let app = spawn_app().await;
    let page = login_page(&app, &app.browser).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 303);
    let cookie = set_cookie(&res, SESSION_COOKIE).expect("session cookie");
    let attrs: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attrs.contains(&"httponly".to_string()), "{cookie}");
    assert!(attrs.contains(&"samesite=lax".to_string()), "{cookie}");
    assert!(attrs.contains(&"path=/".to_string()), "{cookie}");
    assert!(
        !attrs.contains(&"secure".to_string()),
        "no Secure on an http issuer: {cookie}"
    );
    assert!(cookie_value(&cookie).len() >= 43, "a 256-bit id: {cookie}");
}

/// D.21: a new session id at every login; the old one stops working (session fixation).
#[tokio::test]
async fn session_id_changes_at_every_login() {
    let app = spawn_app().await;
    let page = login_page(&app, &app.browser).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    let first = cookie_value(&set_cookie(&res, SESSION_COOKIE).unwrap());

    let (_, challenge) = pkce_pair();
    let mut request = app.code_request("st", "n", &challenge, "openid");
    request.push(("prompt", "login"));
    let page = assert_login_page(app.authorize(&request).await).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 303);
    let second = cookie_value(&set_cookie(&res, SESSION_COOKIE).unwrap());
    assert_ne!(first, second, "a new session id at the second login");

    // The first id is dead; the second works.
    assert!(
        !has_session(&app, &with_session_cookie(&first)).await,
        "old session id still valid"
    );
    assert!(has_session(&app, &with_session_cookie(&second)).await);
}

/// D.21, OpenID Core §3.1.2.1: `prompt=login` shows the login page even to a signed-in browser.
#[tokio::test]
async fn prompt_login_forces_the_login_page() {
    let app = spawn_app().await;
    sign_in(&app).await;
    let (_, challenge) = pkce_pair();
    let mut request = app.code_request("st", "n", &challenge, "openid");
    let res = app.authorize(&request).await;
    assert!(
        param(&redirect_params(&res, REDIRECT_URI), "code").is_some(),
        "signed in: a code"
    );

    request.push(("prompt", "login"));
    let res = app.authorize(&request).await;
    let page = assert_login_page(res).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert!(param(&redirect_params(&res, REDIRECT_URI), "code").is_some());
}

/// D.21, OpenID Core §3.1.2.1: `max_age` older than the last login forces a new login.
#[tokio::test]
async fn max_age_exceeded_forces_the_login_page() {
    let app = spawn_app().await;
    sign_in(&app).await;
    app.clock.advance(std::time::Duration::from_secs(2));
    let (_, challenge) = pkce_pair();
    let mut request = app.code_request("st", "n", &challenge, "openid");
    request.push(("max_age", "3600"));
    let res = app.authorize(&request).await;
    assert!(
        param(&redirect_params(&res, REDIRECT_URI), "code").is_some(),
        "within max_age: a code"
    );

    request.retain(|(k, _)| *k != "max_age");
    request.push(("max_age", "0"));
    let res = app.authorize(&request).await;
    assert_login_page(res).await;
}

/// D.21, OpenID Core §3.1.2.1 (errata set 2): `max_age=0` is `prompt=login`: right after a login,
/// within the same second, it still shows the login page; that new login then gives the code.
#[tokio::test]
async fn max_age_zero_forces_a_new_login_even_right_after_one() {
    let app = spawn_app().await;
    sign_in(&app).await;
    // Each round's login is the one the next round's request comes right after.
    for _ in 0..3 {
        let (_, challenge) = pkce_pair();
        let mut request = app.code_request("st", "n", &challenge, "openid");
        request.push(("max_age", "0"));
        let page = assert_login_page(app.authorize(&request).await).await;
        let res = app.submit_login(&page, USERNAME, PASSWORD).await;
        assert!(param(&redirect_params(&res, REDIRECT_URI), "code").is_some());
    }
}

/// OpenID Core §3.1.2.6: `prompt=none` without a session is `login_required`, by redirect.
#[tokio::test]
async fn prompt_none_without_session_is_login_required() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let mut request = app.code_request("st-none", "n", &challenge, "openid");
    request.push(("prompt", "none"));
    let res = app.authorize(&request).await;
    assert_redirect_error(&app, &res, REDIRECT_URI, "login_required", "st-none");
    assert!(set_cookie(&res, SESSION_COOKIE).is_none());
}

/// OpenID Core §3.1.2.1: `prompt=none` with a session, for a first-party client, returns a code.
#[tokio::test]
async fn prompt_none_with_session_for_first_party_client_issues_code() {
    let app = spawn_app().await;
    sign_in(&app).await;
    let (verifier, challenge) = pkce_pair();
    let mut request = app.code_request("st", "n", &challenge, "openid");
    request.push(("prompt", "none"));
    let res = app.authorize(&request).await;
    let params = redirect_params(&res, REDIRECT_URI);
    assert_eq!(param(&params, "error"), None);
    assert_eq!(param(&params, "state").as_deref(), Some("st"));
    let tokens = app.exchange(&param(&params, "code").unwrap(), &verifier).await;
    assert!(tokens["id_token"].is_string());
}

// support

/// A fresh login page for the web-app in `browser`.
async fn login_page(app: &TestApp, browser: &reqwest::Client) -> String {
    let (_, challenge) = pkce_pair();
    let request = app.code_request("st", "n", &challenge, "openid");
    let res = browser
        .get(app.url("/authorize"))
        .query(&request)
        .send()
        .await
        .unwrap();
    assert_login_page(res).await
}

/// A refused login: 401, the login page again with `message`, no session cookie. Returns the message.
async fn assert_refused_login(res: reqwest::Response, message: &str) -> String {
    assert_eq!(res.status(), 401, "refused login");
    assert!(
        set_cookie(&res, SESSION_COOKIE).is_none(),
        "no session cookie on a refused login"
    );
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"action="/login""#), "the login page again");
    let shown = alert(&page);
    assert_eq!(shown, message);
    shown
}

/// The text of the page's `role="alert"` message.
fn alert(page: &str) -> String {
    let at = page.find(r#"role="alert""#).expect("an alert");
    let p = at + page[at..].find("<p>").unwrap() + 3;
    let end = p + page[p..].find("</p>").unwrap();
    crate::authorize::unescape(&page[p..end])
}

/// Fails 5 times for `username`, then tries the right password; returns (status, message) of that try.
async fn lock_out(app: &TestApp, browser: &reqwest::Client, username: &str) -> (u16, String) {
    let mut page = login_page(app, browser).await;
    for _ in 0..5 {
        let form = login_form(&page, username, "wrong password");
        let res = browser.post(app.url("/login")).form(&form).send().await.unwrap();
        let res = follow_refused(app, browser, res).await;
        assert_eq!(res.status(), 401);
        page = res.text().await.unwrap();
    }
    let form = login_form(&page, username, PASSWORD);
    let res = browser.post(app.url("/login")).form(&form).send().await.unwrap();
    assert!(
        set_cookie(&res, SESSION_COOKIE).is_none(),
        "locked: no session even with the right password"
    );
    // docs/security.md O.1: the refusal's 303 leads to the login page that shows it.
    let res = follow_refused(app, browser, res).await;
    let status = res.status().as_u16();
    let page = res.text().await.unwrap();
    (status, alert(&page))
}

fn login_form(page: &str, username: &str, password: &str) -> [(&'static str, String); 4] {
    [
        ("request_id", hidden(page, "request_id")),
        ("csrf_token", hidden(page, "csrf_token")),
        ("username", username.to_string()),
        ("password", password.to_string()),
    ]
}

/// A browser that carries only the given session cookie.
fn with_session_cookie(value: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", format!("{SESSION_COOKIE}={value}").parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

#[tokio::test]
async fn prompt_select_account_shows_the_login_page_to_pick_an_account() {
    let app = spawn_app().await;
    let _ = app.login_for_code("openid").await;
    let (_, challenge) = pkce_pair();
    let mut params = app.code_request("s", "n", &challenge, "openid");
    params.push(("prompt", "select_account"));
    let res = app.authorize(&params).await;
    assert_eq!(res.status(), 200, "the login page, not a code");
    let page = res.text().await.unwrap();
    assert!(page.contains("name=\"password\""));
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert!(param(&location_params(&res), "code").is_some());
}
