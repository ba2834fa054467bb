//! Client authentication at the back channel (docs/security.md C.11, C.12; RFC 6749 §2.3.1, §5.2).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portcullis::digest::sha256_hex;
use portcullis::storage::{Client, GrantType};
use serde_json::Value;

use crate::helpers::*;

/// A client whose id and secret both need form-url-encoding.
const ODD_ID: &str = "a:b c";
const ODD_SECRET: &str = "s3cr+t:with %25 and spaces";

async fn add_odd_client(app: &TestApp) {
    let client = Client {
        client_id: ODD_ID.into(),
        name: "Odd".into(),
        secret_hash: Some(sha256_hex(ODD_SECRET)),
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        grant_types: vec![GrantType::ClientCredentials],
        scopes: portcullis::oauth::scope::Scope::from_tokens(["api:read"]),
        first_party: true,
        id_token_signed_response_alg: portcullis::keys::Alg::Rs256,
        access_token_alg: None,
        created_at: 0,
        resource_server: false,
        require_pushed_authorization_requests: false,
        require_mfa: false,
        groups: Default::default(),
        backchannel_logout: None,
        upstreams: Vec::new(),
        password_login: true,
        registration: Default::default(),
    };
    app.ctx().store.create_client(client).await.unwrap();
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

async fn cc_with_header(app: &TestApp, authorization: &str) -> reqwest::Response {
    app.api
        .post(app.url("/token"))
        .header("Authorization", authorization)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn basic_credentials_are_form_url_decoded() {
    let app = spawn_app().await;
    add_odd_client(&app).await;
    let encoded = basic(&form_encode(ODD_ID), &form_encode(ODD_SECRET));
    assert!(encoded.len() > 6);
    let res = cc_with_header(&app, &encoded).await;
    assert_eq!(res.status(), 200, "urlencoded Basic credentials authenticate");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        crate::helpers::jwt_part(body["access_token"].as_str().unwrap(), 1)["client_id"],
        ODD_ID
    );

    // Percent-encoding of the space (instead of '+') decodes to the same client.
    let pct = basic("a%3Ab%20c", &form_encode(ODD_SECRET));
    assert_eq!(cc_with_header(&app, &pct).await.status(), 200);

    // Sent raw, the ':' in the id splits the credentials elsewhere: no such client.
    let raw = basic(ODD_ID, ODD_SECRET);
    error_body(cc_with_header(&app, &raw).await, 401, "invalid_client").await;
    // The secret is decoded too: its raw form is the wrong secret.
    let raw_secret = basic(&form_encode(ODD_ID), "s3cr+t:with %25 and spaces");
    error_body(cc_with_header(&app, &raw_secret).await, 401, "invalid_client").await;
}

#[tokio::test]
async fn client_secret_post_authenticates() {
    let app = spawn_app().await;
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL_ID),
            ("client_secret", app.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn two_authentication_methods_are_invalid_request() {
    let app = spawn_app().await;
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL_ID),
            ("client_secret", app.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_request").await;
    // A Basic client_id that differs from the body's client_id is refused too.
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", THIRD_PARTY_ID),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn wrong_client_secret_is_invalid_client_with_basic_challenge() {
    let app = spawn_app().await;
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(CONFIDENTIAL_ID, Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let challenge = header(&res, "www-authenticate");
    assert!(challenge.starts_with("Basic realm="), "challenge: {challenge:?}");
    error_body(res, 401, "invalid_client").await;

    // client_secret_post with a wrong secret: 401 invalid_client as well.
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL_ID),
            ("client_secret", "nope"),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 401, "invalid_client").await;

    // A secret that differs only in case, or is a prefix, fails too.
    let upper = app.client_secret.to_uppercase();
    let prefix = &app.client_secret[..app.client_secret.len() - 1];
    for secret in [upper.as_str(), prefix, ""] {
        let res = app
            .api
            .post(app.url("/token"))
            .basic_auth(CONFIDENTIAL_ID, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        error_body(res, 401, "invalid_client").await;
    }
}

#[tokio::test]
async fn unknown_client_is_invalid_client() {
    let app = spawn_app().await;
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth("no-such-client", Some(&app.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert!(header(&res, "www-authenticate").starts_with("Basic realm="));
    let unknown = error_body(res, 401, "invalid_client").await;
    // Same answer as a wrong secret: nothing tells which clients exist.
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(CONFIDENTIAL_ID, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let wrong = error_body(res, 401, "invalid_client").await;
    assert_eq!(unknown, wrong);
    // Unknown client via the body (`none`).
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "no-such-client"),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 401, "invalid_client").await;
    // No client identification at all.
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    error_body(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn public_client_sending_a_secret_is_invalid_client() {
    let app = spawn_app().await;
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", PUBLIC_ID),
            ("client_secret", "anything"),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 401, "invalid_client").await;
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(PUBLIC_ID, Some("anything"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert!(header(&res, "www-authenticate").starts_with("Basic realm="));
    error_body(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn confidential_client_without_its_secret_is_invalid_client() {
    let app = spawn_app().await;
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL_ID),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 401, "invalid_client").await;
}

/// C.12: the `Basic` challenge of `invalid_client` carries the error, its description and the
/// issuer as realm, so a relying-party library that reads only the challenge (openid-client 6)
/// can report `invalid_client`.
#[tokio::test]
async fn invalid_client_challenge_carries_the_error_and_the_issuer_as_realm() {
    let app = spawn_app().await;
    for path in ["/token", "/introspect", "/revoke"] {
        let res = app
            .api
            .post(app.url(path))
            .basic_auth(CONFIDENTIAL_ID, Some("not-the-secret"))
            .form(&[("grant_type", "client_credentials"), ("token", "x")])
            .send()
            .await
            .unwrap();
        let challenge = header(&res, "www-authenticate");
        let body = error_body(res, 401, "invalid_client").await;
        let expected = format!(
            r#"Basic realm="{}", error="invalid_client", error_description="{}""#,
            app.address,
            body["error_description"].as_str().unwrap()
        );
        assert_eq!(challenge, expected, "{path}");
    }
}
