//! Dynamic Client Registration (RFC 7591) and its management protocol (RFC 7592):
//! docs/clients.md, "Clients that register themselves"; docs/security.md K.2.

use portcullis::config::RegistrationMode;
use portcullis::digest::sha256_hex;
use portcullis::storage::{AuditFilter, AuditKind, ClientSource, RegistrationToken};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::private_key_jwt::{ASSERTION_TYPE, ClientKey};

const NATIVE_REDIRECT: &str = "http://127.0.0.1:4567/callback";

async fn open_app() -> TestApp {
    spawn_app_with(|s| s.registration.mode = RegistrationMode::Open).await
}

async fn register(app: &TestApp, body: &Value, token: Option<&str>) -> reqwest::Response {
    let mut req = app.api.post(app.url("/register")).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

fn public_client() -> Value {
    json!({
        "client_name": "Agent <CLI>",
        "redirect_uris": [NATIVE_REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "scope": "openid profile offline_access",
    })
}

async fn discovery(app: &TestApp) -> Value {
    app.api
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Stores an initial access token; returns it.
async fn initial_token(app: &TestApp, expires_in: Option<i64>, max_uses: Option<i64>) -> String {
    let token = portcullis::random::secret_256();
    app.ctx()
        .store
        .create_registration_token(RegistrationToken {
            token_hash: sha256_hex(&token),
            created_at: app.clock.now(),
            expires_at: expires_in.map(|s| app.clock.now() + s),
            max_uses,
            uses: 0,
        })
        .await
        .unwrap();
    token
}

#[tokio::test]
async fn registration_off_is_404_and_not_in_discovery() {
    let app = spawn_app().await;
    let res = register(&app, &public_client(), None).await;
    assert_eq!(res.status(), 404);
    let res = app
        .api
        .get(app.url("/register/anything"))
        .bearer_auth("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(discovery(&app).await.get("registration_endpoint").is_none());
}

#[tokio::test]
async fn registration_endpoint_is_in_discovery_when_on() {
    for mode in [RegistrationMode::Open, RegistrationMode::Token] {
        let app = spawn_app_with(|s| s.registration.mode = mode).await;
        assert_eq!(
            discovery(&app).await["registration_endpoint"],
            app.url("/register")
        );
    }
}

#[tokio::test]
async fn token_mode_without_a_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app_with(|s| s.registration.mode = RegistrationMode::Token).await;
    let res = register(&app, &public_client(), None).await;
    assert_eq!(res.status(), 401);
    assert!(header(&res, "www-authenticate").starts_with("Bearer"));
    let res = register(&app, &public_client(), Some("not-a-token")).await;
    assert_eq!(res.status(), 401);
    assert!(header(&res, "www-authenticate").contains("invalid_token"));
}

#[tokio::test]
async fn initial_access_token_allows_max_uses_registrations() {
    let app = spawn_app_with(|s| s.registration.mode = RegistrationMode::Token).await;
    let token = initial_token(&app, None, Some(2)).await;
    for _ in 0..2 {
        assert_eq!(register(&app, &public_client(), Some(&token)).await.status(), 201);
    }
    let res = register(&app, &public_client(), Some(&token)).await;
    assert_eq!(res.status(), 401, "used up");
}

#[tokio::test]
async fn expired_initial_access_token_is_refused() {
    let app = spawn_app_with(|s| s.registration.mode = RegistrationMode::Token).await;
    let token = initial_token(&app, Some(60), None).await;
    assert_eq!(register(&app, &public_client(), Some(&token)).await.status(), 201);
    app.clock.advance(std::time::Duration::from_secs(61));
    assert_eq!(register(&app, &public_client(), Some(&token)).await.status(), 401);
}

#[tokio::test]
async fn open_registration_answers_with_rfc7591_client_information() {
    let app = open_app().await;
    let res = register(&app, &public_client(), None).await;
    assert_eq!(res.status(), 201);
    assert_no_store(&res);
    let body: Value = res.json().await.unwrap();
    let id = body["client_id"].as_str().unwrap();
    assert!(body.get("client_secret").is_none(), "public: no secret");
    assert_eq!(body["token_endpoint_auth_method"], "none");
    assert_eq!(body["application_type"], "native");
    assert_eq!(body["redirect_uris"], json!([NATIVE_REDIRECT]));
    assert_eq!(
        body["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(body["response_types"], json!(["code"]));
    assert_eq!(body["client_name"], "Agent <CLI>");
    assert!(body["client_id_issued_at"].is_i64());
    assert_eq!(
        body["registration_client_uri"],
        app.url(&format!("/register/{id}"))
    );
    assert!(body["registration_access_token"].as_str().unwrap().len() >= 40);
    let stored = app.ctx().store.client_by_id(id).await.unwrap().unwrap();
    assert!(!stored.first_party, "registered clients are third party");
    assert_eq!(stored.registration.source, ClientSource::Dynamic);
    assert_ne!(
        stored.registration.access_token_hash.as_deref(),
        body["registration_access_token"].as_str(),
        "the registration access token is stored hashed"
    );
    let events = app
        .ctx()
        .store
        .audit_events(&AuditFilter {
            kinds: vec![AuditKind::ClientRegistered],
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].client_id.as_deref(), Some(id));
}

#[tokio::test]
async fn registered_client_completes_code_with_pkce_after_consent() {
    let app = open_app().await;
    let body: Value = register(&app, &public_client(), None).await.json().await.unwrap();
    let id = body["client_id"].as_str().unwrap();
    let (verifier, challenge) = pkce_pair();
    let params = [
        ("response_type", "code"),
        ("client_id", id),
        ("redirect_uri", NATIVE_REDIRECT),
        ("scope", "openid profile"),
        ("state", "st-r"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let page = app.authorize(&params).await.text().await.unwrap();
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 200, "the consent page is shown");
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"action="/consent""#));
    assert!(page.contains("Agent &lt;CLI&gt;") || page.contains("Agent &#60;CLI&#62;"));
    let res = app.submit_consent(&page, "allow").await;
    assert_eq!(res.status(), 303);
    let code = param(&location_params(&res), "code").unwrap();
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", NATIVE_REDIRECT),
            ("client_id", id),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    assert!(tokens["id_token"].is_string());
    assert_eq!(
        jwt_part(tokens["access_token"].as_str().unwrap(), 1)["client_id"],
        id
    );
}

#[tokio::test]
async fn registered_confidential_client_gets_a_secret_that_works() {
    let app = open_app().await;
    let res = register(
        &app,
        &json!({
            "client_name": "Service",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_post",
            "scope": "openid",
        }),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(body["client_secret_expires_at"], 0);
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", body["client_id"].as_str().unwrap()),
            ("client_secret", body["client_secret"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn registered_private_key_jwt_client_authenticates_with_its_jwks() {
    let app = open_app().await;
    let key = ClientKey::es256("agent-key");
    let res = register(
        &app,
        &json!({
            "client_name": "Agent",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": ClientKey::jwks(&[&key]),
            "scope": "openid",
        }),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("client_secret").is_none());
    let id = body["client_id"].as_str().unwrap();
    let claims = crate::private_key_jwt::claims(&app, id);
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &key.sign(&claims)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn invalid_redirect_uri_is_refused_with_invalid_redirect_uri() {
    let app = open_app().await;
    for uri in [
        "https://app.example/cb#fragment",
        "https://*.example/cb",
        "http://app.example/cb",
        "javascript:alert(1)",
    ] {
        let mut body = public_client();
        body["redirect_uris"] = json!([uri]);
        error_body(register(&app, &body, None).await, 400, "invalid_redirect_uri").await;
    }
    // A web client may not use loopback http.
    let mut body = public_client();
    body["application_type"] = json!("web");
    error_body(register(&app, &body, None).await, 400, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn invalid_client_metadata_is_refused_with_invalid_client_metadata() {
    let app = open_app().await;
    let cases = [
        json!({ "grant_types": ["authorization_code", "password"] }),
        json!({ "scope": "openid portcullis:admin" }),
        json!({ "token_endpoint_auth_method": "client_secret_jwt" }),
        json!({ "response_types": ["token"] }),
        json!({ "token_endpoint_auth_method": "private_key_jwt" }),
        json!({ "application_type": "desktop" }),
        json!({ "redirect_uris": "not-a-list" }),
    ];
    for change in cases {
        let mut body = public_client();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        error_body(register(&app, &body, None).await, 400, "invalid_client_metadata").await;
    }
    assert_eq!(
        app.ctx().store.count_clients().await.unwrap(),
        3,
        "nothing registered"
    );
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let app = spawn_app_with(|s| {
        s.registration.mode = RegistrationMode::Open;
        s.registration.per_ip = 2;
    })
    .await;
    for _ in 0..2 {
        assert_eq!(register(&app, &public_client(), None).await.status(), 201);
    }
    let res = register(&app, &public_client(), None).await;
    assert_eq!(res.status(), 429);
    assert!(!header(&res, "retry-after").is_empty());
}

/// RFC 7592 §2.1-2.3: read, replace and delete with the registration access token; anything else
/// is 401.
#[tokio::test]
async fn rfc7592_read_update_and_delete() {
    let app = open_app().await;
    let body: Value = register(&app, &public_client(), None).await.json().await.unwrap();
    let id = body["client_id"].as_str().unwrap().to_string();
    let uri = body["registration_client_uri"].as_str().unwrap().to_string();
    let rat = body["registration_access_token"].as_str().unwrap().to_string();

    let res = app.api.get(&uri).bearer_auth(&rat).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let read: Value = res.json().await.unwrap();
    assert_eq!(read["client_id"], id.as_str());
    assert_eq!(read["redirect_uris"], json!([NATIVE_REDIRECT]));
    assert!(read.get("registration_access_token").is_none());

    for bad in [None, Some("wrong")] {
        let mut req = app.api.get(&uri);
        if let Some(t) = bad {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert!(header(&res, "www-authenticate").starts_with("Bearer"));
    }
    // Another client's token does not manage this one.
    let other: Value = register(&app, &public_client(), None).await.json().await.unwrap();
    let res = app
        .api
        .get(&uri)
        .bearer_auth(other["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let mut update = public_client();
    update["client_id"] = json!(id);
    update["client_name"] = json!("Agent v2");
    update["redirect_uris"] = json!(["http://127.0.0.1:4567/cb2"]);
    let res = app
        .api
        .put(&uri)
        .bearer_auth(&rat)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["client_name"], "Agent v2");
    let stored = app.ctx().store.client_by_id(&id).await.unwrap().unwrap();
    assert_eq!(
        stored.redirect_uris,
        vec!["http://127.0.0.1:4567/cb2".to_string()]
    );
    assert!(!stored.first_party);
    // An update under the same rules: a bad redirect URI is refused and nothing changes.
    update["redirect_uris"] = json!(["https://a.example/cb#x"]);
    let res = app
        .api
        .put(&uri)
        .bearer_auth(&rat)
        .json(&update)
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_redirect_uri").await;
    // The update must name the client.
    update["redirect_uris"] = json!([NATIVE_REDIRECT]);
    update["client_id"] = json!("someone-else");
    let res = app
        .api
        .put(&uri)
        .bearer_auth(&rat)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    let res = app.api.delete(&uri).bearer_auth(&rat).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(app.ctx().store.client_by_id(&id).await.unwrap().is_none());
    let res = app.api.get(&uri).bearer_auth(&rat).send().await.unwrap();
    assert_eq!(res.status(), 401, "gone: the token no longer works");
}

#[tokio::test]
async fn admin_clients_cannot_be_managed_through_rfc7592() {
    let app = open_app().await;
    let res = app
        .api
        .get(app.url(&format!("/register/{CONFIDENTIAL_ID}")))
        .bearer_auth(&app.client_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

/// `portcullis registration token --max-uses 1 --json` makes a token `/register` accepts once.
#[tokio::test]
async fn cli_made_initial_access_token_registers_one_client() {
    let cli = crate::cli::Cli::new();
    let made = cli.json(
        &[
            "registration",
            "token",
            "--max-uses",
            "1",
            "--ttl",
            "600",
            "--json",
        ],
        None,
    );
    let token = made["initial_access_token"].as_str().unwrap().to_string();
    assert_eq!(made["max_uses"], 1);
    assert!(made["expires_at"].is_i64());
    cli.fails(&["registration", "token", "--max-uses", "0"], None);

    let dir = crate::tempdir::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    settings.database.url = secrecy::SecretString::from(cli.db_url.clone());
    settings.keys.master_key = Some(secrecy::SecretString::from(cli.master_key.clone()));
    settings.registration.mode = RegistrationMode::Token;
    let app = spawn_with_settings(settings, dir).await;
    assert_eq!(register(&app, &public_client(), Some(&token)).await.status(), 201);
    assert_eq!(register(&app, &public_client(), Some(&token)).await.status(), 401);
}
