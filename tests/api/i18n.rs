//! docs/guides/languages.md: the pages in English and German. OpenID Core §3.1.2.1 `ui_locales`
//! (first supported wins, kept with the pending request), else `Accept-Language` (RFC 9110
//! §12.5.4, by q-value), else English; OpenID Discovery `ui_locales_supported`.

use crate::helpers::*;

fn partner_request(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    let (_, challenge) = pkce_pair();
    let mut request = vec![
        ("response_type", "code".to_string()),
        ("client_id", THIRD_PARTY_ID.to_string()),
        ("redirect_uri", REDIRECT_URI.to_string()),
        ("scope", "openid profile".to_string()),
        ("state", "st-i18n".to_string()),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256".to_string()),
    ];
    request.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    request
}

/// GET /authorize as the partner client with `extra` parameters and an `Accept-Language`; the login page.
async fn login_page(app: &TestApp, extra: &[(&'static str, &'static str)], accept: Option<&str>) -> String {
    let mut req = app
        .browser
        .get(app.url("/authorize"))
        .query(&partner_request(extra));
    if let Some(accept) = accept {
        req = req.header("Accept-Language", accept);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200, "the login page");
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"action="/login""#), "{page}");
    page
}

fn is_german(page: &str) -> bool {
    page.contains(r#"<html lang="de">"#)
}

fn is_english(page: &str) -> bool {
    page.contains(r#"<html lang="en">"#)
}

#[tokio::test]
async fn ui_locales_de_gives_german_login_and_consent_pages() {
    let app = spawn_app().await;
    let page = login_page(&app, &[("ui_locales", "de")], None).await;
    assert!(is_german(&page), "{page}");
    assert!(
        page.contains("Benutzername") && page.contains("Passwort"),
        "{page}"
    );
    assert!(page.contains("Anmelden"), "{page}");
    assert!(!page.contains(">Username<"), "{page}");

    // The next page of the same request is German too, without ui_locales or Accept-Language.
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 200, "the consent page");
    let consent = res.text().await.unwrap();
    assert!(consent.contains(r#"action="/consent""#), "{consent}");
    assert!(is_german(&consent), "{consent}");
    assert!(consent.contains("möchte auf Ihr Konto zugreifen"), "{consent}");
    assert!(
        consent.contains("Erlauben") && consent.contains("Ablehnen"),
        "{consent}"
    );
    assert!(
        consent.contains("Sie als alice anmelden"),
        "scopes described in German: {consent}"
    );
}

#[tokio::test]
async fn ui_locales_login_error_is_german() {
    let app = spawn_app().await;
    let page = login_page(&app, &[("ui_locales", "de")], None).await;
    let res = app.submit_login(&page, USERNAME, "wrong password").await;
    let page = res.text().await.unwrap();
    assert!(is_german(&page), "{page}");
    assert!(page.contains("Benutzername oder Passwort ist falsch."), "{page}");
}

#[tokio::test]
async fn accept_language_de_gives_german() {
    let app = spawn_app().await;
    let page = login_page(&app, &[], Some("de-DE,de;q=0.9")).await;
    assert!(is_german(&page), "{page}");
    assert!(page.contains("Benutzername"), "{page}");
}

#[tokio::test]
async fn accept_language_q_values_are_honoured() {
    let app = spawn_app().await;
    let page = login_page(&app, &[], Some("de;q=0.4, en;q=0.8")).await;
    assert!(is_english(&page), "{page}");
    let page = login_page(&app, &[], Some("en;q=0.4, de;q=0.8")).await;
    assert!(is_german(&page), "{page}");
}

#[tokio::test]
async fn ui_locales_first_supported_wins() {
    let app = spawn_app().await;
    let page = login_page(&app, &[("ui_locales", "fr de")], None).await;
    assert!(is_german(&page), "{page}");
}

#[tokio::test]
async fn unsupported_languages_give_english() {
    let app = spawn_app().await;
    let page = login_page(&app, &[("ui_locales", "fr ja")], Some("it, es;q=0.5")).await;
    assert!(is_english(&page), "{page}");
    assert!(page.contains("Username"), "{page}");
    let page = login_page(&app, &[], None).await;
    assert!(is_english(&page), "{page}");
}

#[tokio::test]
async fn ui_locales_wins_over_accept_language() {
    let app = spawn_app().await;
    let page = login_page(&app, &[("ui_locales", "de")], Some("en")).await;
    assert!(is_german(&page), "{page}");
    let page = login_page(&app, &[("ui_locales", "en")], Some("de")).await;
    assert!(is_english(&page), "{page}");
}

#[tokio::test]
async fn discovery_lists_ui_locales_supported() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .api
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["ui_locales_supported"], serde_json::json!(["en", "de"]));
}

/// An error page (unknown client: never redirected) in German, with its technical details.
#[tokio::test]
async fn error_page_is_german() {
    let app = spawn_app().await;
    let res = app
        .browser
        .get(app.url("/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", "no-such-client"),
            ("redirect_uri", REDIRECT_URI),
            ("ui_locales", "de"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(is_german(&page), "{page}");
    assert!(page.contains("Dieser Anmeldelink funktioniert nicht"), "{page}");
    assert!(page.contains("Technische Details"), "{page}");

    let res = app
        .browser
        .get(app.url("/authorize?client_id=no-such-client"))
        .header("Accept-Language", "de")
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(is_german(&page), "{page}");
}

/// OpenID Core §3.1.2.1 with a POSTed authorization request (§3.1.2.1 allows POST with a form
/// body): its `ui_locales` chooses the language of the login page and of an error page, as in
/// the query.
#[tokio::test]
async fn ui_locales_in_a_posted_authorization_request_chooses_the_language() {
    let app = spawn_app().await;
    let res = app
        .browser
        .post(app.url("/authorize"))
        .header("Accept-Language", "en")
        .form(&partner_request(&[("ui_locales", "fr de")]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the login page");
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"action="/login""#), "{page}");
    assert!(is_german(&page) && page.contains("Benutzername"), "{page}");

    let res = app
        .browser
        .post(app.url("/authorize"))
        .header("Accept-Language", "en")
        .form(&[
            ("response_type", "code"),
            ("client_id", "no-such-client"),
            ("redirect_uri", REDIRECT_URI),
            ("ui_locales", "de"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(is_german(&page), "{page}");
    assert!(page.contains("Dieser Anmeldelink funktioniert nicht"), "{page}");

    let res = app
        .browser
        .post(app.url("/authorize"))
        .header("Accept-Language", "de")
        .form(&partner_request(&[("ui_locales", "en")]))
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(is_english(&page), "ui_locales wins over Accept-Language: {page}");
}

/// The built-in footer is a catalog message in the page's language; a configured footer is shown
/// as configured, in every language.
#[tokio::test]
async fn default_footer_is_in_the_pages_language_and_a_configured_one_stays() {
    let app = spawn_app().await;
    let page = login_page(&app, &[], Some("de")).await;
    assert!(
        page.contains("Geschützt durch Portcullis · OpenID Connect"),
        "{page}"
    );
    assert!(!page.contains("Protected by"), "{page}");
    let page = login_page(&app, &[], Some("en")).await;
    assert!(
        page.contains("Protected by Portcullis · OpenID Connect"),
        "{page}"
    );

    let app = spawn_app_with(|s| s.branding.footer_text = "Acme Corp · Anmeldung".into()).await;
    let page = login_page(&app, &[], Some("de")).await;
    assert!(page.contains("Acme Corp · Anmeldung"), "{page}");
    assert!(!page.contains("Geschützt durch"), "{page}");
}
