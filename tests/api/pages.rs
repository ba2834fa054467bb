//! docs/security.md O: the pages people sign in with. Every form POST answers 303 to a GET that
//! can be reloaded (O.1, O.2); "Stay signed in" says so (O.3); the consent page reads well and
//! shows the app's registered links and logo, with a CSP naming exactly that logo (O.4); the
//! account page edits name and email (O.5); branding and static overrides (O.6).

use crate::authorize::{SESSION_COOKIE, assert_login_page, has_session, redirect_params, set_cookie};
use crate::helpers::*;

fn partner_request(scope: &str) -> Vec<(&'static str, String)> {
    let (_, challenge) = pkce_pair();
    vec![
        ("response_type", "code".to_string()),
        ("client_id", THIRD_PARTY_ID.to_string()),
        ("redirect_uri", REDIRECT_URI.to_string()),
        ("scope", scope.to_string()),
        ("state", "st-p".to_string()),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256".to_string()),
    ]
}

/// The partner's login page for `scope`.
async fn partner_login_page(app: &TestApp, scope: &str) -> String {
    let res = app
        .browser
        .get(app.url("/authorize"))
        .query(&partner_request(scope))
        .send()
        .await
        .unwrap();
    assert_login_page(res).await
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.browser.get(app.url(path)).send().await.unwrap()
}

/// The `csrf_token` of the form posting to `action` in `page`.
fn form_token(page: &str, action: &str) -> String {
    let at = page
        .find(&format!(r#"action="{action}""#))
        .unwrap_or_else(|| panic!("no form for {action}:\n{page}"));
    hidden(&page[at..], "csrf_token")
}

/// O.1: a successful login is a 303 to a GET of the next step; that GET is the consent page,
/// the same each time it is loaded, and its form still works.
#[tokio::test]
async fn login_post_answers_303_to_a_step_that_can_be_reloaded() {
    let app = spawn_app().await;
    let page = partner_login_page(&app, "openid profile").await;
    let res = app.post_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 303, "See Other, not a page");
    assert!(set_cookie(&res, SESSION_COOKIE).is_some(), "signed in");
    let next = location(&res);
    let request_id = hidden(&page, "request_id");
    assert_eq!(next, format!("/login/continue?request_id={request_id}"));

    let first = get(&app, &next).await;
    assert_eq!(first.status(), 200);
    let first = first.text().await.unwrap();
    let again = get(&app, &next).await;
    assert_eq!(again.status(), 200, "a reload shows the page again");
    let again = again.text().await.unwrap();
    for p in [&first, &again] {
        assert!(p.contains(r#"action="/consent""#), "{p}");
        assert_eq!(hidden(p, "request_id"), request_id);
    }
    let res = app.submit_consent(&again, "allow").await;
    assert!(param(&redirect_params(&res, REDIRECT_URI), "code").is_some());
}

/// O.2: the used login form sent again (a reload, a restored tab) by the browser it signed in is
/// no "This form has expired" error: it goes on to the step the request is at.
#[tokio::test]
async fn replayed_login_post_goes_on_to_the_step_for_a_signed_in_user() {
    let app = spawn_app().await;
    let page = partner_login_page(&app, "openid").await;
    let res = app.post_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 303);
    let next = location(&res);

    let replay = app.post_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(replay.status(), 303, "no 401 error page");
    assert_eq!(location(&replay), next, "the same step");
    let res = get(&app, &next).await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains(r#"action="/consent""#), "{body}");
    assert!(!body.contains("expired"), "{body}");

    // Signed out, the same replay is still refused (the form's token is spent).
    let other = http_client(true);
    let res = other
        .post(app.url("/login"))
        .form(&[
            ("request_id", hidden(&page, "request_id")),
            ("csrf_token", hidden(&page, "csrf_token")),
            ("username", USERNAME.to_string()),
            ("password", PASSWORD.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 303, "another browser gets no step");
}

/// O.3: "Stay signed in" is a page that says so (200, no error), reached by 303 and reloadable,
/// with the way back to the app (the origin of its registered post-logout URI) or to /account.
#[tokio::test]
async fn stay_signed_in_shows_still_signed_in_with_the_way_back() {
    let app = spawn_app().await;
    let _ = app.login_for_code("openid").await;
    for (query, back) in [
        (
            vec![
                ("client_id", CONFIDENTIAL_ID),
                ("post_logout_redirect_uri", LOGOUT_REDIRECT),
            ],
            "https://app.example.com/",
        ),
        (vec![], "/account"),
    ] {
        let res = app
            .browser
            .get(app.url("/logout"))
            .query(&query)
            .send()
            .await
            .unwrap();
        let page = res.text().await.unwrap();
        let res = app
            .browser
            .post(app.url("/logout/confirm"))
            .form(&[
                ("logout_id", hidden(&page, "logout_id")),
                ("csrf_token", hidden(&page, "csrf_token")),
                ("decision", "cancel".to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let next = location(&res);
        assert!(next.starts_with("/logout/done?id="), "{next}");
        for _ in 0..2 {
            let res = get(&app, &next).await;
            assert_eq!(res.status(), 200);
            let body = res.text().await.unwrap();
            assert!(body.contains("You are still signed in"), "{body}");
            assert!(!body.contains("status-error"), "not the error page: {body}");
            assert!(body.contains(&format!(r#"href="{back}""#)), "{back}: {body}");
        }
        assert!(has_session(&app, &app.browser).await);
    }
}

/// O.1: confirming the logout is a 303 to the signed-out page, which a reload shows again.
#[tokio::test]
async fn confirmed_logout_answers_303_to_the_signed_out_page() {
    let app = spawn_app().await;
    let _ = app.login_for_code("openid").await;
    let page = get(&app, "/logout").await.text().await.unwrap();
    let res = app
        .browser
        .post(app.url("/logout/confirm"))
        .form(&[
            ("logout_id", hidden(&page, "logout_id")),
            ("csrf_token", hidden(&page, "csrf_token")),
            ("decision", "logout".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        set_cookie(&res, SESSION_COOKIE).is_some(),
        "the session cookie is cleared"
    );
    let next = location(&res);
    for _ in 0..2 {
        let body = get(&app, &next).await.text().await.unwrap();
        assert!(body.contains("You have signed out."), "{body}");
    }
    assert!(!has_session(&app, &app.browser).await);
}

/// O.4: sign-in first, offline access last, verb phrases with the user's own values.
#[tokio::test]
async fn consent_lists_sign_in_first_offline_access_last_with_the_users_values() {
    let app = spawn_app().await;
    let page = partner_login_page(&app, "offline_access email openid profile").await;
    let body = app
        .submit_login(&page, USERNAME, PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    let at = |text: &str| {
        body.find(text)
            .unwrap_or_else(|| panic!("{text} missing:\n{body}"))
    };
    let sign_in = at("Sign you in as alice");
    let email = at("See your email address (alice@example.com)");
    let name = at("See your name (Alice Liddell)");
    let offline = at(r#"<li class="scope scope-offline">"#);
    assert!(sign_in < email && sign_in < name, "openid first");
    assert!(email < offline && name < offline, "offline_access last");
}

/// O.4: registered `client_uri`, `logo_uri`, `policy_uri`, `tos_uri` are shown; the page's CSP
/// allows exactly that logo; pages without it allow no other image source.
#[tokio::test]
async fn consent_shows_the_apps_links_and_a_csp_allowing_exactly_its_logo() {
    let app = spawn_app().await;
    let display = r#"{"display":{"client_uri":"https://partner.example/","logo_uri":"https://cdn.partner.example/logo.png","policy_uri":"https://partner.example/privacy","tos_uri":"https://partner.example/terms"}}"#;
    set_client_column(&app, THIRD_PARTY_ID, "registration", display);
    let page = partner_login_page(&app, "openid").await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    let csp = header(&res, "content-security-policy");
    assert!(
        csp.ends_with("img-src 'self' https://cdn.partner.example/logo.png"),
        "{csp}"
    );
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    let body = res.text().await.unwrap();
    assert!(
        body.contains(r#"src="https://cdn.partner.example/logo.png""#),
        "{body}"
    );
    assert!(
        body.contains(r#"href="https://partner.example/privacy""#),
        "{body}"
    );
    assert!(body.contains(r#"href="https://partner.example/terms""#), "{body}");
    assert!(body.contains("partner.example</a>"), "{body}");

    let login = get(&app, "/account").await;
    assert!(!header(&login, "content-security-policy").contains("img-src"));

    // An http logo is never shown, and the CSP names no image source then.
    let http_logo = r#"{"display":{"logo_uri":"http://cdn.partner.example/logo.png"}}"#;
    set_client_column(&app, THIRD_PARTY_ID, "registration", http_logo);
    let res = app
        .browser
        .get(app.url("/authorize"))
        .query(&[partner_request("openid"), vec![("prompt", "consent".to_string())]].concat())
        .send()
        .await
        .unwrap();
    assert!(!header(&res, "content-security-policy").contains("img-src"));
    let body = res.text().await.unwrap();
    assert!(body.contains(r#"action="/consent""#), "{body}");
    assert!(!body.contains("cdn.partner.example"), "{body}");
}

/// O.4: "Not you? Use another account" signs the browser out of that login and returns to the
/// login page of the same request; the consent form of the old login no longer works.
#[tokio::test]
async fn not_you_signs_out_and_returns_to_the_login_for_the_same_request() {
    let app = spawn_app().await;
    let page = partner_login_page(&app, "openid").await;
    let request_id = hidden(&page, "request_id");
    let consent = app
        .submit_login(&page, USERNAME, PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    assert!(consent.contains("Not alice?"), "{consent}");
    let res = app
        .browser
        .post(app.url("/consent/switch"))
        .form(&[
            ("request_id", request_id.clone()),
            ("csrf_token", form_token(&consent, "/consent/switch")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/login/continue?request_id={request_id}"));
    let cleared = set_cookie(&res, SESSION_COOKIE).expect("session cookie cleared");
    assert!(cleared.starts_with(&format!("{SESSION_COOKIE}=;")), "{cleared}");
    assert!(!has_session(&app, &app.browser).await, "signed out");

    let login = assert_login_page(get(&app, &location(&res)).await).await;
    assert_eq!(hidden(&login, "request_id"), request_id, "the same request");
    let old = app.submit_consent(&consent, "allow").await;
    assert_ne!(old.status(), 303, "the old login's consent form is void");

    let again = app.submit_login(&login, USERNAME, PASSWORD).await;
    let again = again.text().await.unwrap();
    assert!(again.contains(r#"action="/consent""#), "{again}");
    let res = app.submit_consent(&again, "allow").await;
    assert!(param(&redirect_params(&res, REDIRECT_URI), "code").is_some());
}

/// O.5: the login page says "Sign in" and has a show-password toggle that is hidden without
/// JavaScript and served as a file (no inline script); focus rings survive forced colours.
#[tokio::test]
async fn login_page_says_sign_in_and_has_a_script_file_password_toggle() {
    let app = spawn_app().await;
    let page = partner_login_page(&app, "openid").await;
    assert!(page.contains(r#"<h1 class="title">Sign in</h1>"#), "{page}");
    assert!(!page.contains("Welcome back"));
    let toggle = page.find("data-password-toggle").expect("toggle");
    let tag_end = toggle + page[toggle..].find('>').unwrap();
    assert!(
        page[toggle..tag_end].contains("hidden"),
        "hidden without JavaScript"
    );
    assert!(page.contains(r#"<script src="/static/js/password.js"></script>"#));
    assert!(!page.contains("<script>"), "no inline script");
    let js = get(&app, "/static/js/password.js").await;
    assert_eq!(js.status(), 200);
    assert!(header(&js, "content-type").starts_with("text/javascript"));
    let css = get(&app, "/static/css/portcullis.css")
        .await
        .text()
        .await
        .unwrap();
    assert!(css.contains("@media (forced-colors: active)"));
}

/// O.5: the account page shows name and email and edits them (CSRF, 303 back); a new email is
/// unverified, the change is audited, and the `email` claims follow.
#[tokio::test]
async fn account_page_edits_name_and_email() {
    let app = spawn_app().await;
    let _ = app.login_for_code("openid").await;
    let page = get(&app, "/account").await.text().await.unwrap();
    assert!(
        page.contains("Alice Liddell") && page.contains("alice@example.com"),
        "{page}"
    );
    let post = |token: String, name: &str, email: &str| {
        let form = [
            ("csrf_token", token),
            ("name", name.to_string()),
            ("email", email.to_string()),
        ];
        app.browser.post(app.url("/account/profile")).form(&form).send()
    };

    let res = post(String::new(), "Mallory", "m@evil.example").await.unwrap();
    assert_eq!(res.status(), 400, "no CSRF token, no change");

    let res = post(form_token(&page, "/account/profile"), "Alice", "not-an-email")
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=profile-email-invalid#profile");
    let user = app.ctx().store.user_by_id(&app.user_id).await.unwrap().unwrap();
    assert_eq!(user.name.as_deref(), Some("Alice Liddell"), "unchanged");

    let page = get(&app, "/account").await.text().await.unwrap();
    let res = post(
        form_token(&page, "/account/profile"),
        "Alice L.",
        "alice@new.example",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=profile-email-changed#profile");
    let user = app.ctx().store.user_by_id(&app.user_id).await.unwrap().unwrap();
    assert_eq!(user.name.as_deref(), Some("Alice L."));
    assert_eq!(user.email.as_deref(), Some("alice@new.example"));
    assert!(!user.email_verified, "a new email is not verified");
    let page = get(&app, "/account?notice=profile-email-changed")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("alice@new.example") && page.contains("not verified yet"),
        "{page}"
    );

    let events = app
        .ctx()
        .store
        .audit_events(&portcullis::storage::AuditFilter {
            user_id: Some(app.user_id.clone()),
            kinds: vec![portcullis::storage::AuditKind::ProfileChanged],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "one audited change");

    let tokens = password_tokens(&app, "openid email").await;
    let claims: serde_json::Value = get_userinfo(&app, tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(claims["email"], "alice@new.example");
    assert_eq!(claims["email_verified"], false);
}

/// O.6: `[branding]` shows on every page; a file in `branding.dir` replaces the built-in one of
/// the same name, others are added, and nothing outside the directory is ever served.
#[tokio::test]
async fn branding_shows_on_pages_and_static_overrides_stay_inside_their_directory() {
    let brand_dir = crate::tempdir::tempdir().unwrap();
    let root = brand_dir.path().join("brand");
    std::fs::create_dir_all(root.join("css")).unwrap();
    std::fs::create_dir_all(root.join("img")).unwrap();
    std::fs::write(root.join("css/portcullis.css"), "/* acme look */").unwrap();
    std::fs::write(root.join("css/custom.css"), "/* acme extra */").unwrap();
    std::fs::write(root.join("img/acme.svg"), "<svg/>").unwrap();
    std::fs::write(root.join("notes.txt"), "not served").unwrap();
    std::fs::write(brand_dir.path().join("secret.css"), "/* outside */").unwrap();
    let dir = root.clone();
    let app = spawn_app_with(move |s| {
        s.branding.product_name = "Acme ID".into();
        s.branding.footer_text = "Acme footer".into();
        s.branding.support_url = "https://help.acme.example/".into();
        s.branding.primary_color = "#0a7".into();
        s.branding.dir = Some(dir);
    })
    .await;
    let page = partner_login_page(&app, "openid").await;
    for text in [
        "Acme ID",
        "Acme footer",
        r#"href="https://help.acme.example/""#,
        r#"href="/static/brand.css""#,
        r#"href="/static/css/custom.css""#,
    ] {
        assert!(page.contains(text), "{text}: {page}");
    }
    assert!(!page.contains("Protected by Portcullis"), "{page}");
    assert_eq!(
        body(&app, "/static/css/portcullis.css").await,
        (200, "/* acme look */".into())
    );
    assert_eq!(body(&app, "/static/img/acme.svg").await, (200, "<svg/>".into()));
    assert!(
        body(&app, "/static/brand.css")
            .await
            .1
            .contains("--primary: #0a7")
    );
    assert_eq!(
        body(&app, "/static/js/password.js").await.0,
        200,
        "built-ins still served"
    );
    for outside in [
        "/static/../secret.css",
        "/static/%2e%2e/secret.css",
        "/static/css/%2e%2e/%2e%2e/secret.css",
        "/static/css/..%2f..%2fsecret.css",
        "/static/notes.txt",
        "/static/.hidden.css",
    ] {
        let (status, text) = body(&app, outside).await;
        assert!(
            !text.contains("outside") && !text.contains("not served"),
            "{outside}"
        );
        assert_eq!(status, 404, "{outside}");
    }
}

async fn body(app: &TestApp, path: &str) -> (u16, String) {
    let res = get(app, path).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// O.4, RFC 7591 §2 / RFC 7592 §3: dynamic registration accepts `client_uri`, `logo_uri`,
/// `policy_uri` and `tos_uri` under the shared rule, stores them, and returns them on reads; a
/// non-https one is `invalid_client_metadata`.
#[tokio::test]
async fn registered_display_metadata_is_returned_in_registration_reads() {
    let app = spawn_app_with(|s| {
        s.registration.mode = portcullis::config::RegistrationMode::Open;
    })
    .await;
    let mut body = serde_json::json!({
        "client_name": "Display App",
        "redirect_uris": ["https://display.example/cb"],
        "token_endpoint_auth_method": "none",
        "scope": "openid",
        "client_uri": "https://display.example/",
        "logo_uri": "https://display.example/logo.png",
        "policy_uri": "https://display.example/privacy",
        "tos_uri": "https://display.example/terms",
    });
    let register = |body: serde_json::Value| app.api.post(app.url("/register")).json(&body).send();
    let res = register(body.clone()).await.unwrap();
    assert_eq!(res.status(), 201);
    let created: serde_json::Value = res.json().await.unwrap();
    for name in ["client_uri", "logo_uri", "policy_uri", "tos_uri"] {
        assert_eq!(created[name], body[name], "{name} in the registration response");
    }
    let read: serde_json::Value = app
        .api
        .get(created["registration_client_uri"].as_str().unwrap())
        .bearer_auth(created["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["logo_uri"], body["logo_uri"], "RFC 7592 read");
    let stored = app
        .ctx()
        .store
        .client_by_id(created["client_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.registration.display.tos_uri.as_deref(),
        Some("https://display.example/terms")
    );

    body["logo_uri"] = "http://display.example/logo.png".into();
    let res = register(body).await.unwrap();
    error_body(res, 400, "invalid_client_metadata").await;
}

/// Issue 10, O.1: the answer to an account form is a 303 to a GET; that GET shows what happened,
/// and shows it again when reloaded (nothing is posted twice).
async fn see_other_then_reload(app: &TestApp, res: reqwest::Response, expect: &str, shows: &str) {
    assert_eq!(res.status(), 303, "{expect}");
    let next = location(&res);
    assert!(next.starts_with(expect), "{next}");
    for _ in 0..2 {
        let page = get(app, &next).await;
        assert_eq!(page.status(), 200, "{next}");
        let page = page.text().await.unwrap();
        assert!(page.contains(shows), "{page}");
    }
}

/// Issue 10, O.1: profile, sign out a device, remove a second factor, change the password and sign
/// out: each POST answers 303 to a GET that can be reloaded.
#[tokio::test]
async fn post_redirect_get_every_account_form_answers_303_to_a_reloadable_page() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    app.exchange(&code, &verifier).await;
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        app.browser.post(app.url(path)).form(&form).send()
    };

    let page = get(&app, "/account").await.text().await.unwrap();
    let form = vec![
        ("csrf_token", form_token(&page, "/account/profile")),
        ("name", "Alice L.".to_string()),
        ("email", "alice@example.com".to_string()),
    ];
    let res = post("/account/profile", form).await.unwrap();
    see_other_then_reload(&app, res, "/account?notice=profile-saved", "have been saved").await;

    let page = get(&app, "/account").await.text().await.unwrap();
    let revoke = "/account/sessions/revoke#sessions";
    let at = page.find(&format!(r#"action="{revoke}""#)).unwrap();
    let form = vec![
        ("csrf_token", form_token(&page, revoke)),
        ("family_id", hidden(&page[at..], "family_id")),
    ];
    let res = post("/account/sessions/revoke", form).await.unwrap();
    see_other_then_reload(
        &app,
        res,
        "/account?notice=device-signed-out",
        "That device has been signed out.",
    )
    .await;

    let (_, codes, _) = crate::mfa::enrol_totp(&app, None).await;
    assert_eq!(codes.len(), 10);
    let page = get(&app, "/account/mfa").await.text().await.unwrap();
    let form = vec![("csrf_token", form_token(&page, "/account/mfa/totp/remove"))];
    let res = post("/account/mfa/totp/remove", form).await.unwrap();
    see_other_then_reload(&app, res, "/account/mfa", "/account/mfa/totp").await;
    assert!(app.ctx().store.totp(&app.user_id).await.unwrap().is_none());

    // A refused password form: 303 too; the page after shows why, again on a reload, to this
    // browser only.
    let page = get(&app, "/account").await.text().await.unwrap();
    let form = vec![
        ("csrf_token", form_token(&page, "/account/password#password")),
        ("current_password", "not the password".to_string()),
        ("new_password", "a brand new passphrase".to_string()),
        ("confirm_password", "a brand new passphrase".to_string()),
    ];
    let res = post("/account/password", form).await.unwrap();
    assert_eq!(res.status(), 303);
    let refused = location(&res);
    assert_eq!(refused, "/account?notice=password-refused#password");
    for _ in 0..2 {
        let page = get(&app, &refused).await;
        assert_eq!(page.status(), 400);
        let page = page.text().await.unwrap();
        assert!(page.contains("current password is not correct"), "{page}");
    }
    let other = http_client(true);
    let login = other
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = other
        .post(app.url("/login"))
        .form(&[
            ("request_id", hidden(&login, "request_id")),
            ("csrf_token", hidden(&login, "csrf_token")),
            ("username", USERNAME.to_string()),
            ("password", PASSWORD.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/account");
    let page = other.get(app.url(&refused)).send().await.unwrap();
    assert_eq!(page.status(), 200, "another session sees no refusal");
    assert!(
        !page
            .text()
            .await
            .unwrap()
            .contains("current password is not correct")
    );

    let page = get(&app, "/account").await.text().await.unwrap();
    let new_password = "a brand new passphrase";
    let form = vec![
        ("csrf_token", form_token(&page, "/account/password#password")),
        ("current_password", PASSWORD.to_string()),
        ("new_password", new_password.to_string()),
        ("confirm_password", new_password.to_string()),
    ];
    let res = post("/account/password", form).await.unwrap();
    see_other_then_reload(
        &app,
        res,
        "/account?notice=password-changed",
        "Your password has been changed",
    )
    .await;

    let page = get(&app, "/account").await.text().await.unwrap();
    let form = vec![("csrf_token", form_token(&page, "/account/signout"))];
    let res = post("/account/signout", form).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/logout/done");
    assert_eq!(get(&app, "/logout/done").await.status(), 200);
}

/// The audit events of `kind` so far.
async fn audit_count(app: &TestApp, kind: portcullis::storage::AuditKind) -> usize {
    let filter = portcullis::storage::AuditFilter {
        kinds: vec![kind],
        ..Default::default()
    };
    app.ctx().store.audit_events(&filter).await.unwrap().len()
}

/// The text of a page's alert (`role="alert"`), if it has one.
fn alert_text(page: &str) -> Option<String> {
    let at = page.find(r#"role="alert""#)?;
    let p = at + page[at..].find("<p>")? + 3;
    let end = p + page[p..].find("</p>")?;
    Some(crate::authorize::unescape(&page[p..end]))
}

const WRONG_PASSWORD: &str = "not alices password";
const INVALID_LOGIN: &str = "Incorrect username or password.";

/// O.1: a refused login (wrong password) answers 303 to the GET of the same login page; that GET
/// shows the error with 401 and the username typed (never the password), the same on every
/// reload, without posting the password again or counting another attempt; its fresh form works.
/// The account page's own login form does the same through `GET /account`.
#[tokio::test]
async fn post_redirect_get_refused_login_shows_the_error_on_reload_without_resubmitting() {
    let app = spawn_app().await;
    let page = partner_login_page(&app, "openid profile").await;
    let request_id = hidden(&page, "request_id");
    let res = app.post_login(&page, USERNAME, WRONG_PASSWORD).await;
    assert_eq!(res.status(), 303, "See Other, not the form again");
    assert!(set_cookie(&res, SESSION_COOKIE).is_none(), "not signed in");
    let next = location(&res);
    assert_eq!(
        next,
        format!("/login/continue?request_id={request_id}&notice=login-refused")
    );
    let failures = audit_count(&app, portcullis::storage::AuditKind::LoginFailure).await;
    assert_eq!(failures, 1);
    let mut shown = String::new();
    for load in 0..2 {
        let res = get(&app, &next).await;
        assert_eq!(res.status(), 401, "load {load}: the refusal's status");
        shown = res.text().await.unwrap();
        assert_eq!(alert_text(&shown).as_deref(), Some(INVALID_LOGIN), "load {load}");
        assert_eq!(hidden(&shown, "request_id"), request_id);
        assert!(shown.contains(r#"value="alice""#), "the username stays");
        assert!(!shown.contains(WRONG_PASSWORD), "never the password");
    }
    assert_eq!(
        audit_count(&app, portcullis::storage::AuditKind::LoginFailure).await,
        failures,
        "a reload is no attempt"
    );
    let plain = get(&app, &format!("/login/continue?request_id={request_id}")).await;
    assert_eq!(plain.status(), 200, "without the notice: the plain login page");
    assert_eq!(alert_text(&plain.text().await.unwrap()), None);
    let consent = app.submit_login(&shown, USERNAME, PASSWORD).await;
    assert_eq!(consent.status(), 200, "the reloaded page's form signs in");
    assert!(consent.text().await.unwrap().contains(r#"action="/consent""#));

    let account = http_client(true);
    let page = account.get(app.url("/account")).send().await.unwrap();
    let page = page.text().await.unwrap();
    let form = [
        ("request_id", String::new()),
        ("csrf_token", hidden(&page, "csrf_token")),
        ("username", USERNAME.to_string()),
        ("password", WRONG_PASSWORD.to_string()),
    ];
    let res = account.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=login-refused");
    for load in 0..2 {
        let res = account
            .get(app.url("/account?notice=login-refused"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "load {load}");
        let shown = res.text().await.unwrap();
        assert_eq!(alert_text(&shown).as_deref(), Some(INVALID_LOGIN));
        assert!(shown.contains(r#"value="alice""#));
    }
}

/// O.1, E.32: a refused login is parked for the browser that sent it: another browser loading
/// the same addresses sees neither the error nor the username.
#[tokio::test]
async fn post_redirect_get_refused_login_is_not_shown_to_another_browser() {
    let app = spawn_app().await;
    let page = partner_login_page(&app, "openid").await;
    let res = app.post_login(&page, "mallory-typed-this", WRONG_PASSWORD).await;
    let next = location(&res);
    let mine = get(&app, &next).await;
    assert_eq!(mine.status(), 401);
    assert!(mine.text().await.unwrap().contains("mallory-typed-this"));

    let other = http_client(true);
    let theirs = other.get(app.url(&next)).send().await.unwrap();
    assert_ne!(theirs.status(), 401);
    let theirs = theirs.text().await.unwrap();
    assert!(!theirs.contains("mallory-typed-this"), "{theirs}");
    assert!(!theirs.contains(INVALID_LOGIN), "{theirs}");

    let account = http_client(true);
    let page = account.get(app.url("/account")).send().await.unwrap();
    let page = page.text().await.unwrap();
    let form = [
        ("request_id", String::new()),
        ("csrf_token", hidden(&page, "csrf_token")),
        ("username", "typed-in-one-browser".to_string()),
        ("password", WRONG_PASSWORD.to_string()),
    ];
    let res = account.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(location(&res), "/account?notice=login-refused");
    let theirs = other
        .get(app.url("/account?notice=login-refused"))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 200, "another browser: the plain login form");
    let theirs = theirs.text().await.unwrap();
    assert!(!theirs.contains("typed-in-one-browser"));
    assert_eq!(alert_text(&theirs), None);
}

/// O.1, D.20, E.33: reloading the page of a refused login counts no attempt: the warning and the
/// lock come after exactly as many wrong passwords as without reloads, and a reload of the lock's
/// page shows the time still left.
#[tokio::test]
async fn post_redirect_get_reloading_a_refused_login_counts_no_attempt() {
    let app = spawn_app().await;
    let mut page = partner_login_page(&app, "openid").await;
    let mut messages = Vec::new();
    for _ in 0..5 {
        let res = app.post_login(&page, USERNAME, WRONG_PASSWORD).await;
        assert_eq!(res.status(), 303);
        let next = location(&res);
        for _ in 0..3 {
            page = get(&app, &next).await.text().await.unwrap();
        }
        messages.push(alert_text(&page).unwrap());
    }
    assert_eq!(messages[2], INVALID_LOGIN);
    assert_eq!(
        messages[3],
        "Incorrect username or password. One more failed attempt will lock sign-in for 15 minutes."
    );
    assert_eq!(messages[4], "Too many sign-in attempts. Try again in 15 minutes.");
    assert_eq!(
        audit_count(&app, portcullis::storage::AuditKind::LoginFailure).await,
        5
    );
    assert_eq!(
        audit_count(&app, portcullis::storage::AuditKind::LoginLockout).await,
        1
    );
    app.clock.advance(std::time::Duration::from_secs(3 * 60));
    let request_id = hidden(&page, "request_id");
    let reload = get(
        &app,
        &format!("/login/continue?request_id={request_id}&notice=login-refused"),
    )
    .await;
    assert_eq!(reload.status(), 401);
    assert_eq!(
        alert_text(&reload.text().await.unwrap()).as_deref(),
        Some("Too many sign-in attempts. Try again in 12 minutes."),
        "the lock counts down"
    );
}
