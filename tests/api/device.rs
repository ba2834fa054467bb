//! RFC 8628 device authorization (docs/guides/device.md, docs/security.md L), over raw HTTP: the
//! device's requests, the user's pages at `/device`, and polling with the test clock.

use std::time::Duration;

use portcullis::storage::{Client, GrantType};
use serde_json::Value;

use crate::helpers::*;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// A public client allowed only the device and refresh grants, with no redirect URI.
const TV_ID: &str = "living-room-tv";
const TV_NAME: &str = "Living Room TV";

/// Registers the public TV client (third-party).
async fn with_tv(app: &TestApp) {
    let web = app
        .ctx()
        .store
        .client_by_id(CONFIDENTIAL_ID)
        .await
        .unwrap()
        .unwrap();
    let tv = Client {
        client_id: TV_ID.into(),
        name: TV_NAME.into(),
        secret_hash: None,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        grant_types: vec![GrantType::DeviceCode, GrantType::RefreshToken],
        first_party: false,
        ..web
    };
    app.ctx().store.create_client(tv).await.unwrap();
}

async fn tv_app() -> TestApp {
    let app = spawn_app().await;
    with_tv(&app).await;
    app
}

/// POST /device_authorization as the public TV client.
async fn authorize_device(app: &TestApp, scope: &str) -> reqwest::Response {
    app.api
        .post(app.url("/device_authorization"))
        .form(&[("client_id", TV_ID), ("scope", scope)])
        .send()
        .await
        .unwrap()
}

/// The device authorization response for the TV (asserts 200).
async fn started(app: &TestApp, scope: &str) -> Value {
    let res = authorize_device(app, scope).await;
    assert_eq!(res.status(), 200);
    assert_no_store(&res);
    res.json().await.unwrap()
}

/// POST /token as the TV with the device code.
async fn poll(app: &TestApp, device_code: &str) -> reqwest::Response {
    app.api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", TV_ID),
        ])
        .send()
        .await
        .unwrap()
}

fn code_of(started: &Value) -> (String, String) {
    (
        started["device_code"].as_str().unwrap().to_string(),
        started["user_code"].as_str().unwrap().to_string(),
    )
}

/// Signs the browser in through `/device`: the login page, then back to `path`; returns the page
/// the browser lands on.
pub(crate) async fn sign_in_at(app: &TestApp, path: &str) -> String {
    let res = app.browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let login = res.text().await.unwrap();
    assert!(login.contains(r#"action="/login""#), "the login page first");
    let res = app.submit_login(&login, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 303);
    let back = location(&res);
    assert!(back.starts_with("/device"), "back to /device, not {back}");
    let res = app.browser.get(app.url(&back)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// Submits the code form of `page` with `typed`.
pub(crate) async fn enter(app: &TestApp, page: &str, typed: &str) -> reqwest::Response {
    let form = [
        ("csrf_token", hidden(page, "csrf_token")),
        ("user_code", typed.to_string()),
    ];
    app.browser
        .post(app.url("/device"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// A fresh code form for the signed-in browser.
pub(crate) async fn code_form(app: &TestApp) -> String {
    let res = app.browser.get(app.url("/device")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// Enters `typed` and follows to the confirmation page; returns its HTML.
pub(crate) async fn confirmation(app: &TestApp, typed: &str) -> String {
    let page = code_form(app).await;
    let res = enter(app, &page, typed).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let next = location(&res);
    assert!(next.starts_with("/device/confirm?confirm_id="), "{next}");
    let res = app.browser.get(app.url(&next)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// Answers a confirmation page; returns the response (303 to the result).
pub(crate) async fn answer(app: &TestApp, page: &str, decision: &str) -> reqwest::Response {
    let form = [
        ("confirm_id", hidden(page, "confirm_id")),
        ("csrf_token", hidden(page, "csrf_token")),
        ("decision", decision.to_string()),
    ];
    app.browser
        .post(app.url("/device/confirm"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Signs in (first time) and answers the request of `user_code` with `decision`.
async fn decide(app: &TestApp, user_code: &str, decision: &str) {
    let page = confirmation(app, user_code).await;
    let res = answer(app, &page, decision).await;
    assert_eq!(res.status(), 303);
    let result = if decision == "allow" { "approved" } else { "denied" };
    assert_eq!(location(&res), format!("/device/done?result={result}"));
}

/// L.1: RFC 8628 §3.2: the response carries both codes, the verification URIs under the issuer,
/// the lifetime and the interval; the user code looks like `BCDF-GHJK`.
#[tokio::test]
async fn device_authorization_response_has_codes_uris_lifetime_and_interval() {
    let app = tv_app().await;
    let body = started(&app, "openid profile").await;
    let (device_code, user_code) = code_of(&body);
    assert!(device_code.len() >= 43, "256-bit device code");
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert!(
        user_code
            .chars()
            .filter(|c| *c != '-')
            .all(|c| "BCDFGHJKLMNPQRSTVWXZ".contains(c)),
        "{user_code}"
    );
    assert_eq!(body["verification_uri"], app.url("/device"));
    assert_eq!(
        body["verification_uri_complete"],
        app.url(&format!("/device?user_code={user_code}"))
    );
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["interval"], 5);
}

/// L.1: RFC 8628 §3.1: only clients allowed the grant, and scope within the client's.
#[tokio::test]
async fn device_authorization_needs_the_grant_and_allowed_scopes() {
    let app = tv_app().await;
    let res = app
        .api
        .post(app.url("/device_authorization"))
        .form(&[("client_id", PUBLIC_ID), ("scope", "openid")])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "unauthorized_client").await;
    let res = authorize_device(&app, "openid admin").await;
    error_body(res, 400, "invalid_scope").await;
    let res = app
        .api
        .post(app.url("/device_authorization"))
        .form(&[("client_id", "nobody"), ("scope", "openid")])
        .send()
        .await
        .unwrap();
    error_body(res, 401, "invalid_client").await;
}

/// L.3: RFC 8628 §3.5: until the user answers, a poll is `authorization_pending`.
#[tokio::test]
async fn polling_before_the_user_answers_is_authorization_pending() {
    let app = tv_app().await;
    let (device_code, _) = code_of(&started(&app, "openid").await);
    error_body(poll(&app, &device_code).await, 400, "authorization_pending").await;
    app.clock.advance(Duration::from_secs(5));
    error_body(poll(&app, &device_code).await, 400, "authorization_pending").await;
}

/// L.3: RFC 8628 §3.5: a poll sooner than the interval is `slow_down`, and the interval grows by
/// 5 seconds each time.
#[tokio::test]
async fn polling_faster_than_the_interval_is_slow_down_and_the_interval_grows() {
    let app = tv_app().await;
    let (device_code, _) = code_of(&started(&app, "openid").await);
    error_body(poll(&app, &device_code).await, 400, "authorization_pending").await;
    error_body(poll(&app, &device_code).await, 400, "slow_down").await;
    // The interval is now 10 s: 6 s later is still too soon (and it grows to 15 s).
    app.clock.advance(Duration::from_secs(6));
    error_body(poll(&app, &device_code).await, 400, "slow_down").await;
    app.clock.advance(Duration::from_secs(11));
    error_body(poll(&app, &device_code).await, 400, "slow_down").await;
    app.clock.advance(Duration::from_secs(20));
    error_body(poll(&app, &device_code).await, 400, "authorization_pending").await;
}

/// L.3: RFC 8628 §3.5: once approved, the device gets the token response of the approving user:
/// an access token, an ID token (sub, sid, amr, auth_time of the login) and a refresh token.
#[tokio::test]
async fn approved_device_gets_tokens_of_the_approving_user() {
    let app = tv_app().await;
    let (device_code, user_code) = code_of(&started(&app, "openid profile offline_access").await);
    sign_in_at(&app, "/device").await;
    decide(&app, &user_code, "allow").await;
    let res = poll(&app, &device_code).await;
    assert_eq!(res.status(), 200);
    assert_no_store(&res);
    let tokens: Value = res.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "offline_access openid profile");
    assert!(tokens["refresh_token"].as_str().is_some());
    let access = jwt_part(tokens["access_token"].as_str().unwrap(), 1);
    assert_eq!(access["sub"], app.user_id.as_str());
    assert_eq!(access["client_id"], TV_ID);
    let id = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
    assert_eq!(id["sub"], app.user_id.as_str());
    assert_eq!(id["aud"], TV_ID);
    assert!(id["sid"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert!(id["auth_time"].as_i64().is_some());
    let info = get_userinfo(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info.status(), 200);
    // The refresh token works like any other.
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", TV_ID),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// L.3: RFC 8628 §3.5: a denied request is `access_denied`, and stays so.
#[tokio::test]
async fn denied_request_is_access_denied() {
    let app = tv_app().await;
    let (device_code, user_code) = code_of(&started(&app, "openid").await);
    sign_in_at(&app, "/device").await;
    decide(&app, &user_code, "deny").await;
    error_body(poll(&app, &device_code).await, 400, "access_denied").await;
    app.clock.advance(Duration::from_secs(5));
    error_body(poll(&app, &device_code).await, 400, "access_denied").await;
    let res = app
        .browser
        .get(app.url("/device/done?result=denied"))
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("Device not connected"));
}

/// L.3: RFC 8628 §3.5: after its lifetime the device code is `expired_token`, and its user code
/// is no longer accepted at `/device`.
#[tokio::test]
async fn expired_device_code_is_expired_token() {
    let app = tv_app().await;
    let (device_code, user_code) = code_of(&started(&app, "openid").await);
    sign_in_at(&app, "/device").await;
    app.clock.advance(Duration::from_secs(601));
    error_body(poll(&app, &device_code).await, 400, "expired_token").await;
    let page = code_form(&app).await;
    let res = enter(&app, &page, &user_code).await;
    assert_eq!(res.status(), 400, "the code has expired");
}

/// L.3: a device code is redeemed once, across concurrent polls: exactly one gets tokens, the
/// rest and every later poll `invalid_grant`.
#[tokio::test]
async fn device_code_is_single_use() {
    let app = tv_app().await;
    let (device_code, user_code) = code_of(&started(&app, "openid").await);
    sign_in_at(&app, "/device").await;
    decide(&app, &user_code, "allow").await;
    let polls = (0..6).map(|_| poll(&app, &device_code));
    let statuses: Vec<u16> = futures_util::future::join_all(polls)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    app.clock.advance(Duration::from_secs(10));
    error_body(poll(&app, &device_code).await, 400, "invalid_grant").await;
}

/// L.3: a device code is good only for the client it was issued to.
#[tokio::test]
async fn device_code_of_another_client_is_invalid_grant() {
    let app = tv_app().await;
    let (device_code, user_code) = code_of(&started(&app, "openid").await);
    sign_in_at(&app, "/device").await;
    decide(&app, &user_code, "allow").await;
    let res = app
        .token(&[("grant_type", DEVICE_GRANT), ("device_code", &device_code)])
        .await;
    error_body(res, 400, "invalid_grant").await;
    assert_eq!(poll(&app, &device_code).await.status(), 200, "still the TV's");
}

/// L.3: an unknown device code is `invalid_grant`; a client not allowed the grant is
/// `unauthorized_client`.
#[tokio::test]
async fn unknown_device_code_and_clients_without_the_grant_are_refused() {
    let app = tv_app().await;
    error_body(poll(&app, "not-a-device-code").await, 400, "invalid_grant").await;
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", DEVICE_GRANT),
            ("device_code", "x"),
            ("client_id", PUBLIC_ID),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "unauthorized_client").await;
}

/// L.4: a signed-out browser signs in first and comes back to `/device` with the code of
/// `verification_uri_complete` prefilled.
#[tokio::test]
async fn signed_out_user_signs_in_and_comes_back_with_the_code() {
    let app = tv_app().await;
    let (_, user_code) = code_of(&started(&app, "openid").await);
    let lower = user_code.to_lowercase();
    let page = sign_in_at(&app, &format!("/device?user_code={lower}")).await;
    assert!(page.contains(r#"action="/device""#));
    assert!(
        page.contains(&format!(r#"value="{user_code}""#)),
        "prefilled, normalized"
    );
}

/// L.2: the code is accepted in either case, with or without the dash, with spaces.
#[tokio::test]
async fn user_code_is_accepted_in_any_case_without_the_dash() {
    let app = tv_app().await;
    let (device_code, user_code) = code_of(&started(&app, "openid").await);
    sign_in_at(&app, "/device").await;
    let typed = format!(" {} ", user_code.replace('-', " ").to_lowercase());
    let page = confirmation(&app, &typed).await;
    let res = answer(&app, &page, "allow").await;
    assert_eq!(res.status(), 303);
    assert_eq!(poll(&app, &device_code).await.status(), 200);
}

/// L.4: the confirmation names the client, shows the code and always warns, even for a
/// first-party client.
#[tokio::test]
async fn confirmation_names_the_client_and_always_warns() {
    let app = tv_app().await;
    let res = app
        .api
        .post(app.url("/device_authorization"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(&[("scope", "openid")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, user_code) = code_of(&res.json().await.unwrap());
    sign_in_at(&app, "/device").await;
    let page = confirmation(&app, &user_code).await;
    assert!(page.contains("Web App on a device wants to access your account"));
    assert!(page.contains(&user_code));
    assert!(page.contains("Only continue if you started this on your own device"));
}

/// L.5: an unknown or malformed code shows the form again with an error, and nothing else.
#[tokio::test]
async fn unknown_or_malformed_user_code_shows_the_form_again() {
    let app = tv_app().await;
    sign_in_at(&app, "/device").await;
    for typed in ["BCDF-GHJK", "nonsense", ""] {
        let page = code_form(&app).await;
        let res = enter(&app, &page, typed).await;
        assert_eq!(res.status(), 400, "{typed:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains(r#"role="alert""#), "{typed:?}");
        assert!(html.contains("not valid or has expired"));
    }
}

/// L.5: RFC 8628 §5.1: after `device.user_code_failures` wrong codes the address and the user are
/// refused (429), even with a right code.
#[tokio::test]
async fn wrong_user_codes_are_limited() {
    let app = spawn_app_with(|s| s.device.user_code_failures = 3).await;
    with_tv(&app).await;
    let (_, user_code) = code_of(&started(&app, "openid").await);
    sign_in_at(&app, "/device").await;
    for _ in 0..3 {
        let page = code_form(&app).await;
        assert_eq!(enter(&app, &page, "BCDF-GHJK").await.status(), 400);
    }
    let page = code_form(&app).await;
    let res = enter(&app, &page, &user_code).await;
    assert_eq!(res.status(), 429);
    assert!(res.text().await.unwrap().contains("Too many wrong codes"));
}

/// L.6: every `/device` form needs its CSRF token, and a confirmation belongs to the browser that
/// entered the code.
#[tokio::test]
async fn device_forms_need_their_csrf_token_and_browser() {
    let app = tv_app().await;
    let (device_code, user_code) = code_of(&started(&app, "openid").await);
    sign_in_at(&app, "/device").await;
    let res = app
        .browser
        .post(app.url("/device"))
        .form(&[("user_code", user_code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("This form has expired"));

    let page = confirmation(&app, &user_code).await;
    let res = app
        .browser
        .post(app.url("/device/confirm"))
        .form(&[
            ("confirm_id", hidden(&page, "confirm_id")),
            ("csrf_token", "forged".to_string()),
            ("decision", "allow".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    error_body(poll(&app, &device_code).await, 400, "authorization_pending").await;

    // Another browser, signed in as the same user, cannot use this browser's confirmation.
    let other = http_client(true);
    let login = other
        .get(app.url("/device"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = [
        ("request_id", hidden(&login, "request_id")),
        ("csrf_token", hidden(&login, "csrf_token")),
        ("username", USERNAME.to_string()),
        ("password", PASSWORD.to_string()),
    ];
    let res = other.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(location(&res), "/device");
    let confirm = format!("/device/confirm?confirm_id={}", hidden(&page, "confirm_id"));
    let res = other.get(app.url(&confirm)).send().await.unwrap();
    assert_eq!(res.status(), 400);

    // The page's own form still works once.
    let res = answer(&app, &page, "allow").await;
    assert_eq!(res.status(), 303);
    let again = answer(&app, &page, "allow").await;
    assert_eq!(again.status(), 400, "a form works once");
}

/// L.1: discovery lists the endpoint and the grant only when `device.enabled`; when off the
/// endpoints are gone and the grant is unsupported.
#[tokio::test]
async fn device_authorization_is_advertised_and_served_only_when_enabled() {
    let app = tv_app().await;
    let doc: Value = app
        .api
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["device_authorization_endpoint"],
        app.url("/device_authorization")
    );

    let off = spawn_app_with(|s| s.device.enabled = false).await;
    with_tv(&off).await;
    let doc: Value = off
        .api
        .get(off.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc.get("device_authorization_endpoint").is_none());
    let grants = doc["grant_types_supported"].as_array().unwrap();
    assert!(!grants.contains(&Value::from(DEVICE_GRANT)));
    assert_eq!(authorize_device(&off, "openid").await.status(), 404);
    error_body(poll(&off, "x").await, 400, "unsupported_grant_type").await;
    let res = off.browser.get(off.url("/device")).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

/// L.5: a client that requires a second factor is not approved by a password-only login: the
/// answer is recorded as a denial and the device gets `access_denied`.
#[tokio::test]
async fn client_requiring_a_second_factor_is_not_approved_by_a_password_login() {
    let app = tv_app().await;
    let tv = app.ctx().store.client_by_id(TV_ID).await.unwrap().unwrap();
    let strict = Client {
        client_id: "strict-tv".into(),
        require_mfa: true,
        ..tv
    };
    app.ctx().store.create_client(strict).await.unwrap();
    let res = app
        .api
        .post(app.url("/device_authorization"))
        .form(&[("client_id", "strict-tv"), ("scope", "openid")])
        .send()
        .await
        .unwrap();
    let (device_code, user_code) = code_of(&res.json().await.unwrap());
    sign_in_at(&app, "/device").await;
    let page = confirmation(&app, &user_code).await;
    let res = answer(&app, &page, "allow").await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("two-step verification"));
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code.as_str()),
            ("client_id", "strict-tv"),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "access_denied").await;
}

/// L.4: a user with a second factor who signs in at `/device` (password, then the code) comes back
/// to `/device` with the code, and approves with a login that has both factors.
#[tokio::test]
async fn sign_in_with_a_second_factor_comes_back_to_device() {
    let app = tv_app().await;
    crate::mfa::sign_in_to_account(&app).await;
    let (secret, _, _) = crate::mfa::enrol_totp(&app, None).await;
    app.clock.advance(Duration::from_secs(30));
    let (device_code, user_code) = code_of(&started(&app, "openid").await);
    let browser = http_client(true);
    let path = format!("/device?user_code={user_code}");
    let login = browser
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = [
        ("request_id", hidden(&login, "request_id")),
        ("csrf_token", hidden(&login, "csrf_token")),
        ("username", USERNAME.to_string()),
        ("password", PASSWORD.to_string()),
    ];
    let res = browser.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let challenge = location(&res);
    assert!(challenge.starts_with("/login/mfa?challenge="), "{challenge}");
    let otp = crate::mfa::code(&app, &secret, 0);
    let res = crate::mfa::submit_code(&app, &browser, &challenge, &otp).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), path, "back to /device with the code");
    let page = browser
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = browser
        .post(app.url("/device"))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("user_code", user_code.clone()),
        ])
        .send()
        .await
        .unwrap();
    let page = browser
        .get(app.url(&location(&res)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = [
        ("confirm_id", hidden(&page, "confirm_id")),
        ("csrf_token", hidden(&page, "csrf_token")),
        ("decision", "allow".to_string()),
    ];
    let res = browser
        .post(app.url("/device/confirm"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let tokens: Value = poll(&app, &device_code).await.json().await.unwrap();
    let id = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp"]));
}

/// L.4: a form posted by a signed-out browser goes back to `/device` (and sign-in), never acts.
#[tokio::test]
async fn signed_out_post_goes_back_to_device() {
    let app = tv_app().await;
    let (device_code, user_code) = code_of(&started(&app, "openid").await);
    let res = app
        .browser
        .post(app.url("/device"))
        .form(&[("user_code", user_code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/device");
    error_body(poll(&app, &device_code).await, 400, "authorization_pending").await;
}
