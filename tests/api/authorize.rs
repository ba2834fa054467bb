//! docs/security.md A: redirect URIs and the authorization endpoint (RFC 6749 §3.1.2, §4.1.2.1,
//! RFC 8252 §7.3, RFC 9207, OAuth 2.0 Form Post Response Mode).

use crate::helpers::*;

/// A.1: every near miss of the registered `https://app.example.com/cb` is refused without a redirect.
#[tokio::test]
async fn redirect_uri_requires_exact_match() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    for bad in [
        "https://app.example.com/cb/../evil",
        "https://app.example.com/CB",
        "https://app.example.com/cb?x=1",
        "https://app.example.com/cb#f",
        "https://app.example.com.evil.com/cb",
        "https://app.example.com.evil.com",
        "https://app.example.com/cb/",
        "http://app.example.com/cb",
    ] {
        let mut request = app.code_request("st", "n", &challenge, "openid");
        set(&mut request, "redirect_uri", bad);
        let res = app.authorize(&request).await;
        let page = assert_error_page(res, "invalid_request").await;
        assert!(!page.contains("code="), "{bad}: no code on the error page");
    }
    // The registered URI itself is accepted (the login page, not the error page).
    let res = app
        .authorize(&app.code_request("st", "n", &challenge, "openid"))
        .await;
    assert_login_page(res).await;
}

/// A.1, RFC 8252 §7.3: the spa's `http://127.0.0.1:3000/callback` may come back on another port,
/// but never with another path.
#[tokio::test]
async fn loopback_redirect_uri_may_differ_in_port_only() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let other_port = "http://127.0.0.1:51234/callback";
    let res = app.authorize(&spa_request(other_port, &challenge)).await;
    let page = assert_login_page(res).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    let params = redirect_params(&res, other_port);
    assert!(
        param(&params, "code").is_some(),
        "code delivered to the other loopback port"
    );

    for bad in [
        "http://127.0.0.1:51234/other",
        "http://127.0.0.1:51234/callback/",
        "http://127.0.0.1:51234/Callback",
        "http://localhost:3000/callback",
        "http://127.0.0.1.evil.com:3000/callback",
    ] {
        let res = app.authorize(&spa_request(bad, &challenge)).await;
        assert_error_page(res, "invalid_request").await;
    }
}

/// A.3: an unknown client_id is the error page, never a redirect, even with a plausible redirect_uri.
#[tokio::test]
async fn unknown_client_id_is_never_redirected() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let mut request = app.code_request("st", "n", &challenge, "openid");
    set(&mut request, "client_id", "no-such-client");
    let res = app.authorize(&request).await;
    assert_error_page(res, "invalid_request").await;

    // No client_id at all: the same.
    request.retain(|(k, _)| *k != "client_id");
    let res = app.authorize(&request).await;
    assert_error_page(res, "invalid_request").await;
}

/// A.3: an OpenID request without redirect_uri is the error page, never a redirect.
#[tokio::test]
async fn missing_redirect_uri_is_never_redirected() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let mut request = app.code_request("st", "n", &challenge, "openid");
    request.retain(|(k, _)| *k != "redirect_uri");
    let res = app.authorize(&request).await;
    assert_error_page(res, "invalid_request").await;
}

/// A.3: an unregistered redirect_uri is the error page, never a redirect (not even with another
/// error in the request that would otherwise be redirected).
#[tokio::test]
async fn unregistered_redirect_uri_is_never_redirected() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let mut request = app.code_request("st", "n", &challenge, "openid");
    set(&mut request, "redirect_uri", "https://evil.example.com/cb");
    let res = app.authorize(&request).await;
    assert_error_page(res, "invalid_request").await;

    set(&mut request, "response_type", "token");
    let res = app.authorize(&request).await;
    assert_error_page(res, "invalid_request").await;
}

/// A.3: every other error goes back to the client with `error`, `error_description`, `state`, `iss`.
#[tokio::test]
async fn other_authorization_errors_redirect_with_error_state_and_iss() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();

    let mut bad_response_type = app.code_request("s-1", "n", &challenge, "openid");
    set(&mut bad_response_type, "response_type", "token");
    let res = app.authorize(&bad_response_type).await;
    assert_redirect_error(&app, &res, REDIRECT_URI, "unsupported_response_type", "s-1");

    let res = app
        .authorize(&app.code_request("s-2", "n", &challenge, "openid admin"))
        .await;
    assert_redirect_error(&app, &res, REDIRECT_URI, "invalid_scope", "s-2");

    // A public client without PKCE.
    let mut no_pkce = spa_request(SPA_REDIRECT, &challenge);
    no_pkce.retain(|(k, _)| !k.starts_with("code_challenge"));
    set(&mut no_pkce, "state", "s-3");
    let res = app.authorize(&no_pkce).await;
    assert_redirect_error(&app, &res, SPA_REDIRECT, "invalid_request", "s-3");

    // `plain` is refused unless configured (B.9), for confidential clients as well.
    let mut plain = app.code_request("s-4", "n", &challenge, "openid");
    set(&mut plain, "code_challenge_method", "plain");
    let res = app.authorize(&plain).await;
    assert_redirect_error(&app, &res, REDIRECT_URI, "invalid_request", "s-4");
    // A challenge without a method means plain (RFC 7636 §4.3): refused too.
    plain.retain(|(k, _)| *k != "code_challenge_method");
    set(&mut plain, "state", "s-5");
    let res = app.authorize(&plain).await;
    assert_redirect_error(&app, &res, REDIRECT_URI, "invalid_request", "s-5");
}

/// B.9: `security.allow_plain_pkce` lets confidential clients use `plain`, never a public client
/// (explicitly or by leaving the method out).
#[tokio::test]
async fn plain_pkce_is_never_allowed_for_public_clients() {
    let app = spawn_app_with(|s| s.security.allow_plain_pkce = true).await;
    let (verifier, _) = pkce_pair();
    let mut spa = spa_request(SPA_REDIRECT, &verifier);
    set(&mut spa, "code_challenge_method", "plain");
    set(&mut spa, "state", "s-plain");
    assert_redirect_error(
        &app,
        &app.authorize(&spa).await,
        SPA_REDIRECT,
        "invalid_request",
        "s-plain",
    );
    spa.retain(|(k, _)| *k != "code_challenge_method");
    assert_redirect_error(
        &app,
        &app.authorize(&spa).await,
        SPA_REDIRECT,
        "invalid_request",
        "s-plain",
    );

    let mut confidential = app.code_request("st", "n", &verifier, "openid");
    set(&mut confidential, "code_challenge_method", "plain");
    assert_login_page(app.authorize(&confidential).await).await;
}

/// A.4: redirects are 303 (on GET /authorize, after POST /authorize, after POST /login) and the
/// authorization endpoint answers cross-origin requests without any CORS header.
#[tokio::test]
async fn authorization_endpoint_uses_303_and_sends_no_cors_headers() {
    let app = spawn_app().await;
    let origin = "https://evil.example.com";
    let (_, challenge) = pkce_pair();
    let request = app.code_request("st", "n", &challenge, "openid");

    let res = app
        .browser
        .get(app.url("/authorize"))
        .query(&request)
        .header("Origin", origin)
        .send()
        .await
        .unwrap();
    assert_no_cors(&res);
    let page = assert_login_page(res).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 303, "redirect after POST /login");
    assert_no_cors(&res);

    // Signed in: GET and POST /authorize redirect with 303.
    let res = app
        .browser
        .get(app.url("/authorize"))
        .query(&request)
        .header("Origin", origin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_no_cors(&res);
    let res = app
        .browser
        .post(app.url("/authorize"))
        .form(&request)
        .header("Origin", origin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "redirect after POST /authorize");
    assert!(param(&location_params(&res), "code").is_some());
    assert_no_cors(&res);

    // An error redirect is a 303 too.
    let mut bad = request.clone();
    set(&mut bad, "scope", "openid admin");
    let res = app
        .browser
        .post(app.url("/authorize"))
        .form(&bad)
        .header("Origin", origin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_no_cors(&res);

    // A CORS preflight gets no permission either.
    let res = app
        .api
        .request(reqwest::Method::OPTIONS, app.url("/authorize"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_no_cors(&res);
}

/// A.5, RFC 9207: `iss` is in the success response, and discovery says so.
#[tokio::test]
async fn authorization_response_carries_iss_and_discovery_advertises_it() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let res = app
        .authorize(&app.code_request("st", "n", &challenge, "openid"))
        .await;
    let page = assert_login_page(res).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    let params = redirect_params(&res, REDIRECT_URI);
    assert!(param(&params, "code").is_some());
    assert_eq!(param(&params, "state").as_deref(), Some("st"));
    assert_eq!(param(&params, "iss").as_deref(), Some(app.address.as_str()));

    // Without a login page in between (already signed in), too.
    let res = app
        .authorize(&app.code_request("st2", "n", &challenge, "openid"))
        .await;
    let params = redirect_params(&res, REDIRECT_URI);
    assert!(param(&params, "code").is_some());
    assert_eq!(param(&params, "iss").as_deref(), Some(app.address.as_str()));

    let discovery: serde_json::Value = app
        .api
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["authorization_response_iss_parameter_supported"],
        serde_json::json!(true)
    );
    assert_eq!(discovery["issuer"], serde_json::json!(app.address));
}

/// A.6: the login page, the redirect carrying the code and the form-post page carrying it send
/// `Referrer-Policy: no-referrer` and `Cache-Control: no-store`.
#[tokio::test]
async fn pages_carrying_codes_send_no_referrer_and_no_store() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let res = app
        .authorize(&app.code_request("st", "n", &challenge, "openid"))
        .await;
    assert_no_referrer_no_store(&res, "login page");
    let page = assert_login_page(res).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_no_referrer_no_store(&res, "code redirect after login");

    let res = app
        .authorize(&app.code_request("st", "n", &challenge, "openid"))
        .await;
    assert_eq!(res.status(), 303);
    assert_no_referrer_no_store(&res, "code redirect");

    let mut form_post = app.code_request("st", "n", &challenge, "openid");
    form_post.push(("response_mode", "form_post"));
    let res = app.authorize(&form_post).await;
    assert_eq!(res.status(), 200);
    assert_no_referrer_no_store(&res, "form post page");

    let res = app
        .authorize(&app.code_request("st", "n", &challenge, "openid admin"))
        .await;
    assert_eq!(res.status(), 303);
    assert_no_referrer_no_store(&res, "error redirect");
}

/// Form Post Response Mode §2: the response is an auto-submitting form posting code, state and iss
/// to the registered redirect URI, and no redirect.
#[tokio::test]
async fn form_post_response_mode_renders_auto_submitting_form_with_code() {
    let app = spawn_app().await;
    let (verifier, challenge) = pkce_pair();
    let mut request = app.code_request("st<&>", "n", &challenge, "openid");
    request.push(("response_mode", "form_post"));
    let res = app.authorize(&request).await;
    let page = assert_login_page(res).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 200, "form post is a page, not a redirect");
    assert!(res.headers().get("location").is_none());
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"id="form-post""#), "the form the script submits");
    assert!(html.contains(r#"method="post""#));
    assert!(
        html.contains(r#"<script src="/static/js/form_post.js"></script>"#),
        "auto-submit"
    );
    let action_at = html.find("action=\"").unwrap() + 8;
    let action = &html[action_at..action_at + html[action_at..].find('"').unwrap()];
    assert_eq!(unescape(action), REDIRECT_URI);
    assert!(!html.contains("st<&>"), "state is escaped");
    assert_eq!(unescape(&hidden(&html, "state")), "st<&>");
    assert_eq!(unescape(&hidden(&html, "iss")), app.address);
    let code = hidden(&html, "code");
    let tokens = app.exchange(&code, &verifier).await;
    assert!(
        tokens["access_token"].is_string(),
        "the posted code is a real one"
    );
}

// ---------------------------------------------------------------------------------------------
// support: helpers shared by authorize.rs, codes.rs, sessions.rs, logout.rs and consent.rs.
// ---------------------------------------------------------------------------------------------

/// Replaces (or adds) parameter `name` of a request.
pub(crate) fn set<'a>(request: &mut Vec<(&'a str, &'a str)>, name: &'a str, value: &'a str) {
    request.retain(|(k, _)| *k != name);
    request.push((name, value));
}

/// The spa's authorization request with PKCE S256 for `redirect_uri`.
pub(crate) fn spa_request<'a>(redirect_uri: &'a str, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", PUBLIC_ID),
        ("redirect_uri", redirect_uri),
        ("scope", "openid"),
        ("state", "st"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

/// Undoes the HTML escaping askama applies to attribute values.
pub(crate) fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x2b;", "+")
        .replace("&#x3d;", "=")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// The error page: 400, HTML, no Location, showing `code`. Returns the body.
pub(crate) async fn assert_error_page(res: reqwest::Response, code: &str) -> String {
    let url = res.url().to_string();
    assert_eq!(res.status(), 400, "{url}: error page expected");
    assert!(
        res.headers().get("location").is_none(),
        "{url}: must not redirect"
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = res.text().await.unwrap();
    assert!(
        body.contains(&format!("<code>{code}</code>")),
        "{url}: error code {code} in page:\n{body}"
    );
    body
}

/// The login page (200 with the login form). Returns the body.
pub(crate) async fn assert_login_page(res: reqwest::Response) -> String {
    let url = res.url().to_string();
    assert_eq!(res.status(), 200, "{url}: login page expected");
    assert!(res.headers().get("location").is_none());
    let body = res.text().await.unwrap();
    assert!(
        body.contains(r#"action="/login""#),
        "{url}: login form expected:\n{body}"
    );
    body
}

/// A 303 to `base` (exactly, before the query); returns the query parameters.
pub(crate) fn redirect_params(res: &reqwest::Response, base: &str) -> Vec<(String, String)> {
    assert_eq!(res.status(), 303, "303 See Other to {base} expected");
    let loc = location(res);
    let (target, _) = loc.split_once('?').unwrap_or((&loc, ""));
    assert_eq!(target, base, "redirect target");
    location_params(res)
}

/// A.3: an error redirect to `base` with `error`, a description, `state` and `iss`, and no code.
pub(crate) fn assert_redirect_error(
    app: &TestApp,
    res: &reqwest::Response,
    base: &str,
    error: &str,
    state: &str,
) {
    let params = redirect_params(res, base);
    assert_eq!(param(&params, "error").as_deref(), Some(error), "{params:?}");
    assert!(
        param(&params, "error_description").is_some_and(|d| !d.is_empty()),
        "{params:?}"
    );
    assert_eq!(param(&params, "state").as_deref(), Some(state), "{params:?}");
    assert_eq!(
        param(&params, "iss").as_deref(),
        Some(app.address.as_str()),
        "{params:?}"
    );
    assert!(param(&params, "code").is_none(), "no code with an error");
}

fn assert_no_cors(res: &reqwest::Response) {
    for name in res.headers().keys() {
        assert!(
            !name.as_str().starts_with("access-control-"),
            "CORS header {name} on /authorize"
        );
    }
}

fn assert_no_referrer_no_store(res: &reqwest::Response, what: &str) {
    let h = res.headers();
    assert_eq!(
        h.get("referrer-policy").map(|v| v.to_str().unwrap()),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(
        h.get("cache-control").map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "{what}"
    );
}

/// The `Set-Cookie` header for cookie `name`, if the response sets it.
pub(crate) fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// The value part of a `Set-Cookie` header.
pub(crate) fn cookie_value(set_cookie: &str) -> String {
    let first = set_cookie.split(';').next().unwrap();
    first.split_once('=').unwrap().1.to_string()
}

pub(crate) const SESSION_COOKIE: &str = "portcullis_session";

/// Signs alice in through the web-app's flow; returns the code of that first authorization.
pub(crate) async fn sign_in(app: &TestApp) -> String {
    let (_, challenge) = pkce_pair();
    let res = app
        .authorize(&app.code_request("st", "n", &challenge, "openid"))
        .await;
    let page = assert_login_page(res).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert!(
        set_cookie(&res, SESSION_COOKIE).is_some(),
        "a session cookie after login"
    );
    param(&redirect_params(&res, REDIRECT_URI), "code").unwrap()
}

/// `prompt=none` for the web-app: true if the browser has a session (a code comes back), false on
/// `login_required`.
pub(crate) async fn has_session(app: &TestApp, browser: &reqwest::Client) -> bool {
    let (_, challenge) = pkce_pair();
    let mut request = app.code_request("probe", "n", &challenge, "openid");
    request.push(("prompt", "none"));
    let res = browser
        .get(app.url("/authorize"))
        .query(&request)
        .send()
        .await
        .unwrap();
    let params = redirect_params(&res, REDIRECT_URI);
    match param(&params, "error").as_deref() {
        None => {
            assert!(param(&params, "code").is_some(), "{params:?}");
            true
        }
        Some("login_required") => false,
        Some(other) => panic!("unexpected error {other}"),
    }
}

/// A token endpoint error: the status and the `error` value; asserts that no token came with it.
pub(crate) async fn token_error(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body.get("access_token").is_none() && body.get("refresh_token").is_none(),
        "{body}"
    );
    assert!(body.get("id_token").is_none(), "{body}");
    (status, body["error"].as_str().unwrap_or_default().to_string())
}
