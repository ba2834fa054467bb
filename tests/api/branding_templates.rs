//! docs/configuration.md, "Page templates"; docs/security.md O.6: `branding.dir/templates/NAME.html`
//! replaces the built-in page NAME, compiled at start-up (an error refuses the start), escaped,
//! translated, under the same CSP; a failing override answers the built-in error page 500.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use portcullis::{Application, Clock};

use crate::helpers::*;

/// The example set shipped in examples/branding (layout, login, consent, error).
fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/branding")
}

const EXAMPLE: &str = r#"<body class="example-branding">"#;

fn partner_request(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    let (_, challenge) = pkce_pair();
    let mut request = vec![
        ("response_type", "code".to_string()),
        ("client_id", THIRD_PARTY_ID.to_string()),
        ("redirect_uri", REDIRECT_URI.to_string()),
        ("scope", "openid profile offline_access".to_string()),
        ("state", "st-brand".to_string()),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256".to_string()),
    ];
    request.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    request
}

async fn authorize(app: &TestApp, extra: &[(&'static str, &'static str)]) -> reqwest::Response {
    app.browser
        .get(app.url("/authorize"))
        .query(&partner_request(extra))
        .send()
        .await
        .unwrap()
}

/// The override of login.html (and consent.html) is served, its forms work end to end, user
/// data in it is escaped, the CSP is the strict one, and a page without an override (the
/// account page) stays built-in.
#[tokio::test]
async fn login_override_is_served_escaped_and_other_pages_stay_built_in() {
    let app = spawn_app_with(|s| s.branding.dir = Some(example_dir())).await;
    let res = authorize(&app, &[("login_hint", "<script>alert(1)</script>")]).await;
    assert_eq!(res.status(), 200);
    let csp = header(&res, "content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let page = res.text().await.unwrap();
    assert!(page.contains(EXAMPLE), "the override: {page}");
    assert!(!page.contains("<script"), "escaped: {page}");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{page}"
    );
    assert!(
        page.contains("Partner &lt;Corp&gt;"),
        "client name escaped: {page}"
    );

    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 200, "the consent page");
    let consent = res.text().await.unwrap();
    assert!(consent.contains(EXAMPLE), "the consent override: {consent}");
    assert!(consent.contains(r#"<span class="avatar">P</span>"#), "{consent}");
    assert!(consent.contains("offline-note"), "asks_offline_access: {consent}");
    let res = app.submit_consent(&consent, "allow").await;
    assert_eq!(res.status(), 303);
    assert!(
        location(&res).starts_with(REDIRECT_URI),
        "a code through the overrides"
    );

    let account = app.browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(account.status(), 200);
    let account = account.text().await.unwrap();
    assert!(!account.contains(EXAMPLE), "built-in: {account}");
    assert!(account.contains(r#"<main id="main" class="card"#), "{account}");
}

/// The override's `t("login-title")` and `lang` follow `ui_locales=de`.
#[tokio::test]
async fn override_is_translated_with_ui_locales_de() {
    let app = spawn_app_with(|s| s.branding.dir = Some(example_dir())).await;
    let page = authorize(&app, &[("ui_locales", "de")])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(EXAMPLE), "{page}");
    assert!(page.contains(r#"<html lang="de">"#), "{page}");
    assert!(page.contains(r#"<h1 class="title">Anmelden</h1>"#), "{page}");
    assert!(page.contains("Benutzername"), "{page}");
}

/// An override that fails while rendering (here a misspelt field, strict undefined) is a 500
/// with the built-in error page, never a blank page, even though error.html is overridden; its
/// reference is the request id of the log line.
#[tokio::test]
async fn failing_override_answers_the_built_in_error_page_500() {
    let brand = crate::tempdir::tempdir().unwrap();
    let templates = brand.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    std::fs::write(templates.join("login.html"), "<p>{{ client_nmae }}</p>").unwrap();
    std::fs::write(templates.join("error.html"), r#"<p class="mine">{{ title }}</p>"#).unwrap();
    let dir = brand.path().to_path_buf();
    let app = spawn_app_with(move |s| s.branding.dir = Some(dir)).await;
    let res = authorize(&app, &[]).await;
    assert_eq!(res.status(), 500);
    let request_id = header(&res, "x-request-id");
    let page = res.text().await.unwrap();
    assert!(!page.contains("class=\"mine\""), "{page}");
    assert!(
        page.contains(r#"<main id="main" class="card"#),
        "the built-in page: {page}"
    );
    assert!(page.contains(&format!("<code>{request_id}</code>")), "{page}");

    // Another request's error page is the override again.
    let res = app
        .browser
        .post(app.url("/login"))
        .form(&[("request_id", "nope"), ("csrf_token", "nope")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    assert!(res.text().await.unwrap().contains("class=\"mine\""));
}

/// A syntax error in an override refuses the start, naming the file and the line.
#[tokio::test]
async fn syntax_error_in_an_override_refuses_to_start() {
    let dir = crate::tempdir::tempdir().unwrap();
    let templates = dir.path().join("brand/templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("consent.html"),
        "<h1>\n{{ client_name }}\n{% for %}</h1>",
    )
    .unwrap();
    let mut settings = test_settings(dir.path());
    settings.branding.dir = Some(dir.path().join("brand"));
    let validated = settings.validate().unwrap_err().to_string();
    assert!(
        validated.contains("consent.html line 3"),
        "config check: {validated}"
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    settings.issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let err = Application::build_with(settings, listener, Clock::system())
        .await
        .err()
        .expect("the server must not start")
        .to_string();
    assert!(err.contains("consent.html line 3"), "{err}");
    assert!(err.contains("syntax error"), "{err}");
}
