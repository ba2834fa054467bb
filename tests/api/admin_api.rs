//! The operators' REST API under /admin/api/v1 (docs/admin-api.md, docs/security.md M): who may
//! call it (RFC 6750 bearer tokens with `portcullis:admin` for the admin API's audience, which only
//! administrator-made clients get), its one error shape, cursor pagination, and each resource.

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli::Cli;
use crate::helpers::*;
use portcullis::admin::ADMIN_SCOPE;
use portcullis::admin::clients::{self, ClientSpec};
use portcullis::config::RegistrationMode;
use portcullis::storage::GrantType;

const ADMIN_ID: &str = "ops-console";

/// The admin API's audience for `app`.
fn admin_aud(app: &TestApp) -> String {
    portcullis::admin::identifier(&app.state.settings.issuer)
}

/// Registers the administrator's client (as `client add --grant-type client_credentials --scope
/// portcullis:admin` does) and returns its secret.
async fn admin_client(app: &TestApp, scopes: &[&str]) -> String {
    let spec = ClientSpec {
        name: "Ops console".into(),
        client_id: Some(ADMIN_ID.into()),
        grant_types: vec![GrantType::ClientCredentials],
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ..ClientSpec::default()
    };
    let (client, secret) = clients::build(spec, portcullis::keys::Alg::Rs256, app.clock.now()).unwrap();
    app.ctx().store.create_client(client).await.unwrap();
    secret.unwrap()
}

/// client_credentials of the admin client; returns the response.
async fn admin_token_response(app: &TestApp, secret: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let mut form = form.to_vec();
    form.push(("grant_type", "client_credentials"));
    app.api
        .post(app.url("/token"))
        .basic_auth(ADMIN_ID, Some(secret))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// A valid admin token.
async fn admin_token(app: &TestApp) -> String {
    let secret = admin_client(app, &[ADMIN_SCOPE]).await;
    let res = admin_token_response(app, &secret, &[("scope", ADMIN_SCOPE)]).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// A call of the admin API with `token` (none: no Authorization header).
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.api.request(method, app.url(&format!("/admin/api/v1{path}")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

/// Asserts the API's error shape with `status` and `error`, and that `request_id` is the
/// response's `X-Request-Id`.
async fn api_error(res: reqwest::Response, status: u16, error: &str) -> Value {
    let request_id = header(&res, "x-request-id");
    assert_no_store(&res);
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    assert!(!request_id.is_empty());
    assert_eq!(body["request_id"], request_id.as_str(), "{body}");
    body
}

async fn ok_json(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

/// RFC 6750 §3 / §3.1: no token is 401 with a bare `Bearer` challenge; a bad one 401
/// `invalid_token`; both in the API's error shape.
#[tokio::test]
async fn rfc6750_missing_or_invalid_token_is_401_with_bearer_challenge() {
    let app = spawn_app().await;
    let res = call(&app, Method::GET, "/clients", None, None).await;
    assert_eq!(header(&res, "www-authenticate"), "Bearer");
    api_error(res, 401, "unauthorized").await;

    for bad in ["not-a-token", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        let res = call(&app, Method::GET, "/clients", Some(bad), None).await;
        assert_eq!(
            header(&res, "www-authenticate"),
            r#"Bearer error="invalid_token""#
        );
        api_error(res, 401, "invalid_token").await;
    }
}

/// M.1: a token of ours for another audience (the configured one, or a registered API) is refused.
#[tokio::test]
async fn admin_api_refuses_tokens_meant_for_another_api() {
    let app = spawn_app().await;
    let other = client_token(&app).await;
    let res = call(&app, Method::GET, "/clients", Some(&other), None).await;
    api_error(res, 401, "invalid_token").await;
}

/// RFC 6750 §3.1: a valid admin-API token without `portcullis:admin` is 403 `insufficient_scope`
/// with the scope named in the challenge.
#[tokio::test]
async fn rfc6750_token_without_admin_scope_is_403_insufficient_scope() {
    let app = spawn_app().await;
    let secret = admin_client(&app, &[ADMIN_SCOPE, "profile"]).await;
    let aud = admin_aud(&app);
    let res = admin_token_response(&app, &secret, &[("scope", "profile"), ("resource", &aud)]).await;
    let body = ok_json(res, 200).await;
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(jwt_part(token, 1)["aud"], aud.as_str());
    let res = call(&app, Method::GET, "/clients", Some(token), None).await;
    assert_eq!(
        header(&res, "www-authenticate"),
        r#"Bearer error="insufficient_scope", scope="portcullis:admin""#
    );
    api_error(res, 403, "insufficient_scope").await;
}

/// M.1: the token is an RFC 9068 access token for `{issuer}/admin/api`, asked for with
/// `resource` or implied by the scope; a revoked one stops working at once.
#[tokio::test]
async fn admin_token_is_for_the_admin_api_and_revocation_ends_it() {
    let app = spawn_app().await;
    let secret = admin_client(&app, &[ADMIN_SCOPE]).await;
    let aud = admin_aud(&app);
    for form in [vec![("scope", ADMIN_SCOPE)], vec![("resource", aud.as_str())]] {
        let body = ok_json(admin_token_response(&app, &secret, &form).await, 200).await;
        let claims = jwt_part(body["access_token"].as_str().unwrap(), 1);
        assert_eq!(claims["aud"], aud.as_str());
        assert_eq!(claims["scope"], ADMIN_SCOPE);
        assert_eq!(
            jwt_part(body["access_token"].as_str().unwrap(), 0)["typ"],
            "at+jwt"
        );
    }
    let body = ok_json(
        admin_token_response(&app, &secret, &[("scope", ADMIN_SCOPE)]).await,
        200,
    )
    .await;
    let token = body["access_token"].as_str().unwrap();
    ok_json(call(&app, Method::GET, "/clients", Some(token), None).await, 200).await;
    let res = app
        .api
        .post(app.url("/revoke"))
        .basic_auth(ADMIN_ID, Some(&secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    api_error(
        call(&app, Method::GET, "/clients", Some(token), None).await,
        401,
        "invalid_token",
    )
    .await;
}

/// M.2: a client without the scope, a user's token (password grant), and token exchange never
/// obtain `portcullis:admin`.
#[tokio::test]
async fn admin_scope_is_never_granted_to_users_exchanges_or_clients_without_it() {
    let app = spawn_app().await;
    let aud = admin_aud(&app);
    // The test's confidential client has every grant but not the scope.
    let res = app
        .token(&[("grant_type", "client_credentials"), ("scope", ADMIN_SCOPE)])
        .await;
    error_body(res, 400, "invalid_target").await;
    let res = app
        .token(&[("grant_type", "client_credentials"), ("resource", &aud)])
        .await;
    error_body(res, 400, "invalid_target").await;
    // Even given the scope, a user's token never carries it.
    let scopes = json!(["openid", "profile", "offline_access", ADMIN_SCOPE]).to_string();
    set_client_column(&app, CONFIDENTIAL_ID, "scopes", &scopes);
    let res = app
        .token(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", PASSWORD),
            ("scope", "openid portcullis:admin"),
            ("resource", &aud),
        ])
        .await;
    error_body(res, 400, "invalid_scope").await;
    // Token exchange of a user's token into the admin API: refused.
    let user = password_tokens(&app, "openid profile").await;
    let res = app
        .token(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
            ("subject_token", user["access_token"].as_str().unwrap()),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            ("scope", ADMIN_SCOPE),
            ("resource", &aud),
        ])
        .await;
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
}

/// M.2: a client that registered itself never gets the scope, even if its stored scopes held it.
#[tokio::test]
async fn self_registered_clients_never_obtain_admin_scope() {
    let app = spawn_app_with(|s| s.registration.mode = RegistrationMode::Open).await;
    let res = app
        .api
        .post(app.url("/register"))
        .json(&json!({
            "client_name": "Bot",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": ADMIN_SCOPE,
        }))
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_client_metadata").await;
    let res = app
        .api
        .post(app.url("/register"))
        .json(&json!({
            "client_name": "Bot",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_basic",
        }))
        .send()
        .await
        .unwrap();
    let reg = ok_json(res, 201).await;
    let (id, secret) = (
        reg["client_id"].as_str().unwrap(),
        reg["client_secret"].as_str().unwrap(),
    );
    // Suppose the row were edited to hold the scope: the token is still refused.
    set_client_column(&app, id, "scopes", &json!([ADMIN_SCOPE]).to_string());
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", ADMIN_SCOPE)])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_scope").await;
}

/// The documented way in: `portcullis client add NAME --grant-type client_credentials --scope
/// portcullis:admin`, then client_credentials, then the API.
#[tokio::test]
async fn cli_made_admin_client_calls_the_admin_api() {
    let cli = Cli::new();
    let made = cli.json(
        &[
            "client",
            "add",
            "Ops",
            "--grant-type",
            "client_credentials",
            "--scope",
            ADMIN_SCOPE,
            "--json",
        ],
        None,
    );
    let dir = crate::tempdir::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    settings.database.url = secrecy::SecretString::from(cli.db_url.clone());
    settings.keys.master_key = Some(secrecy::SecretString::from(cli.master_key.clone()));
    let app = spawn_with_settings(settings, dir).await;
    let id = made["client_id"].as_str().unwrap();
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(id, made["client_secret"].as_str())
        .form(&[("grant_type", "client_credentials"), ("scope", ADMIN_SCOPE)])
        .send()
        .await
        .unwrap();
    let body = ok_json(res, 200).await;
    let token = body["access_token"].as_str().unwrap();
    let page = ok_json(
        call(&app, Method::GET, &format!("/clients/{id}"), Some(token), None).await,
        200,
    )
    .await;
    assert_eq!(page["client_id"], id);
    assert!(page.get("client_secret").is_none());
}

/// One error shape: malformed JSON, unknown members, wrong types, bad query parameters and
/// unknown paths are 4xx in it, never 5xx.
#[tokio::test]
async fn malformed_input_is_400_in_the_error_shape() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let res = app
        .api
        .post(app.url("/admin/api/v1/clients"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    api_error(res, 400, "invalid_request").await;
    for body in [
        json!({ "name": "X", "colour": "red" }),
        json!({ "name": 5 }),
        json!({ "name": "X", "grant_types": "password" }),
        json!([]),
    ] {
        let res = call(&app, Method::POST, "/clients", Some(&token), Some(body)).await;
        api_error(res, 400, "invalid_request").await;
    }
    for q in [
        "?limit=0",
        "?limit=100000",
        "?limit=x",
        "?cursor=%21%21",
        "?colour=red",
    ] {
        let res = call(&app, Method::GET, &format!("/users{q}"), Some(&token), None).await;
        api_error(res, 400, "invalid_request").await;
    }
    api_error(
        call(&app, Method::GET, "/nope", Some(&token), None).await,
        404,
        "not_found",
    )
    .await;
    api_error(
        call(&app, Method::PATCH, "/clients", Some(&token), None).await,
        405,
        "method_not_allowed",
    )
    .await;
    api_error(
        call(&app, Method::GET, "/clients/nope", Some(&token), None).await,
        404,
        "not_found",
    )
    .await;
}

/// A confidential client made through the API gets its secret in the 201 answer only; it works at
/// /token; the client can be replaced, listed, rotated and deleted.
#[tokio::test]
async fn created_confidential_client_secret_is_returned_once() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let spec = json!({
        "name": "Reporting",
        "client_id": "reporting",
        "grant_types": ["client_credentials"],
        "scopes": ["api:read"],
    });
    let made = ok_json(
        call(&app, Method::POST, "/clients", Some(&token), Some(spec.clone())).await,
        201,
    )
    .await;
    let secret = made["client_secret"].as_str().unwrap().to_string();
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth("reporting", Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "api:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let shown = ok_json(
        call(&app, Method::GET, "/clients/reporting", Some(&token), None).await,
        200,
    )
    .await;
    assert!(shown.get("client_secret").is_none(), "{shown}");
    assert!(!shown.to_string().contains(&secret));
    api_error(
        call(&app, Method::POST, "/clients", Some(&token), Some(spec)).await,
        409,
        "conflict",
    )
    .await;

    let mut changed = json!({ "name": "Reports", "grant_types": ["client_credentials"], "scopes": ["api:read", "profile"] });
    let replaced = ok_json(
        call(
            &app,
            Method::PUT,
            "/clients/reporting",
            Some(&token),
            Some(changed.clone()),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(replaced["name"], "Reports");
    assert!(
        replaced.get("client_secret").is_none(),
        "the secret stays: {replaced}"
    );
    changed["redirect_uris"] = json!(["javascript:alert(1)"]);
    let res = call(
        &app,
        Method::PUT,
        "/clients/reporting",
        Some(&token),
        Some(changed),
    )
    .await;
    api_error(res, 400, "invalid_request").await;

    let rotated = ok_json(
        call(
            &app,
            Method::POST,
            "/clients/reporting/secret",
            Some(&token),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_ne!(rotated["client_secret"], secret.as_str());
    let list = ok_json(
        call(
            &app,
            Method::GET,
            "/clients?grant_type=client_credentials",
            Some(&token),
            None,
        )
        .await,
        200,
    )
    .await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"reporting") && ids.contains(&ADMIN_ID) && !ids.contains(&PUBLIC_ID),
        "{ids:?}"
    );
    ok_json(
        call(&app, Method::DELETE, "/clients/reporting", Some(&token), None).await,
        204,
    )
    .await;
    api_error(
        call(&app, Method::DELETE, "/clients/reporting", Some(&token), None).await,
        404,
        "not_found",
    )
    .await;
}

/// Cursor pagination: every client exactly once, in pages of at most `limit`, `next_cursor`
/// only while more follow.
#[tokio::test]
async fn cursor_pagination_visits_every_item_once() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let mut seen = Vec::new();
    let mut path = "/clients?limit=2".to_string();
    loop {
        let page = ok_json(call(&app, Method::GET, &path, Some(&token), None).await, 200).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|c| c["client_id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/clients?limit=2&cursor={c}"),
            None => break,
        }
    }
    let mut expected: Vec<String> = app
        .ctx()
        .store
        .list_clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.client_id)
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
}

/// M.4: users are created, changed, disabled and deleted; no answer ever holds a password hash.
#[tokio::test]
async fn users_crud_and_disable_never_show_password_hashes() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let body =
        json!({ "username": "bob", "password": "bob's long enough passphrase", "email": "bob@example.com" });
    let bob = ok_json(
        call(&app, Method::POST, "/users", Some(&token), Some(body.clone())).await,
        201,
    )
    .await;
    let id = bob["id"].as_str().unwrap().to_string();
    api_error(
        call(&app, Method::POST, "/users", Some(&token), Some(body)).await,
        409,
        "conflict",
    )
    .await;
    let weak = json!({ "username": "eve", "password": "short" });
    api_error(
        call(&app, Method::POST, "/users", Some(&token), Some(weak)).await,
        400,
        "invalid_request",
    )
    .await;

    let patch = json!({ "name": "Bob B.", "email": null, "disabled": true });
    let changed = ok_json(
        call(
            &app,
            Method::PATCH,
            &format!("/users/{id}"),
            Some(&token),
            Some(patch),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["name"], "Bob B.");
    assert!(changed["email"].is_null());
    assert_eq!(changed["disabled"], true);
    let stored = app.ctx().store.user_by_id(&id).await.unwrap().unwrap();
    assert!(stored.disabled);

    let list = ok_json(
        call(&app, Method::GET, "/users?disabled=true", Some(&token), None).await,
        200,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    for res in [
        call(&app, Method::GET, "/users", Some(&token), None).await,
        call(&app, Method::GET, &format!("/users/{id}"), Some(&token), None).await,
    ] {
        let text = res.text().await.unwrap();
        assert!(!text.contains("argon2") && !text.contains("password"), "{text}");
    }
    ok_json(
        call(&app, Method::DELETE, &format!("/users/{id}"), Some(&token), None).await,
        204,
    )
    .await;
    assert!(app.ctx().store.user_by_id(&id).await.unwrap().is_none());
}

/// Groups and members; APIs and their scopes (an API may not define `portcullis:` scopes nor take
/// the admin API's identifier, M.3).
#[tokio::test]
async fn groups_members_apis_and_scopes() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    ok_json(
        call(
            &app,
            Method::POST,
            "/groups",
            Some(&token),
            Some(json!({ "name": "staff" })),
        )
        .await,
        201,
    )
    .await;
    let member = format!("/groups/staff/members/{}", app.user_id);
    ok_json(call(&app, Method::PUT, &member, Some(&token), None).await, 204).await;
    let members = ok_json(
        call(&app, Method::GET, "/groups/staff/members", Some(&token), None).await,
        200,
    )
    .await;
    assert_eq!(members["items"][0]["user_id"], app.user_id.as_str());
    ok_json(call(&app, Method::DELETE, &member, Some(&token), None).await, 204).await;
    ok_json(
        call(&app, Method::DELETE, "/groups/staff", Some(&token), None).await,
        204,
    )
    .await;
    api_error(
        call(&app, Method::GET, "/groups/staff", Some(&token), None).await,
        404,
        "not_found",
    )
    .await;

    let api = json!({ "identifier": "https://photos.example/api", "name": "Photos", "scopes": [{ "name": "photos:read" }] });
    ok_json(
        call(&app, Method::POST, "/apis", Some(&token), Some(api)).await,
        201,
    )
    .await;
    let path = "/apis/https:%2F%2Fphotos.example%2Fapi";
    let added = ok_json(
        call(
            &app,
            Method::PUT,
            &format!("{path}/scopes/photos:write"),
            Some(&token),
            Some(json!({ "description": "Change photos" })),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(added["scopes"].as_array().unwrap().len(), 2);
    let res = call(
        &app,
        Method::PUT,
        &format!("{path}/scopes/portcullis:admin"),
        Some(&token),
        None,
    )
    .await;
    api_error(res, 400, "invalid_request").await;
    let own = json!({ "identifier": admin_aud(&app), "name": "Mine" });
    api_error(
        call(&app, Method::POST, "/apis", Some(&token), Some(own)).await,
        400,
        "invalid_request",
    )
    .await;
    ok_json(
        call(
            &app,
            Method::DELETE,
            &format!("{path}/scopes/photos:write"),
            Some(&token),
            None,
        )
        .await,
        204,
    )
    .await;
    ok_json(call(&app, Method::DELETE, path, Some(&token), None).await, 204).await;
}

/// Sessions (refresh-token families) by user and client, revoked one at a time; consents listed
/// and withdrawn; keys listed and rotated; the audit trail filtered.
#[tokio::test]
async fn sessions_consents_keys_and_audit_events() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let tokens = password_tokens(&app, "openid offline_access").await;
    let q = format!("/sessions?user_id={}&client_id={CONFIDENTIAL_ID}", app.user_id);
    let sessions = ok_json(call(&app, Method::GET, &q, Some(&token), None).await, 200).await;
    let family = sessions["items"][0]["id"].as_str().unwrap().to_string();
    api_error(
        call(&app, Method::GET, "/sessions", Some(&token), None).await,
        400,
        "invalid_request",
    )
    .await;
    ok_json(
        call(
            &app,
            Method::DELETE,
            &format!("/sessions/{family}"),
            Some(&token),
            None,
        )
        .await,
        204,
    )
    .await;
    let res = refresh(&app, tokens["refresh_token"].as_str().unwrap(), None).await;
    error_body(res, 400, "invalid_grant").await;

    let consent = portcullis::storage::Consent {
        user_id: app.user_id.clone(),
        client_id: THIRD_PARTY_ID.into(),
        scope: portcullis::oauth::scope::Scope::from_tokens(["openid"]),
        granted_at: app.clock.now(),
    };
    app.ctx().store.save_consent(consent).await.unwrap();
    let path = format!("/users/{}/consents", app.user_id);
    let consents = ok_json(call(&app, Method::GET, &path, Some(&token), None).await, 200).await;
    assert_eq!(consents["items"][0]["client_id"], THIRD_PARTY_ID);
    ok_json(
        call(
            &app,
            Method::DELETE,
            &format!("{path}/{THIRD_PARTY_ID}"),
            Some(&token),
            None,
        )
        .await,
        204,
    )
    .await;
    assert!(
        app.ctx()
            .store
            .consent(&app.user_id, THIRD_PARTY_ID)
            .await
            .unwrap()
            .is_none()
    );

    let before = ok_json(call(&app, Method::GET, "/keys", Some(&token), None).await, 200).await;
    let rotated = ok_json(
        call(
            &app,
            Method::POST,
            "/keys/rotate",
            Some(&token),
            Some(json!({ "now": true })),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(rotated["state"], "active");
    let after = ok_json(call(&app, Method::GET, "/keys", Some(&token), None).await, 200).await;
    assert_eq!(
        after["items"].as_array().unwrap().len(),
        before["items"].as_array().unwrap().len() + 1
    );
    assert!(!after.to_string().contains("private"), "{after}");

    let events = ok_json(
        call(
            &app,
            Method::GET,
            "/audit-events?kind=family.revoked&limit=1",
            Some(&token),
            None,
        )
        .await,
        200,
    )
    .await;
    let first = &events["items"][0];
    assert_eq!(first["kind"], "family.revoked");
    assert_eq!(first["detail"]["via"], "admin_api");
    assert_eq!(first["detail"]["admin_client"], ADMIN_ID);
    let all = ok_json(
        call(&app, Method::GET, "/audit-events?limit=1", Some(&token), None).await,
        200,
    )
    .await;
    let next = all["next_cursor"].as_str().unwrap();
    let second = ok_json(
        call(
            &app,
            Method::GET,
            &format!("/audit-events?limit=1&cursor={next}"),
            Some(&token),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_ne!(second["items"][0], all["items"][0]);
}

/// docs/admin-api.md: the OpenAPI document is public, and every operation it lists is served
/// (without a token: 401 in the error shape, never 404 or 405).
#[tokio::test]
async fn openapi_document_is_public_and_every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let res = app
        .api
        .get(app.url("/admin/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 15, "{}", paths.len());
    for (path, item) in paths {
        let concrete = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app.api.request(m, app.url(&concrete)).send().await.unwrap();
            api_error(res, 401, "unauthorized").await;
        }
    }
}

/// docs/admin-api.md, "Errors": a body over `security.max_body_bytes` is 413 in the API's error
/// shape (not actix's plain text), and the OpenAPI document says so for operations with a body.
#[tokio::test]
async fn oversized_body_is_413_in_the_json_error_shape() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let max = app.state.settings.security.max_body_bytes;
    let name = "x".repeat(max + 1);
    let res = call(
        &app,
        Method::POST,
        "/clients",
        Some(&token),
        Some(json!({ "name": name })),
    )
    .await;
    api_error(res, 413, "payload_too_large").await;
    // Without a token the answer is 401: nobody learns anything before authenticating.
    let res = call(
        &app,
        Method::POST,
        "/clients",
        None,
        Some(json!({ "name": "x".repeat(max + 1) })),
    )
    .await;
    api_error(res, 401, "unauthorized").await;
    let doc: Value = app
        .api
        .get(app.url("/admin/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let post = &doc["paths"]["/admin/api/v1/clients"]["post"]["responses"];
    assert_eq!(
        post["413"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    assert!(post["415"].is_object());
    assert!(doc["paths"]["/admin/api/v1/clients"]["get"]["responses"]["413"].is_null());
}

/// docs/admin-api.md, "Errors": a body that says it is not JSON, or a body without a
/// Content-Type, is 415 in the API's error shape; JSON types (`+json` too) are read.
#[tokio::test]
async fn non_json_body_is_415_in_the_json_error_shape() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let send = |content_type: Option<&'static str>, body: &'static str| {
        let mut req = app
            .api
            .post(app.url("/admin/api/v1/groups"))
            .bearer_auth(&token)
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.send()
    };
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let res = send(Some(ct), r#"{"name":"staff"}"#).await.unwrap();
        api_error(res, 415, "unsupported_media_type").await;
    }
    let res = send(None, r#"{"name":"staff"}"#).await.unwrap();
    api_error(res, 415, "unsupported_media_type").await;
    let res = send(Some("application/json; charset=utf-8"), r#"{"name":"staff"}"#)
        .await
        .unwrap();
    ok_json(res, 201).await;
    let res = send(Some("application/merge-patch+json"), r#"{"name":"ops"}"#)
        .await
        .unwrap();
    ok_json(res, 201).await;
    // An operation whose body is optional still takes none.
    let rotated = call(&app, Method::POST, "/keys/rotate", Some(&token), None).await;
    ok_json(rotated, 201).await;
}

/// docs/admin-api.md, "APIs": PATCH changes an API's own fields (null: back to the default) and
/// records it; the identifier, which its tokens carry as `aud`, is refused with 400.
#[tokio::test]
async fn api_patch_changes_its_fields_but_never_its_identifier() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let api = json!({ "identifier": "https://photos.example/api", "name": "Photos", "access_token_ttl_secs": 600, "scopes": [{ "name": "photos:read" }] });
    ok_json(
        call(&app, Method::POST, "/apis", Some(&token), Some(api)).await,
        201,
    )
    .await;
    let path = "/apis/https:%2F%2Fphotos.example%2Fapi";
    let changed = ok_json(
        call(
            &app,
            Method::PATCH,
            path,
            Some(&token),
            Some(json!({ "name": "Photo library", "access_token_ttl_secs": null, "introspect_client": CONFIDENTIAL_ID })),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["name"], "Photo library");
    assert!(changed["access_token_ttl_secs"].is_null(), "{changed}");
    assert_eq!(changed["introspect_client"], CONFIDENTIAL_ID);
    assert_eq!(changed["scopes"].as_array().unwrap().len(), 1);
    let stored = app
        .ctx()
        .store
        .api_by_identifier("https://photos.example/api")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "Photo library");
    assert_eq!(stored.access_token_ttl_secs, None);

    let moved = json!({ "identifier": "https://other.example/api" });
    let body = api_error(
        call(&app, Method::PATCH, path, Some(&token), Some(moved)).await,
        400,
        "invalid_request",
    )
    .await;
    assert!(
        body["error_description"].as_str().unwrap().contains("aud"),
        "{body}"
    );
    for bad in [
        json!({ "name": " " }),
        json!({ "access_token_ttl_secs": 0 }),
        json!({ "introspect_client": PUBLIC_ID }),
        json!({ "scopes": [] }),
    ] {
        let res = call(&app, Method::PATCH, path, Some(&token), Some(bad)).await;
        api_error(res, 400, "invalid_request").await;
    }
    api_error(
        call(
            &app,
            Method::PATCH,
            "/apis/https:%2F%2Fnope.example",
            Some(&token),
            Some(json!({ "name": "X" })),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let events = app.ctx().store.recent_events(20).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind.as_str() == "api.changed" && e.detail.contains("\"updated\"")),
        "{events:?}"
    );
}

/// docs/admin-api.md, "Clients": PATCH sets the members it names (any `client add` option),
/// keeps the others and the secret, puts a `null` one back to its default, never changes the
/// client_id, and obeys the registration's rules.
#[tokio::test]
async fn client_patch_changes_only_the_members_it_names() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let body = json!({ "name": "Reporting", "client_id": "reporting", "grant_types": ["client_credentials"],
        "scopes": ["openid"], "require_mfa": true, "client_uri": "https://reporting.example/" });
    let created = ok_json(
        call(&app, Method::POST, "/clients", Some(&token), Some(body)).await,
        201,
    )
    .await;
    let secret = created["client_secret"].as_str().unwrap().to_string();
    let patch = json!({ "name": "Reports", "scopes": ["openid", "profile"], "client_uri": null, "first_party": true });
    let changed = ok_json(
        call(
            &app,
            Method::PATCH,
            "/clients/reporting",
            Some(&token),
            Some(patch),
        )
        .await,
        200,
    )
    .await;
    assert!(changed.get("client_secret").is_none(), "{changed}");
    let client = app.ctx().store.client_by_id("reporting").await.unwrap().unwrap();
    assert_eq!(client.name, "Reports");
    assert_eq!(client.scopes.to_string(), "openid profile");
    assert!(client.first_party && client.require_mfa);
    assert_eq!(client.grant_types, vec![GrantType::ClientCredentials]);
    assert_eq!(client.registration.display.client_uri, None);
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth("reporting", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the secret still works");
    for bad in [
        json!({ "client_id": "renamed" }),
        json!({ "redirect_uris": ["http://evil.example/cb"], "grant_types": ["authorization_code"] }),
        json!({ "colour": "red" }),
        json!({ "api": "https://nope.example/api" }),
    ] {
        let res = call(&app, Method::PATCH, "/clients/reporting", Some(&token), Some(bad)).await;
        api_error(res, 400, "invalid_request").await;
    }
    api_error(
        call(
            &app,
            Method::PATCH,
            "/clients/nope",
            Some(&token),
            Some(json!({})),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

/// docs/admin-api.md, "Pagination": with a filter, pages read in the database still visit every
/// matching item exactly once over several pages (users, clients, sessions).
#[tokio::test]
async fn filtered_pages_visit_every_matching_item_once() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let store = &app.ctx().store;
    let mut expected_users = Vec::new();
    for i in 0..7 {
        for prefix in ["ops-", "Ops-", "opsx", "dev-"] {
            let username = format!("{prefix}{i}");
            let user = store
                .create_user(portcullis::storage::NewUser {
                    id: portcullis::random::random_id(),
                    username: username.clone(),
                    email: None,
                    email_verified: false,
                    name: None,
                    password_hash: "x".into(),
                    created_at: app.clock.now(),
                })
                .await
                .unwrap();
            let disabled = i % 3 == 0;
            if disabled {
                store.set_disabled(&user.id, true, app.clock.now()).await.unwrap();
            }
            if prefix == "ops-" && !disabled {
                expected_users.push(username);
            }
        }
    }
    expected_users.sort();
    let walk = |first: String, key: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            let mut seen: Vec<String> = Vec::new();
            let mut path = first.clone();
            let mut pages = 0;
            loop {
                let page = ok_json(call(app, Method::GET, &path, Some(token), None).await, 200).await;
                let items = page["items"].as_array().unwrap();
                assert!(items.len() <= 2, "{page}");
                seen.extend(items.iter().map(|i| i[key].as_str().unwrap().to_string()));
                pages += 1;
                match page["next_cursor"].as_str() {
                    Some(c) => path = format!("{first}&cursor={c}"),
                    None => break,
                }
            }
            (seen, pages)
        }
    };
    let (users, pages) = walk(
        "/users?limit=2&username_prefix=ops-&disabled=false".into(),
        "username",
    )
    .await;
    assert_eq!(users, expected_users);
    assert!(pages > 1);

    for i in 0..5 {
        let id = format!("machine-{i}");
        let spec = ClientSpec {
            name: id.clone(),
            client_id: Some(id.clone()),
            grant_types: vec![GrantType::ClientCredentials],
            ..ClientSpec::default()
        };
        let (client, _) = clients::build(spec, portcullis::keys::Alg::Rs256, app.clock.now()).unwrap();
        store.create_client(client).await.unwrap();
    }
    let mut expected_clients: Vec<String> = store
        .list_clients()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.allows_grant(GrantType::ClientCredentials))
        .filter(|c| c.registration.source == portcullis::storage::ClientSource::Admin)
        .map(|c| c.client_id)
        .collect();
    expected_clients.sort();
    assert!(expected_clients.len() >= 6, "{expected_clients:?}");
    let (clients_seen, pages) = walk(
        "/clients?limit=2&grant_type=client_credentials&source=admin".into(),
        "client_id",
    )
    .await;
    assert_eq!(clients_seen, expected_clients);
    assert!(pages > 1);
    let (dynamic, _) = walk("/clients?limit=2&source=dynamic".into(), "client_id").await;
    assert!(dynamic.is_empty(), "{dynamic:?}");

    for _ in 0..5 {
        password_tokens(&app, "openid offline_access").await;
    }
    let mut families: Vec<String> = store
        .active_families(Some(&app.user_id), Some(CONFIDENTIAL_ID), app.clock.now())
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect();
    store.revoke_family(&families[0], app.clock.now()).await.unwrap();
    families.remove(0);
    families.sort();
    let (sessions, pages) = walk(
        format!(
            "/sessions?limit=2&client_id={CONFIDENTIAL_ID}&user_id={}",
            app.user_id
        ),
        "id",
    )
    .await;
    assert_eq!(sessions, families);
    assert!(pages > 1);
}
