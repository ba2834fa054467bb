//! Second factors (docs/guides/mfa.md, docs/security.md G): TOTP enrolment and sign-in, refused
//! codes, recovery codes, the MFA policy (`require_mfa`, `acr_values`), enrolment first for users
//! without a factor, and passkeys with a software authenticator.

use portcullis::mfa::policy::{ACR_MFA, ACR_SINGLE};
use portcullis::mfa::totp;
use portcullis::storage::Client;
use serde_json::{Value, json};
use url::Url;

use crate::helpers::*;
use crate::soft_passkey::SoftPasskey;

const STRICT_ID: &str = "strict-app";

/// The text between `start` and the next `end` in `html`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let at = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in:\n{html}"))
        + start.len();
    let len = html[at..].find(end).expect("end");
    &html[at..at + len]
}

/// Signs the app's browser in with the password on the account page (no factor yet).
pub(crate) async fn sign_in_to_account(app: &TestApp) {
    let page = app
        .browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account");
}

/// The current TOTP code of `secret` at the server's clock, `steps` away.
pub(crate) fn code(app: &TestApp, secret: &[u8], steps: i64) -> String {
    totp::code_at(secret, totp::step_at(app.clock.now()) + steps)
}

/// Enrols TOTP for the signed-in browser; returns (secret, recovery codes, the page after).
pub(crate) async fn enrol_totp(app: &TestApp, request_id: Option<&str>) -> (Vec<u8>, Vec<String>, String) {
    let path = match request_id {
        Some(id) => format!("/account/mfa/totp?request_id={id}"),
        None => "/account/mfa/totp".to_string(),
    };
    let page = app
        .browser
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = totp::base32_decode(between(&page, "id=\"totp-secret\">", "<")).unwrap();
    assert_eq!(secret.len(), 20);
    let qr = app
        .browser
        .get(app.url("/account/mfa/totp/qr.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&qr, "content-type"), "image/svg+xml");
    assert!(qr.text().await.unwrap().contains("<svg"));
    let form = [
        ("csrf_token", hidden(&page, "csrf_token")),
        ("request_id", request_id.unwrap_or_default().to_string()),
        ("code", code(app, &secret, 0)),
    ];
    let res = app
        .browser
        .post(app.url("/account/mfa/totp"))
        .form(&form)
        .send()
        .await
        .unwrap();
    // Issue 10: the POST answers 303 to the page that shows the codes (never in the URL).
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), RECOVERY_CODES);
    let done = recovery_codes_page(app, &app.browser).await;
    let codes = recovery_codes(&done);
    (secret, codes, done)
}

const RECOVERY_CODES: &str = "/account/mfa/recovery-codes";

/// `GET /account/mfa/recovery-codes` in `browser`: the page.
async fn recovery_codes_page(app: &TestApp, browser: &reqwest::Client) -> String {
    let res = browser.get(app.url(RECOVERY_CODES)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "cache-control"), "no-store");
    res.text().await.unwrap()
}

/// The recovery codes on a page.
fn recovery_codes(page: &str) -> Vec<String> {
    page.split("<code>")
        .skip(1)
        .map(|s| s[..s.find("</code>").unwrap()].to_string())
        .collect()
}

/// Issue 10, docs/guides/mfa.md: the confirming POST answers 303; the GET shows the codes, again on
/// a reload for a few minutes, then says they were shown and how to make new ones.
#[tokio::test]
async fn post_redirect_get_recovery_codes_after_totp_enrolment() {
    let app = spawn_app().await;
    sign_in_to_account(&app).await;
    let (_, codes, page) = enrol_totp(&app, None).await;
    assert_eq!(codes.len(), 10, "{page}");
    assert!(page.contains(r#"href="/account/mfa""#), "{page}");

    app.clock.advance(std::time::Duration::from_secs(4 * 60));
    let reloaded = recovery_codes_page(&app, &app.browser).await;
    assert_eq!(recovery_codes(&reloaded), codes, "a reload shows the same codes");

    app.clock.advance(std::time::Duration::from_secs(60 + 1));
    let later = recovery_codes_page(&app, &app.browser).await;
    assert!(recovery_codes(&later).is_empty(), "{later}");
    assert!(later.contains("shown already"), "{later}");
    assert!(later.contains("set it up again"), "how to make new ones: {later}");
    for code in &codes {
        assert!(!later.contains(code.as_str()));
    }
}

/// Issue 10: the new codes are kept for the browser and login that made them: another signed-in
/// session of the same user sees only that they were shown, and a signed-out browser the login.
#[tokio::test]
async fn post_redirect_get_recovery_codes_are_not_shown_to_another_session() {
    let app = spawn_app().await;
    let other = http_client(true);
    let login = other
        .get(app.url("/account"))
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
    assert_eq!(location(&res), "/account", "the other browser is signed in");

    sign_in_to_account(&app).await;
    let (_, codes, _) = enrol_totp(&app, None).await;
    assert_eq!(codes.len(), 10);

    let seen = recovery_codes_page(&app, &other).await;
    assert!(recovery_codes(&seen).is_empty(), "{seen}");
    assert!(seen.contains("shown already"), "{seen}");
    for code in &codes {
        assert!(!seen.contains(code.as_str()));
    }
    let signed_out = http_client(true);
    let res = signed_out.get(app.url(RECOVERY_CODES)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account");
    // The enrolling browser still has them.
    let own = recovery_codes_page(&app, &app.browser).await;
    assert_eq!(recovery_codes(&own), codes);
}

/// Authorize for `client_id` with a fresh browser and the password: the response to the login POST.
async fn password_step(
    app: &TestApp,
    browser: &reqwest::Client,
    client_id: &str,
    extra: &[(&str, &str)],
) -> (reqwest::Response, String) {
    let (verifier, challenge) = pkce_pair();
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("state", "st"),
        ("nonce", "n1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    let res = browser
        .get(app.url("/authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    let res = if res.status() == 200 {
        let page = res.text().await.unwrap();
        let form = [
            ("request_id", hidden(&page, "request_id")),
            ("csrf_token", hidden(&page, "csrf_token")),
            ("username", USERNAME.to_string()),
            ("password", PASSWORD.to_string()),
        ];
        browser.post(app.url("/login")).form(&form).send().await.unwrap()
    } else {
        res
    };
    (res, verifier)
}

/// Posts `code` on the second-factor page behind `res` (a 303 to it); a refused code's 303 is
/// followed to the challenge page that shows it (docs/security.md O.1).
pub(crate) async fn submit_code(
    app: &TestApp,
    browser: &reqwest::Client,
    challenge_url: &str,
    code: &str,
) -> reqwest::Response {
    let page = browser.get(app.url(challenge_url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let form = [
        ("challenge", hidden(&page, "challenge")),
        ("csrf_token", hidden(&page, "csrf_token")),
        ("code", code.to_string()),
    ];
    let res = post_code(app, browser, &form).await;
    follow_refused(app, browser, res).await
}

/// Posts the second-factor form; the raw answer.
async fn post_code(app: &TestApp, browser: &reqwest::Client, form: &[(&str, String)]) -> reqwest::Response {
    browser
        .post(app.url("/login/mfa"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Follows same-server 303s until the client's redirect URI; returns its code.
async fn follow_to_code(app: &TestApp, browser: &reqwest::Client, mut res: reqwest::Response) -> String {
    for _ in 0..5 {
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap_or_default());
        let loc = location(&res);
        if loc.starts_with(REDIRECT_URI) {
            return param(&location_params(&res), "code").expect("code");
        }
        res = browser.get(app.url(&loc)).send().await.unwrap();
    }
    panic!("no code");
}

/// Exchanges a code of `client_id` (all test clients share the confidential secret); the ID token's claims.
async fn id_token_claims(app: &TestApp, client_id: &str, code: &str, verifier: &str) -> Value {
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(client_id, Some(&app.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    jwt_part(body["id_token"].as_str().unwrap(), 1)
}

async fn add_strict_client(app: &TestApp) {
    let web = app
        .ctx()
        .store
        .client_by_id(CONFIDENTIAL_ID)
        .await
        .unwrap()
        .unwrap();
    let strict = Client {
        client_id: STRICT_ID.into(),
        name: "Strict App".into(),
        require_mfa: true,
        ..web
    };
    app.ctx().store.create_client(strict).await.unwrap();
}

/// G.3, G.5: TOTP is on only after one valid code; then the password alone makes no session, the
/// code completes the login, and the ID token says `amr: ["pwd","otp"]` with the MFA `acr`.
#[tokio::test]
async fn totp_enrolment_then_login_with_a_valid_code_gives_amr_pwd_otp() {
    let app = spawn_app().await;
    sign_in_to_account(&app).await;
    let page = app
        .browser
        .get(app.url("/account/mfa/totp"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let wrong = [
        ("csrf_token", hidden(&page, "csrf_token")),
        ("request_id", String::new()),
        ("code", "000000".into()),
    ];
    let res = app
        .browser
        .post(app.url("/account/mfa/totp"))
        .form(&wrong)
        .send()
        .await
        .unwrap();
    let res = app.follow_refused(res).await;
    assert_eq!(res.status(), 422, "a wrong first code does not turn TOTP on");
    let again = res.text().await.unwrap();
    assert_eq!(
        between(&again, "id=\"totp-secret\">", "<"),
        between(&page, "id=\"totp-secret\">", "<"),
        "the same key is shown again"
    );
    assert!(app.ctx().store.totp(&app.user_id).await.unwrap().is_none());
    let (secret, codes, _) = enrol_totp(&app, None).await;
    assert_eq!(codes.len(), 10);
    assert!(app.ctx().store.totp(&app.user_id).await.unwrap().is_some());

    app.clock.advance(std::time::Duration::from_secs(30));
    let browser = http_client(true);
    let (res, verifier) = password_step(&app, &browser, CONFIDENTIAL_ID, &[]).await;
    assert_eq!(res.status(), 303);
    let challenge = location(&res);
    assert!(challenge.starts_with("/login/mfa?challenge="), "{challenge}");
    let account = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        account.contains("name=\"password\""),
        "the password alone is no session"
    );
    let res = submit_code(&app, &browser, &challenge, &code(&app, &secret, 0)).await;
    let code = follow_to_code(&app, &browser, res).await;
    let claims = id_token_claims(&app, CONFIDENTIAL_ID, &code, &verifier).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
    assert_eq!(claims["acr"], ACR_MFA);
}

/// G.5: a wrong code, a code two steps old and a code already used are refused (401).
#[tokio::test]
async fn wrong_expired_and_replayed_totp_codes_are_refused() {
    let app = spawn_app().await;
    sign_in_to_account(&app).await;
    let (secret, _, _) = enrol_totp(&app, None).await;
    app.clock.advance(std::time::Duration::from_secs(30));

    let browser = http_client(true);
    let (res, _) = password_step(&app, &browser, CONFIDENTIAL_ID, &[]).await;
    let challenge = location(&res);
    let wrong = submit_code(&app, &browser, &challenge, "123456").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("That code is not right"));
    let expired = code(&app, &secret, -2);
    assert_eq!(
        submit_code(&app, &browser, &challenge, &expired).await.status(),
        401,
        "expired"
    );
    let valid = code(&app, &secret, 0);
    let ok = submit_code(&app, &browser, &challenge, &valid).await;
    assert_eq!(ok.status(), 303);

    let again = http_client(true);
    let (res, _) = password_step(&app, &again, CONFIDENTIAL_ID, &[]).await;
    let replay = submit_code(&app, &again, &location(&res), &valid).await;
    assert_eq!(replay.status(), 401, "a used code is refused in its window");
}

/// G.5: a recovery code signs in once; the second use is refused.
#[tokio::test]
async fn recovery_code_signs_in_once() {
    let app = spawn_app().await;
    sign_in_to_account(&app).await;
    let (_, codes, _) = enrol_totp(&app, None).await;
    let browser = http_client(true);
    let (res, verifier) = password_step(&app, &browser, CONFIDENTIAL_ID, &[]).await;
    let ok = submit_code(&app, &browser, &location(&res), &codes[3].to_uppercase()).await;
    let code = follow_to_code(&app, &browser, ok).await;
    let claims = id_token_claims(&app, CONFIDENTIAL_ID, &code, &verifier).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
    assert_eq!(
        app.ctx().store.recovery_codes_left(&app.user_id).await.unwrap(),
        9
    );

    let again = http_client(true);
    let (res, _) = password_step(&app, &again, CONFIDENTIAL_ID, &[]).await;
    assert_eq!(
        submit_code(&app, &again, &location(&res), &codes[3])
            .await
            .status(),
        401
    );
}

/// G.1: a client with `require_mfa` sends a user without a factor to enrolment, then the request
/// continues with `amr: ["pwd","otp"]`; another client of the same session needs no factor.
#[tokio::test]
async fn require_mfa_applies_to_one_client_and_not_another() {
    let app = spawn_app().await;
    add_strict_client(&app).await;
    let browser = app.browser.clone();
    let (res, verifier) = password_step(&app, &browser, CONFIDENTIAL_ID, &[]).await;
    let code = follow_to_code(&app, &browser, res).await;
    let claims = id_token_claims(&app, CONFIDENTIAL_ID, &code, &verifier).await;
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["acr"], ACR_SINGLE);

    let (res, verifier) = password_step(&app, &browser, STRICT_ID, &[]).await;
    assert_eq!(res.status(), 303);
    let enrol = location(&res);
    assert!(enrol.starts_with("/account/mfa?request_id="), "{enrol}");
    let request_id = enrol.split('=').nth(1).unwrap().to_string();
    let page = browser
        .get(app.url(&enrol))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("requires a second step"));
    let (_, _, done) = enrol_totp(&app, Some(&request_id)).await;
    let next = between(&done, "btn-block\" href=\"", "\"")
        .replace("&#x3d;", "=")
        .replace("&#x2f;", "/");
    assert!(next.starts_with("/login/continue?request_id="), "{next}");
    let res = browser.get(app.url(&next)).send().await.unwrap();
    let code = follow_to_code(&app, &browser, res).await;
    let claims = id_token_claims(&app, STRICT_ID, &code, &verifier).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
    assert_eq!(claims["acr"], ACR_MFA);
}

/// G.1: `acr_values` naming the MFA policy forces a second factor (enrolment first for a user
/// without one); with `prompt=none` it is `interaction_required`; the policy is in discovery.
#[tokio::test]
async fn acr_values_force_a_second_factor() {
    let app = spawn_app().await;
    let browser = app.browser.clone();
    let (res, _) = password_step(&app, &browser, CONFIDENTIAL_ID, &[]).await;
    follow_to_code(&app, &browser, res).await;
    let (res, _) = password_step(&app, &browser, CONFIDENTIAL_ID, &[("acr_values", ACR_MFA)]).await;
    assert!(location(&res).starts_with("/account/mfa?request_id="));
    let (res, _) = password_step(
        &app,
        &browser,
        CONFIDENTIAL_ID,
        &[("acr_values", ACR_MFA), ("prompt", "none")],
    )
    .await;
    assert_eq!(
        param(&location_params(&res), "error").as_deref(),
        Some("interaction_required")
    );
    let doc: Value = app
        .api
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["acr_values_supported"], json!([ACR_SINGLE, ACR_MFA]));
}

/// G.6: the password grant never stands in for a second factor.
#[tokio::test]
async fn password_grant_is_refused_once_a_factor_is_enrolled() {
    let app = spawn_app().await;
    sign_in_to_account(&app).await;
    enrol_totp(&app, None).await;
    let res = app
        .token(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", PASSWORD),
            ("scope", "openid"),
        ])
        .await;
    error_body(res, 400, "invalid_grant").await;
}

// Passkeys --------------------------------------------------------------------------------------

async fn spawn_localhost() -> TestApp {
    spawn_app_with(|s| s.issuer = LOCALHOST_ISSUER.to_string()).await
}

fn origin(app: &TestApp) -> Url {
    Url::parse(&app.state.settings.issuer).unwrap()
}

async fn post_json(app: &TestApp, browser: &reqwest::Client, path: &str, body: Value) -> reqwest::Response {
    browser.post(app.url(path)).json(&body).send().await.unwrap()
}

/// Registers a passkey for the signed-in browser with `authenticator`.
async fn register_passkey(app: &TestApp, authenticator: &mut SoftPasskey) {
    let begun: Value = post_json(app, &app.browser, "/account/mfa/passkey/begin", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let credential = authenticator.register(&origin(app), &begun["options"]);
    let res = post_json(
        app,
        &app.browser,
        "/account/mfa/passkey/finish",
        json!({ "ceremony": begun["ceremony"], "credential": credential }),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// A server whose user is signed in on the account page in `app.browser` and has registered
/// `authenticator`'s passkey there.
async fn app_with_a_passkey(authenticator: &mut SoftPasskey) -> TestApp {
    let app = spawn_localhost().await;
    sign_in_to_account(&app).await;
    register_passkey(&app, authenticator).await;
    app
}

/// A code flow in a new browser signed in with the passkey alone: the ID token's claims.
async fn passkey_alone_sign_in(app: &TestApp, authenticator: &mut SoftPasskey) -> Value {
    let browser = http_client(true);
    let (verifier, challenge) = pkce_pair();
    let params = app.code_request("st", "n1", &challenge, "openid");
    let page = browser
        .get(app.url("/authorize"))
        .query(&params)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let request_id = hidden(&page, "request_id");
    let begun: Value = post_json(
        app,
        &browser,
        "/login/passkey/begin",
        json!({ "username": USERNAME }),
    )
    .await
    .json()
    .await
    .unwrap();
    let credential = authenticator.sign_in(&origin(app), &begun["options"]);
    let body = json!({ "ceremony": begun["ceremony"], "credential": credential, "request_id": request_id });
    let res = post_json(app, &browser, "/login/passkey/finish", body).await;
    assert_eq!(res.status(), 200);
    let next: Value = res.json().await.unwrap();
    let res = browser
        .get(app.url(next["next"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    let code = follow_to_code(app, &browser, res).await;
    id_token_claims(app, CONFIDENTIAL_ID, &code, &verifier).await
}

/// G.4: a passkey registered on the account page signs in alone (`amr` `hwk` for a credential
/// that is not backup-eligible, with the MFA `acr`), and is the second factor after a password.
#[tokio::test]
async fn passkey_registration_then_sign_in_with_a_passkey_alone() {
    let mut authenticator = SoftPasskey::new();
    let app = app_with_a_passkey(&mut authenticator).await;
    assert_eq!(app.ctx().store.passkeys(&app.user_id).await.unwrap().len(), 1);

    let claims = passkey_alone_sign_in(&app, &mut authenticator).await;
    assert_eq!(claims["amr"], json!(["hwk"]));
    assert_eq!(claims["acr"], ACR_MFA);

    // The passkey as the second factor after the password.
    let second = http_client(true);
    let (res, verifier) = password_step(&app, &second, CONFIDENTIAL_ID, &[]).await;
    let challenge_url = location(&res);
    let challenge = challenge_url.split('=').nth(1).unwrap();
    let begun: Value = post_json(
        &app,
        &second,
        "/login/mfa/passkey/begin",
        json!({ "challenge": challenge }),
    )
    .await
    .json()
    .await
    .unwrap();
    let credential = authenticator.sign_in(&origin(&app), &begun["options"]);
    let body = json!({ "challenge": challenge, "ceremony": begun["ceremony"], "credential": credential });
    let res = post_json(&app, &second, "/login/mfa/passkey/finish", body).await;
    assert_eq!(res.status(), 200);
    let next: Value = res.json().await.unwrap();
    let res = second
        .get(app.url(next["next"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    let code = follow_to_code(&app, &second, res).await;
    let claims = id_token_claims(&app, CONFIDENTIAL_ID, &code, &verifier).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk"]));
}

/// G.4: a synced passkey (backup-eligible) signs in alone with `amr` `swk`, not `hwk`.
#[tokio::test]
async fn synced_passkey_sign_in_is_swk() {
    let mut authenticator = SoftPasskey::synced();
    let app = app_with_a_passkey(&mut authenticator).await;

    let claims = passkey_alone_sign_in(&app, &mut authenticator).await;
    assert_eq!(claims["amr"], json!(["swk"]));
}

/// G.4: an assertion made for another origin is refused, and the ceremony cannot be retried.
#[tokio::test]
async fn passkey_from_a_wrong_origin_is_refused() {
    let mut authenticator = SoftPasskey::new();
    let app = app_with_a_passkey(&mut authenticator).await;

    let browser = http_client(true);
    let begun: Value = post_json(
        &app,
        &browser,
        "/login/passkey/begin",
        json!({ "username": USERNAME }),
    )
    .await
    .json()
    .await
    .unwrap();
    let evil = Url::parse("http://localhost:1").unwrap();
    let credential = authenticator.sign_in(&evil, &begun["options"]);
    let body = json!({ "ceremony": begun["ceremony"], "credential": credential });
    let res = post_json(&app, &browser, "/login/passkey/finish", body.clone()).await;
    assert_eq!(res.status(), 400);
    let again = post_json(&app, &browser, "/login/passkey/finish", body).await;
    assert_eq!(again.status(), 400, "a ceremony is single use");
    let account = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains("name=\"password\""), "not signed in");
}

/// G.4: the JSON endpoints take only `application/json` from the issuer's origin.
#[tokio::test]
async fn passkey_endpoints_refuse_forms_and_other_origins() {
    let app = spawn_localhost().await;
    let form = app
        .browser
        .post(app.url("/login/passkey/begin"))
        .form(&[("username", USERNAME)])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 400);
    let cross = app
        .browser
        .post(app.url("/login/passkey/begin"))
        .header("Origin", "https://evil.example")
        .json(&json!({ "username": USERNAME }))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 400);
}

/// G.5: wrong codes are rate-limited like passwords, per user: the attempt that uses up the budget
/// locks the second factor, and then even a valid code is refused until the lock ends.
#[tokio::test]
async fn totp_attempts_are_rate_limited_like_passwords() {
    let app = spawn_app_with(|s| s.rate_limit.failures_per_user = 3).await;
    sign_in_to_account(&app).await;
    let (secret, _, _) = enrol_totp(&app, None).await;
    app.clock.advance(std::time::Duration::from_secs(30));
    let browser = http_client(true);
    let (res, _) = password_step(&app, &browser, CONFIDENTIAL_ID, &[]).await;
    let challenge = location(&res);
    assert_eq!(
        submit_code(&app, &browser, &challenge, "000001").await.status(),
        401
    );
    let warned = submit_code(&app, &browser, &challenge, "000002").await;
    assert!(
        warned.text().await.unwrap().contains("One more"),
        "last-chance warning"
    );
    let locked = submit_code(&app, &browser, &challenge, "000003").await;
    assert!(locked.text().await.unwrap().contains("Too many sign-in attempts"));
    let valid = submit_code(&app, &browser, &challenge, &code(&app, &secret, 0)).await;
    assert_eq!(valid.status(), 401, "locked: even a valid code waits");
    let failures = app
        .ctx()
        .store
        .audit_events(&portcullis::storage::AuditFilter {
            kinds: vec![portcullis::storage::AuditKind::MfaFailure],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failures.len(), 4);
    assert_eq!(failures[0].ip.as_deref(), Some("127.0.0.1"));
}

/// G.1: a browser signed in with a password only, whose user has a factor, is asked for it
/// (step-up) by a client that requires one; the session keeps its `sid` and gains the factor.
#[tokio::test]
async fn signed_in_user_with_a_factor_steps_up_for_a_client_that_requires_one() {
    let app = spawn_localhost().await;
    add_strict_client(&app).await;
    sign_in_to_account(&app).await;
    let mut authenticator = SoftPasskey::new();
    register_passkey(&app, &mut authenticator).await;
    let (res, verifier) = password_step(&app, &app.browser, STRICT_ID, &[]).await;
    let challenge_url = location(&res);
    assert!(
        challenge_url.starts_with("/login/mfa?challenge="),
        "{challenge_url}"
    );
    let challenge = challenge_url.split('=').nth(1).unwrap();
    let begun: Value = post_json(
        &app,
        &app.browser,
        "/login/mfa/passkey/begin",
        json!({ "challenge": challenge }),
    )
    .await
    .json()
    .await
    .unwrap();
    let credential = authenticator.sign_in(&origin(&app), &begun["options"]);
    let body = json!({ "challenge": challenge, "ceremony": begun["ceremony"], "credential": credential });
    let res = post_json(&app, &app.browser, "/login/mfa/passkey/finish", body).await;
    assert_eq!(res.status(), 200);
    let next: Value = res.json().await.unwrap();
    let res = app
        .browser
        .get(app.url(next["next"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    let code = follow_to_code(&app, &app.browser, res).await;
    let claims = id_token_claims(&app, STRICT_ID, &code, &verifier).await;
    assert_eq!(claims["amr"], json!(["pwd", "hwk"]));
}

/// `portcullis user mfa` shows a user's factors; `user mfa-reset` removes them, audited.
#[tokio::test]
async fn cli_shows_and_resets_a_users_factors() {
    let app = spawn_app().await;
    sign_in_to_account(&app).await;
    enrol_totp(&app, None).await;
    let url = secrecy::ExposeSecret::expose_secret(&app.state.settings.database.url).to_string();
    let cli = crate::cli::Cli::with_database(url);
    let shown = cli.json(&["user", "mfa", USERNAME, "--json"], None);
    assert_eq!(shown["totp"], true);
    assert_eq!(shown["recovery_codes_left"], 10);
    cli.ok(&["user", "mfa-reset", USERNAME], None);
    let shown = cli.json(&["user", "mfa", USERNAME, "--json"], None);
    assert_eq!(shown["totp"], false);
    assert_eq!(shown["passkeys"], json!([]));
    let resets = app
        .ctx()
        .store
        .audit_events(&portcullis::storage::AuditFilter {
            kinds: vec![portcullis::storage::AuditKind::MfaReset],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(resets.len(), 1);
    assert_eq!(resets[0].user_id.as_deref(), Some(app.user_id.as_str()));
}

/// G.7: a factor can be removed on the account page only in a login that used a second factor;
/// the removal is audited.
#[tokio::test]
async fn removing_a_factor_needs_a_login_that_used_one() {
    let mut authenticator = SoftPasskey::new();
    let app = app_with_a_passkey(&mut authenticator).await;
    let page = app
        .browser
        .get(app.url("/account/mfa"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = [
        ("passkey_id", hidden(&page, "passkey_id")),
        ("csrf_token", hidden(&page, "csrf_token")),
    ];
    let res = app
        .browser
        .post(app.url("/account/mfa/passkey/remove"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "the password-only login may not remove it");
    assert_eq!(app.ctx().store.passkeys(&app.user_id).await.unwrap().len(), 1);

    // After TOTP enrolment this login has `otp`: now it may remove factors.
    let (_, _, _) = enrol_totp(&app, None).await;
    let page = app
        .browser
        .get(app.url("/account/mfa"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = [
        ("passkey_id", hidden(&page, "passkey_id")),
        ("csrf_token", hidden(&page, "csrf_token")),
    ];
    let res = app
        .browser
        .post(app.url("/account/mfa/passkey/remove"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(app.ctx().store.passkeys(&app.user_id).await.unwrap().is_empty());
    let page = app
        .browser
        .get(app.url("/account/mfa"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = [("csrf_token", hidden(&page, "csrf_token"))];
    let res = app
        .browser
        .post(app.url("/account/mfa/totp/remove"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(app.ctx().store.totp(&app.user_id).await.unwrap().is_none());
    let removed = app
        .ctx()
        .store
        .audit_events(&portcullis::storage::AuditFilter {
            kinds: vec![portcullis::storage::AuditKind::MfaRemoved],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(removed.len(), 2);
}

/// The MFA failures audited so far.
async fn mfa_failures(app: &TestApp) -> usize {
    let filter = portcullis::storage::AuditFilter {
        kinds: vec![portcullis::storage::AuditKind::MfaFailure],
        ..Default::default()
    };
    app.ctx().store.audit_events(&filter).await.unwrap().len()
}

/// docs/security.md O.1: a wrong code on the second-factor page answers 303 to the same challenge
/// page, which shows the error with 401 on every reload without sending the code again or counting
/// another attempt; its fresh form takes the right code. Another browser never sees it.
#[tokio::test]
async fn post_redirect_get_wrong_second_factor_code() {
    let app = spawn_app().await;
    sign_in_to_account(&app).await;
    let (secret, _, _) = enrol_totp(&app, None).await;
    app.clock.advance(std::time::Duration::from_secs(30));
    let browser = http_client(true);
    let (res, verifier) = password_step(&app, &browser, CONFIDENTIAL_ID, &[]).await;
    let challenge = location(&res);
    let page = browser.get(app.url(&challenge)).send().await.unwrap();
    let page = page.text().await.unwrap();
    let form = [
        ("challenge", hidden(&page, "challenge")),
        ("csrf_token", hidden(&page, "csrf_token")),
        ("code", "123456".to_string()),
    ];
    let res = post_code(&app, &browser, &form).await;
    assert_eq!(res.status(), 303, "See Other, not the page again");
    let next = location(&res);
    assert_eq!(next, format!("{challenge}&notice=code-refused"));
    assert_eq!(mfa_failures(&app).await, 1);
    let mut shown = String::new();
    for load in 0..3 {
        let res = browser.get(app.url(&next)).send().await.unwrap();
        assert_eq!(res.status(), 401, "load {load}");
        shown = res.text().await.unwrap();
        assert!(shown.contains("That code is not right"), "load {load}");
        assert!(!shown.contains("123456"), "never the code");
    }
    assert_eq!(mfa_failures(&app).await, 1, "a reload is no attempt");

    let other = http_client(true);
    let theirs = other.get(app.url(&next)).send().await.unwrap();
    assert_ne!(theirs.status(), 401);
    assert!(!theirs.text().await.unwrap().contains("That code is not right"));

    let form = [
        ("challenge", hidden(&shown, "challenge")),
        ("csrf_token", hidden(&shown, "csrf_token")),
        ("code", code(&app, &secret, 0)),
    ];
    let ok = post_code(&app, &browser, &form).await;
    let code = follow_to_code(&app, &browser, ok).await;
    let claims = id_token_claims(&app, CONFIDENTIAL_ID, &code, &verifier).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
}

/// docs/security.md O.1: a wrong first code during TOTP enrolment answers 303 to the enrolment
/// page, which shows the same key with the error (422) on every reload; the right code from the
/// reloaded page turns TOTP on. Another login session does not see the refusal.
#[tokio::test]
async fn post_redirect_get_wrong_first_totp_code() {
    let app = spawn_app().await;
    sign_in_to_account(&app).await;
    let page = app
        .browser
        .get(app.url("/account/mfa/totp"))
        .send()
        .await
        .unwrap();
    let page = page.text().await.unwrap();
    let key = between(&page, "id=\"totp-secret\">", "<").to_string();
    let wrong = [
        ("csrf_token", hidden(&page, "csrf_token")),
        ("request_id", String::new()),
        ("code", "000000".into()),
    ];
    let res = app
        .browser
        .post(app.url("/account/mfa/totp"))
        .form(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "See Other, not the page again");
    let next = location(&res);
    assert_eq!(next, "/account/mfa/totp?notice=code-refused");
    let mut shown = String::new();
    for load in 0..2 {
        let res = app.browser.get(app.url(&next)).send().await.unwrap();
        assert_eq!(res.status(), 422, "load {load}");
        shown = res.text().await.unwrap();
        assert_eq!(between(&shown, "id=\"totp-secret\">", "<"), key, "the same key");
        assert!(shown.contains(r#"role="alert""#), "load {load}: the error");
    }
    assert!(app.ctx().store.totp(&app.user_id).await.unwrap().is_none());

    let secret = totp::base32_decode(&key).unwrap();
    let right = [
        ("csrf_token", hidden(&shown, "csrf_token")),
        ("request_id", String::new()),
        ("code", code(&app, &secret, 0)),
    ];
    let res = app
        .browser
        .post(app.url("/account/mfa/totp"))
        .form(&right)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), RECOVERY_CODES);
    assert!(app.ctx().store.totp(&app.user_id).await.unwrap().is_some());

    let other = http_client(true);
    let login = other.get(app.url("/account")).send().await.unwrap();
    let login = login.text().await.unwrap();
    let form = [
        ("request_id", String::new()),
        ("csrf_token", hidden(&login, "csrf_token")),
        ("username", USERNAME.to_string()),
        ("password", PASSWORD.to_string()),
    ];
    let res = other.post(app.url("/login")).form(&form).send().await.unwrap();
    app.clock.advance(std::time::Duration::from_secs(30));
    let done = submit_code(&app, &other, &location(&res), &code(&app, &secret, 0)).await;
    assert_eq!(location(&done), "/account", "the other browser is signed in");
    let theirs = other.get(app.url(&next)).send().await.unwrap();
    assert_eq!(theirs.status(), 200, "another login session: no parked refusal");
    assert!(!theirs.text().await.unwrap().contains(r#"role="alert""#));
}
