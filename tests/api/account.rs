//! docs/architecture.md, "Flows"; docs/security.md C.13, D.20-D.23: the user sees where they are
//! signed in, one row per token family, and can end any of them, everything at once, withdraw
//! consent and change the password. Every form needs its CSRF token and the signed-in browser.

use portcullis::random::random_id;
use portcullis::storage::{NewUser, TokenFamily};

use crate::authorize::{
    SESSION_COOKIE, assert_login_page, has_session, redirect_params, set_cookie, token_error, unescape,
};
use crate::helpers::*;

const FIREFOX: &str = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const NEW_PASSWORD: &str = "a brand new passphrase";

/// Without a session the account page is the login page and shows nothing of the account; a
/// POST with a valid form token but no session goes back to it; signing in there lands on it.
#[tokio::test]
async fn account_page_requires_login() {
    let app = spawn_app().await;
    let res = app.browser.get(app.url("/account")).send().await.unwrap();
    let page = assert_login_page(res).await;
    assert!(page.contains("Sign in to Portcullis"), "{page}");
    assert!(
        !page.contains("Signed in as") && !page.contains("Where you"),
        "{page}"
    );
    assert!(!page.contains(USERNAME), "no account data before login");
    assert_eq!(hidden(&page, "request_id"), "");

    let res = post(
        &app,
        &app.browser,
        "/account/signout",
        &pairs(&[("csrf_token", &hidden(&page, "csrf_token"))]),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account");

    let page = assert_login_page(app.browser.get(app.url("/account")).send().await.unwrap()).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account");
    let page = account_page(&app, &app.browser).await;
    assert!(
        page.contains(&format!("Signed in as <strong>{USERNAME}</strong>")),
        "{page}"
    );
}

/// one row per token family, with the client's name, the device (the client-given
/// `device_name`, else a summary of the User-Agent), the times and the IP.
#[tokio::test]
async fn account_lists_sessions_per_token_family() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    app.exchange(&code, &verifier).await;
    let (code, verifier) = code_for(&app, &[("device_name", "Work laptop")], None).await;
    app.exchange(&code, &verifier).await;
    let (code, verifier) = code_for(&app, &[], Some(FIREFOX)).await;
    app.exchange(&code, &verifier).await;

    let page = account_page(&app, &app.browser).await;
    let rows = forms(&page, "/account/sessions/revoke");
    assert_eq!(rows.len(), 3, "one row per family:\n{page}");
    let families = app
        .state
        .ctx
        .store
        .active_families_for_user(&app.user_id, app.clock.now())
        .await
        .unwrap();
    for f in &families {
        assert!(
            rows.iter().any(|r| field(r, "family_id") == f.id),
            "{} listed",
            f.id
        );
    }
    assert!(page.contains("Work laptop"), "{page}");
    assert!(page.contains("Firefox on Linux"), "{page}");
    assert!(page.contains("Unknown device"), "no User-Agent, no device name");
    assert_eq!(
        page.matches("<span class=\"client-name\">Web App</span>").count(),
        3
    );
    assert!(page.contains("127.0.0.1"), "the IP is shown");
    assert!(
        page.contains(" UTC</time>") && page.contains("just now"),
        "{page}"
    );
    assert!(
        page.contains("This browser"),
        "families born in this login session are marked"
    );
    let tokens: Vec<String> = rows.iter().map(|r| field(r, "csrf_token")).collect();
    assert!(tokens.iter().all(|t| !t.is_empty()));
    assert_eq!(
        tokens.iter().collect::<std::collections::HashSet<_>>().len(),
        3,
        "one token per form"
    );
}

/// "Sign out this device" revokes the family: its refresh token is `invalid_grant` afterwards.
#[tokio::test]
async fn sign_out_this_device_revokes_its_refresh_token() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    let refresh_token = refresh_token_of(&app.exchange(&code, &verifier).await);
    let (code, verifier) = code_for(&app, &[("device_name", "Phone")], None).await;
    let other = refresh_token_of(&app.exchange(&code, &verifier).await);

    let page = account_page(&app, &app.browser).await;
    let row = forms(&page, "/account/sessions/revoke")
        .into_iter()
        .find(|r| !page_row_mentions(&page, &field(r, "family_id"), "Phone"))
        .unwrap();
    let res = post(&app, &app.browser, "/account/sessions/revoke", &row).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=device-signed-out");

    let (status, error) = token_error(refresh(&app, &refresh_token).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_grant"));
    assert_eq!(
        refresh(&app, &other).await.status(),
        200,
        "the other device stays signed in"
    );

    let page = account_page_at(&app, &app.browser, &location(&res)).await;
    assert!(page.contains("That device has been signed out."), "{page}");
    assert_eq!(forms(&page, "/account/sessions/revoke").len(), 1);
    assert!(page.contains("Phone"));
}

/// A family id of another user is a 404 and that family stays active; so is an unknown id.
#[tokio::test]
async fn cannot_revoke_another_users_family() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    app.exchange(&code, &verifier).await;
    let bob_family = bob_with_a_family(&app).await;

    for family_id in [bob_family.as_str(), "no-such-family"] {
        let page = account_page(&app, &app.browser).await;
        let csrf = field(&forms(&page, "/account/signout")[0], "csrf_token");
        let res = post(
            &app,
            &app.browser,
            "/account/sessions/revoke",
            &pairs(&[("family_id", family_id), ("csrf_token", &csrf)]),
        )
        .await;
        assert_eq!(res.status(), 404, "{family_id}");
        assert!(res.headers().get("location").is_none());
    }
    let family = app.ctx().store.family_by_id(&bob_family).await.unwrap().unwrap();
    assert!(family.revoked_at.is_none(), "bob's family is untouched");
    assert_eq!(
        app.state
            .ctx
            .store
            .active_families_for_user(&app.user_id, app.clock.now())
            .await
            .unwrap()
            .len(),
        1,
        "alice's family is untouched"
    );
}

/// "Sign out everywhere": every family and every login session ends, this browser's included.
#[tokio::test]
async fn sign_out_everywhere_ends_all_sessions_and_families() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    let refresh_token = refresh_token_of(&app.exchange(&code, &verifier).await);
    let other_browser = http_client(true);
    sign_in_to_account(&app, &other_browser).await;
    assert!(has_session(&app, &other_browser).await);

    let page = account_page(&app, &app.browser).await;
    let form = forms(&page, "/account/logout-everywhere").remove(0);
    let res = post(&app, &app.browser, "/account/logout-everywhere", &form).await;
    assert_eq!(res.status(), 303, "docs/security.md O.1");
    assert_eq!(location(&res), "/logout/done");
    let cleared = set_cookie(&res, SESSION_COOKIE).expect("session cookie cleared");
    assert!(cleared.starts_with(&format!("{SESSION_COOKIE}=;")), "{cleared}");
    let done = app.browser.get(app.url("/logout/done")).send().await.unwrap();
    assert!(done.text().await.unwrap().contains("You have signed out."));

    let (status, error) = token_error(refresh(&app, &refresh_token).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_grant"));
    assert_login_page(app.browser.get(app.url("/account")).send().await.unwrap()).await;
    assert!(
        !has_session(&app, &app.browser).await,
        "prompt=none: login_required"
    );
    assert!(
        !has_session(&app, &other_browser).await,
        "the other browser is signed out too"
    );
    assert!(
        app.state
            .ctx
            .store
            .active_families_for_user(&app.user_id, app.clock.now())
            .await
            .unwrap()
            .is_empty()
    );
}

/// docs/security.md D.23: removing an app's access deletes the consent and its families; the next
/// authorization request shows the consent page again.
#[tokio::test]
async fn withdrawing_consent_shows_consent_again() {
    let app = spawn_app().await;
    let res = app.authorize(&partner_request()).await;
    let page = assert_login_page(res).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    let page = consent_page(res).await;
    let res = app.submit_consent(&page, "allow").await;
    let code = param(&redirect_params(&res, REDIRECT_URI), "code").unwrap();
    let refresh_token = partner_exchange(&app, &code).await;
    assert_eq!(
        param(
            &redirect_params(&app.authorize(&partner_request()).await, REDIRECT_URI),
            "error"
        ),
        None,
        "consent remembered"
    );

    let page = account_page(&app, &app.browser).await;
    assert!(
        page.contains("Partner &#60;Corp&#62;") || page.contains("Partner &lt;Corp&gt;"),
        "{page}"
    );
    assert!(
        page.contains("Stay signed in"),
        "the granted scopes are described:\n{page}"
    );
    let form = forms(&page, "/account/consents/revoke").remove(0);
    assert_eq!(field(&form, "client_id"), THIRD_PARTY_ID);
    let res = post(&app, &app.browser, "/account/consents/revoke", &form).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=access-removed");

    assert!(
        app.state
            .ctx
            .store
            .consent(&app.user_id, THIRD_PARTY_ID)
            .await
            .unwrap()
            .is_none()
    );
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(THIRD_PARTY_ID, Some(&app.client_secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let (status, error) = token_error(res).await;
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_grant"),
        "the app is signed out"
    );
    consent_page(app.authorize(&partner_request()).await).await;
    let page = account_page_at(&app, &app.browser, "/account?notice=access-removed").await;
    assert!(page.contains("Access removed."), "{page}");
    assert!(
        page.contains("You haven&#39;t given") || page.contains("given any app access"),
        "{page}"
    );
}

/// docs/security.md C.13, D.21: a new password ends every other session and every family; this browser
/// stays signed in with a new session id; the old password stops working.
#[tokio::test]
async fn change_password_ends_other_sessions() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    let refresh_token = refresh_token_of(&app.exchange(&code, &verifier).await);
    let other_browser = http_client(true);
    sign_in_to_account(&app, &other_browser).await;

    let page = account_page(&app, &app.browser).await;
    let mut form = forms(&page, "/account/password").remove(0);
    form.retain(|(k, _)| k == "csrf_token");
    form.extend(pairs(&[
        ("current_password", PASSWORD),
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ]));
    let res = post(&app, &app.browser, "/account/password", &form).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=password-changed");
    assert!(set_cookie(&res, SESSION_COOKIE).is_some(), "a new session id");

    let page = account_page_at(&app, &app.browser, &location(&res)).await;
    assert!(page.contains("Your password has been changed"), "{page}");
    assert!(
        has_session(&app, &app.browser).await,
        "this browser stays signed in"
    );
    assert!(
        !has_session(&app, &other_browser).await,
        "the other browser is signed out"
    );
    assert_login_page(other_browser.get(app.url("/account")).send().await.unwrap()).await;
    let (status, error) = token_error(refresh(&app, &refresh_token).await).await;
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_grant"),
        "old refresh tokens fail"
    );

    let login = assert_login_page(other_browser.get(app.url("/account")).send().await.unwrap()).await;
    let res = submit_login_with(&app, &other_browser, &login, PASSWORD).await;
    assert_eq!(res.status(), 401, "the old password is refused");
    let login = res.text().await.unwrap();
    let res = submit_login_with(&app, &other_browser, &login, NEW_PASSWORD).await;
    assert_eq!(location(&res), "/account", "the new password works");
}

/// A wrong current password, a mismatch or a short password: 303 to the account page, which shows
/// the form with an alert; nothing changes.
#[tokio::test]
async fn change_password_requires_current_password_and_matching_new_one() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    let refresh_token = refresh_token_of(&app.exchange(&code, &verifier).await);

    let cases = [
        (
            "wrong password",
            NEW_PASSWORD,
            NEW_PASSWORD,
            "current password is not correct",
        ),
        (PASSWORD, NEW_PASSWORD, "something else entirely", "do not match"),
        (PASSWORD, "short", "short", "at least 8 characters"),
    ];
    for (current, new, confirm, message) in cases {
        let page = account_page(&app, &app.browser).await;
        let csrf = field(&forms(&page, "/account/password")[0], "csrf_token");
        let form = pairs(&[
            ("csrf_token", &csrf),
            ("current_password", current),
            ("new_password", new),
            ("confirm_password", confirm),
        ]);
        let res = post(&app, &app.browser, "/account/password", &form).await;
        // O.1: 303 to the account page, which shows the refusal (400).
        assert_eq!(res.status(), 303, "{message}");
        assert_eq!(location(&res), "/account?notice=password-refused#password");
        let res = app.browser.get(app.url(&location(&res))).send().await.unwrap();
        assert_eq!(res.status(), 400, "{message}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains(r#"role="alert""#) && page.contains(message),
            "{page}"
        );
        assert!(page.contains(r#"aria-invalid="true""#));
    }
    assert!(has_session(&app, &app.browser).await);
    assert_eq!(
        refresh(&app, &refresh_token).await.status(),
        200,
        "nothing changed"
    );
    let user = app.ctx().store.user_by_id(&app.user_id).await.unwrap().unwrap();
    assert!(
        app.state
            .ctx
            .hasher
            .verify(Some(user.password_hash), PASSWORD.into())
            .await
            .unwrap()
    );
}

/// docs/security.md D.20: every account form needs its single-use CSRF token: without it (or with a
/// spent one) the answer is 400 and nothing changes.
#[tokio::test]
async fn account_forms_require_csrf() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    let refresh_token = refresh_token_of(&app.exchange(&code, &verifier).await);
    let page = account_page(&app, &app.browser).await;
    let family_id = field(&forms(&page, "/account/sessions/revoke")[0], "family_id");

    let password = pairs(&[
        ("current_password", PASSWORD),
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ]);
    let attempts: Vec<(&str, Vec<(String, String)>)> = vec![
        ("/account/sessions/revoke", pairs(&[("family_id", &family_id)])),
        (
            "/account/consents/revoke",
            pairs(&[("client_id", CONFIDENTIAL_ID)]),
        ),
        ("/account/logout-everywhere", Vec::new()),
        ("/account/signout", Vec::new()),
        ("/account/password", password.clone()),
    ];
    for (path, form) in &attempts {
        let res = post(&app, &app.browser, path, form).await;
        assert_eq!(res.status(), 400, "{path} without a token");
        assert!(
            res.text().await.unwrap().contains("This form has expired"),
            "{path}"
        );
    }
    // A token already spent does not work a second time.
    let csrf = field(&forms(&page, "/account/signout")[0], "csrf_token");
    let harmless = pairs(&[("client_id", "no-such-app"), ("csrf_token", &csrf)]);
    let res = post(&app, &app.browser, "/account/consents/revoke", &harmless).await;
    assert_eq!(
        (res.status().as_u16(), location(&res)),
        (303, "/account".to_string())
    );
    let res = post(
        &app,
        &app.browser,
        "/account/signout",
        &pairs(&[("csrf_token", &csrf)]),
    )
    .await;
    assert_eq!(res.status(), 400, "a spent token");
    assert!(res.text().await.unwrap().contains("This form has expired"));

    assert!(has_session(&app, &app.browser).await, "still signed in");
    assert_eq!(
        refresh(&app, &refresh_token).await.status(),
        200,
        "the family is still active"
    );
    let user = app.ctx().store.user_by_id(&app.user_id).await.unwrap().unwrap();
    assert!(
        app.state
            .ctx
            .hasher
            .verify(Some(user.password_hash), PASSWORD.into())
            .await
            .unwrap()
    );
}

// support

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field(form: &[(String, String)], name: &str) -> String {
    param(form, name).unwrap_or_else(|| panic!("no {name} in {form:?}"))
}

/// The hidden inputs of every form whose action starts with `action`.
fn forms(html: &str, action: &str) -> Vec<Vec<(String, String)>> {
    let marker = format!("action=\"{action}");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&marker) {
        let form = &rest[at..];
        let end = form.find("</form>").expect("form end");
        let body = &form[..end];
        let mut fields = Vec::new();
        for tag in body.split("<input").skip(1) {
            let tag = &tag[..tag.find('>').expect("tag end")];
            if !tag.contains("type=\"hidden\"") {
                continue;
            }
            let attr = |name: &str| {
                let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
                let len = tag[start..].find('"')?;
                Some(unescape(&tag[start..start + len]))
            };
            fields.push((attr("name").unwrap(), attr("value").unwrap_or_default()));
        }
        out.push(fields);
        rest = &form[end..];
    }
    out
}

/// True when the page's row holding `family_id` mentions `text`.
fn page_row_mentions(page: &str, family_id: &str, text: &str) -> bool {
    let at = page.find(family_id).expect("family in page");
    let row_start = page[..at].rfind("<li class=\"row\">").expect("row start");
    page[row_start..at].contains(text)
}

async fn account_page(app: &TestApp, browser: &reqwest::Client) -> String {
    account_page_at(app, browser, "/account").await
}

async fn account_page_at(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let res = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Signed in as"),
        "the account page, not the login page:\n{page}"
    );
    page
}

async fn post(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    browser.post(app.url(path)).form(form).send().await.unwrap()
}

/// Signs in on the account page's own login form (no authorization request).
async fn sign_in_to_account(app: &TestApp, browser: &reqwest::Client) {
    let page = assert_login_page(browser.get(app.url("/account")).send().await.unwrap()).await;
    let res = submit_login_with(app, browser, &page, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account");
}

async fn submit_login_with(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    password: &str,
) -> reqwest::Response {
    let form = pairs(&[
        ("request_id", &hidden(page, "request_id")),
        ("csrf_token", &hidden(page, "csrf_token")),
        ("username", USERNAME),
        ("password", password),
    ]);
    let res = browser.post(app.url("/login")).form(&form).send().await.unwrap();
    // docs/security.md O.1: a refused login's 303 leads to the page that shows it.
    follow_refused(app, browser, res).await
}

/// Another code for the web-app in the already signed-in browser, with extra parameters and a
/// User-Agent.
async fn code_for(app: &TestApp, extra: &[(&str, &str)], user_agent: Option<&str>) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let mut request = app.code_request("st", "n", &challenge, "openid offline_access");
    request.extend_from_slice(extra);
    let mut get = app.browser.get(app.url("/authorize")).query(&request);
    if let Some(ua) = user_agent {
        get = get.header(reqwest::header::USER_AGENT, ua);
    }
    let res = get.send().await.unwrap();
    let code = param(&redirect_params(&res, REDIRECT_URI), "code").expect("code");
    (code, verifier)
}

fn refresh_token_of(tokens: &serde_json::Value) -> String {
    tokens["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_string()
}

async fn refresh(app: &TestApp, refresh_token: &str) -> reqwest::Response {
    app.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
        .await
}

fn partner_request() -> Vec<(&'static str, &'static str)> {
    vec![
        ("response_type", "code"),
        ("client_id", THIRD_PARTY_ID),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid offline_access"),
        ("state", "st-p"),
    ]
}

async fn consent_page(res: reqwest::Response) -> String {
    assert_eq!(res.status(), 200, "the consent page");
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"action="/consent""#), "{page}");
    page
}

/// Exchanges a partner code (confidential, no PKCE); returns the refresh token.
async fn partner_exchange(app: &TestApp, code: &str) -> String {
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(THIRD_PARTY_ID, Some(&app.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    refresh_token_of(&res.json().await.unwrap())
}

/// Creates user bob with one active token family; returns the family id.
async fn bob_with_a_family(app: &TestApp) -> String {
    let t = app.clock.now();
    let bob = app
        .state
        .ctx
        .store
        .create_user(NewUser {
            id: random_id(),
            username: "bob".into(),
            email: None,
            email_verified: false,
            name: None,
            password_hash: app.ctx().hasher.hash("bob's password".into()).await.unwrap(),
            created_at: t,
        })
        .await
        .unwrap();
    let family = TokenFamily {
        id: random_id(),
        user_id: Some(bob.id),
        client_id: CONFIDENTIAL_ID.into(),
        scope: portcullis::oauth::scope::Scope::from_tokens(["openid", "offline_access"]),
        sid: None,
        auth_time: t,
        created_at: t,
        last_used_at: t,
        absolute_expires_at: t + 3600,
        revoked_at: None,
        device_name: Some("Bob's phone".into()),
        user_agent: None,
        ip: None,
        lifetime: portcullis::storage::FamilyLifetime::Offline,
        dpop_jkt: None,
        amr: vec![portcullis::storage::AuthMethod::Password],
        idp: None,
        resources: Vec::new(),
    };
    app.ctx().store.create_family(family.clone(), None).await.unwrap();
    family.id
}
