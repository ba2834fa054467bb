//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a client_id that is
//! the URL of its metadata, fetched under strict SSRF rules (docs/clients.md; docs/security.md K.3).
//! The documents are served on loopback by `docserver`, which needs
//! `registration.cimd_allow_http_loopback`.

use serde_json::{Value, json};

use crate::authorize::assert_error_page;
use crate::docserver::{Answer, DocServer};
use crate::helpers::*;

const AGENT_REDIRECT: &str = "http://127.0.0.1:33418/callback";

fn document(client_id: &str) -> Value {
    json!({
        "client_id": client_id,
        "client_name": "Helpful Agent",
        "client_uri": "https://agent.example",
        "redirect_uris": [AGENT_REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "scope": "openid profile offline_access",
    })
}

async fn setup() -> (TestApp, DocServer, String) {
    let docs = DocServer::start().await;
    let app = spawn_app_with(|s| s.registration.cimd_allow_http_loopback = true).await;
    let client_id = docs.url("/oauth/client.json");
    let mut answer = Answer::json(&document(&client_id));
    answer
        .headers
        .push(("Cache-Control".into(), "max-age=600".into()));
    docs.set("/oauth/client.json", answer);
    (app, docs, client_id)
}

fn request<'a>(client_id: &'a str, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", AGENT_REDIRECT),
        ("scope", "openid profile"),
        ("state", "st-cimd"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

#[tokio::test]
async fn cimd_client_completes_code_with_pkce() {
    let (app, docs, client_id) = setup().await;
    let (verifier, challenge) = pkce_pair();
    let page = app
        .authorize(&request(&client_id, &challenge))
        .await
        .text()
        .await
        .unwrap();
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 200, "the consent page");
    let page = res.text().await.unwrap();
    assert!(
        page.contains(r#"<strong class="client-host">127.0.0.1</strong>"#),
        "the host name is prominent:\n{page}"
    );
    assert!(page.contains("Helpful Agent"));
    let res = app.submit_consent(&page, "allow").await;
    assert_eq!(res.status(), 303);
    let code = param(&location_params(&res), "code").unwrap();
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", AGENT_REDIRECT),
            ("client_id", &client_id),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    assert_eq!(
        jwt_part(tokens["access_token"].as_str().unwrap(), 1)["client_id"],
        client_id.as_str()
    );
    assert_eq!(docs.hits(), 1, "fetched once, then the recorded copy is used");

    // Consent is asked again every time, even for the same scopes.
    let (_, challenge) = pkce_pair();
    let res = app.authorize(&request(&client_id, &challenge)).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains(r#"action="/consent""#));
}

#[tokio::test]
async fn cimd_document_is_fetched_again_when_its_cache_lifetime_ends() {
    let (app, docs, client_id) = setup().await;
    let (_, challenge) = pkce_pair();
    assert_eq!(
        app.authorize(&request(&client_id, &challenge)).await.status(),
        200
    );
    assert_eq!(
        app.authorize(&request(&client_id, &challenge)).await.status(),
        200
    );
    assert_eq!(docs.hits(), 1);
    app.clock.advance(std::time::Duration::from_secs(601));
    // The document now names another client: the client stops working (fail closed).
    docs.set(
        "/oauth/client.json",
        Answer::json(&document("https://elsewhere.example/client.json")),
    );
    let res = app.authorize(&request(&client_id, &challenge)).await;
    assert_error_page(res, "invalid_client").await;
    assert_eq!(docs.hits(), 2);
}

async fn assert_refused(app: &TestApp, client_id: &str) {
    let (_, challenge) = pkce_pair();
    let res = app.authorize(&request(client_id, &challenge)).await;
    assert_error_page(res, "invalid_client").await;
    assert!(
        app.ctx().store.client_by_id(client_id).await.unwrap().is_none(),
        "nothing recorded"
    );
}

#[tokio::test]
async fn cimd_on_a_private_address_is_refused() {
    let (app, docs, _) = setup().await;
    // https to loopback and private addresses: refused before connecting, whatever the switch.
    let port = docs.base.rsplit(':').next().unwrap().to_string();
    for client_id in [
        format!("https://127.0.0.1:{port}/oauth/client.json"),
        "https://10.1.2.3/client.json".to_string(),
        "https://169.254.169.254/latest/client.json".to_string(),
        format!("https://localhost:{port}/oauth/client.json"),
    ] {
        assert_refused(&app, &client_id).await;
    }
    assert_eq!(docs.hits(), 0);
}

#[tokio::test]
async fn cimd_redirect_is_not_followed() {
    let (app, docs, _) = setup().await;
    let client_id = docs.url("/moved.json");
    docs.set(
        "/moved.json",
        Answer {
            status: 302,
            headers: vec![("Location".into(), docs.url("/oauth/client.json"))],
            body: Vec::new(),
        },
    );
    assert_refused(&app, &client_id).await;
    assert_eq!(docs.hits(), 1, "the redirect target was never fetched");
}

#[tokio::test]
async fn cimd_oversize_document_is_refused() {
    let (app, docs, _) = setup().await;
    let client_id = docs.url("/big.json");
    let mut doc = document(&client_id);
    doc["padding"] = json!("x".repeat(6 * 1024));
    docs.set("/big.json", Answer::json(&doc));
    assert_refused(&app, &client_id).await;
}

#[tokio::test]
async fn cimd_mismatched_client_id_is_refused() {
    let (app, docs, _) = setup().await;
    let client_id = docs.url("/liar.json");
    docs.set(
        "/liar.json",
        Answer::json(&document(&docs.url("/oauth/client.json"))),
    );
    assert_refused(&app, &client_id).await;
}

#[tokio::test]
async fn cimd_confidential_client_with_a_secret_method_is_refused() {
    let (app, docs, _) = setup().await;
    let client_id = docs.url("/secret.json");
    let mut doc = document(&client_id);
    doc["token_endpoint_auth_method"] = json!("client_secret_basic");
    docs.set("/secret.json", Answer::json(&doc));
    assert_refused(&app, &client_id).await;
}

#[tokio::test]
async fn cimd_over_http_without_the_loopback_switch_is_refused() {
    let docs = DocServer::start().await;
    let app = spawn_app().await;
    let client_id = docs.url("/oauth/client.json");
    docs.set("/oauth/client.json", Answer::json(&document(&client_id)));
    let (_, challenge) = pkce_pair();
    let res = app.authorize(&request(&client_id, &challenge)).await;
    assert_error_page(res, "invalid_request").await;
    assert_eq!(docs.hits(), 0, "never fetched");
}

#[tokio::test]
async fn cimd_switch_off_refuses_document_client_ids() {
    let docs = DocServer::start().await;
    let app = spawn_app_with(|s| {
        s.registration.cimd_allow_http_loopback = true;
        s.registration.client_id_metadata_documents = false;
    })
    .await;
    let client_id = docs.url("/oauth/client.json");
    docs.set("/oauth/client.json", Answer::json(&document(&client_id)));
    let (_, challenge) = pkce_pair();
    let res = app.authorize(&request(&client_id, &challenge)).await;
    assert_error_page(res, "invalid_request").await;
    assert_eq!(docs.hits(), 0);
    let doc: Value = app
        .api
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["client_id_metadata_document_supported"], false);
}

#[tokio::test]
async fn discovery_advertises_cimd_support_by_default() {
    let app = spawn_app().await;
    let doc: Value = app
        .api
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["client_id_metadata_document_supported"], true);
}
