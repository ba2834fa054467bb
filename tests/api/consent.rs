//! docs/security.md D.23, OpenID Core §3.1.2.4: explicit, remembered consent for third-party clients;
//! first-party clients skip it.

use crate::authorize::{assert_login_page, assert_redirect_error, redirect_params, sign_in};
use crate::helpers::*;

/// D.23: the third-party client gets the consent page, naming it with its name escaped, and no code.
#[tokio::test]
async fn third_party_client_shows_consent_page_with_escaped_name() {
    let app = spawn_app().await;
    let res = partner_login(&app, "openid profile").await;
    assert_eq!(res.status(), 200, "the consent page, not a redirect");
    assert!(res.headers().get("location").is_none());
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"action="/consent""#), "{page}");
    assert!(!page.contains("Partner <Corp>"), "the client name is escaped");
    assert!(
        page.contains("Partner &lt;Corp&gt;") || page.contains("Partner &#60;Corp&#62;"),
        "the escaped client name is shown:\n{page}"
    );
    assert!(page.contains("profile"), "the requested scopes are listed");
    assert!(!page.contains("code="), "no code before consent");
}

/// D.23: denying is `access_denied` back to the client, and nothing is remembered.
#[tokio::test]
async fn denied_consent_redirects_with_access_denied() {
    let app = spawn_app().await;
    let page = partner_login(&app, "openid").await.text().await.unwrap();
    let res = app.submit_consent(&page, "deny").await;
    assert_redirect_error(&app, &res, REDIRECT_URI, "access_denied", "st-p");

    let res = authorize(&app, &partner_request("openid", None)).await;
    assert_consent_page(res).await;
}

/// D.23: allowing returns a code, and the next request for the same scopes skips the consent page.
#[tokio::test]
async fn allowed_consent_issues_code_and_is_remembered() {
    let app = spawn_app().await;
    let page = partner_login(&app, "openid profile").await.text().await.unwrap();
    let res = app.submit_consent(&page, "allow").await;
    let params = redirect_params(&res, REDIRECT_URI);
    assert!(param(&params, "code").is_some());
    assert_eq!(param(&params, "state").as_deref(), Some("st-p"));
    assert_eq!(param(&params, "iss").as_deref(), Some(app.address.as_str()));

    let res = authorize(&app, &partner_request("openid profile", None)).await;
    assert!(
        param(&redirect_params(&res, REDIRECT_URI), "code").is_some(),
        "consent remembered"
    );
    let res = authorize(&app, &partner_request("openid", None)).await;
    assert!(
        param(&redirect_params(&res, REDIRECT_URI), "code").is_some(),
        "a narrower scope is covered"
    );

    // A scope never consented to asks again.
    let res = authorize(&app, &partner_request("openid email", None)).await;
    assert_consent_page(res).await;
}

/// D.23, OpenID Core §3.1.2.1: `prompt=consent` shows the consent page even when remembered.
#[tokio::test]
async fn prompt_consent_shows_the_consent_page_again() {
    let app = spawn_app().await;
    let page = partner_login(&app, "openid").await.text().await.unwrap();
    let res = app.submit_consent(&page, "allow").await;
    assert!(param(&redirect_params(&res, REDIRECT_URI), "code").is_some());

    let res = authorize(&app, &partner_request("openid", Some("consent"))).await;
    let page = assert_consent_page(res).await;
    let res = app.submit_consent(&page, "allow").await;
    assert!(param(&redirect_params(&res, REDIRECT_URI), "code").is_some());
}

/// OpenID Core §3.1.2.6: `prompt=none` without consent is `consent_required`, by redirect.
#[tokio::test]
async fn prompt_none_without_consent_is_consent_required() {
    let app = spawn_app().await;
    sign_in(&app).await;
    let res = authorize(&app, &partner_request("openid", Some("none"))).await;
    assert_redirect_error(&app, &res, REDIRECT_URI, "consent_required", "st-p");
}

/// D.23: the first-party web-app never shows the consent page.
#[tokio::test]
async fn first_party_client_never_shows_consent() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let res = app
        .authorize(&app.code_request("st", "n", &challenge, "openid"))
        .await;
    let page = assert_login_page(res).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert!(
        param(&redirect_params(&res, REDIRECT_URI), "code").is_some(),
        "code right after login"
    );

    let res = app
        .authorize(&app.code_request("st", "n", &challenge, "openid profile email api:read"))
        .await;
    assert!(
        param(&redirect_params(&res, REDIRECT_URI), "code").is_some(),
        "more scopes, still no consent"
    );
    assert!(
        app.state
            .ctx
            .store
            .consent(&app.user_id, CONFIDENTIAL_ID)
            .await
            .unwrap()
            .is_none()
    );
}

// support

fn partner_request(scope: &str, prompt: Option<&'static str>) -> Vec<(&'static str, String)> {
    let (_, challenge) = pkce_pair();
    let mut request = vec![
        ("response_type", "code".to_string()),
        ("client_id", THIRD_PARTY_ID.to_string()),
        ("redirect_uri", REDIRECT_URI.to_string()),
        ("scope", scope.to_string()),
        ("state", "st-p".to_string()),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256".to_string()),
    ];
    if let Some(p) = prompt {
        request.push(("prompt", p.to_string()));
    }
    request
}

/// Authorize as the partner and log in; returns the response to the login (the consent page).
async fn partner_login(app: &TestApp, scope: &str) -> reqwest::Response {
    let request = partner_request(scope, None);
    let res = app
        .browser
        .get(app.url("/authorize"))
        .query(&request)
        .send()
        .await
        .unwrap();
    let page = assert_login_page(res).await;
    app.submit_login(&page, USERNAME, PASSWORD).await
}

async fn assert_consent_page(res: reqwest::Response) -> String {
    assert_eq!(res.status(), 200, "the consent page");
    assert!(res.headers().get("location").is_none());
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"action="/consent""#), "{page}");
    page
}

async fn authorize(app: &TestApp, request: &[(&'static str, String)]) -> reqwest::Response {
    app.browser
        .get(app.url("/authorize"))
        .query(request)
        .send()
        .await
        .unwrap()
}

/// OpenID Core §3.1.2.1: with `prompt=login` the login made for the request also counts after the
/// consent page (no second login page).
#[tokio::test]
async fn prompt_login_is_satisfied_by_the_login_before_consent() {
    let app = spawn_app().await;
    sign_in(&app).await;
    let res = authorize(&app, &partner_request("openid", Some("login"))).await;
    let page = assert_login_page(res).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    let page = assert_consent_page(res).await;
    let res = app.submit_consent(&page, "allow").await;
    assert!(param(&redirect_params(&res, REDIRECT_URI), "code").is_some());
}
