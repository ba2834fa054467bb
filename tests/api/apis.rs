//! APIs (resource servers) and RFC 8707 resource indicators (docs/guides/apis.md, docs/security.md
//! J.1-J.5): tokens for the API(s) a request names, `invalid_target` for anything else, scopes
//! narrowed to the API's, refresh narrowing to one resource, a client's default API, per-API
//! lifetime and algorithm, introspection by the API's own client, the consent page, the CLI.

use portcullis::digest::sha256_hex;
use portcullis::keys::Alg;
use portcullis::oauth::scope::Scope;
use portcullis::storage::{Api, ApiScope, Client, ClientApiPolicy, GrantType};
use serde_json::Value;

use crate::authorize::assert_redirect_error;
use crate::helpers::*;
use crate::resource_server::verify_example::{Expected, verify_access_token};

pub(crate) const PHOTOS: &str = "https://photos.example/api";
pub(crate) const CALENDAR: &str = "https://calendar.example/api";
/// A first-party confidential client that may ask for both APIs' scopes.
pub(crate) const GALLERY: &str = "gallery";
/// The photos API's own confidential client, which introspects its tokens.
pub(crate) const PHOTOS_BACKEND: &str = "photos-backend";
/// A third-party client (consent page) that may ask for `photos:read`.
pub(crate) const PRINTER: &str = "photo-printer";

/// Registers the two APIs and the three clients above, each with `secret`; returns it.
pub(crate) async fn setup(app: &TestApp) -> String {
    let store = &app.ctx().store;
    let secret = portcullis::random::secret_256();
    let base = store.client_by_id(CONFIDENTIAL_ID).await.unwrap().unwrap();
    let gallery = Client {
        client_id: GALLERY.into(),
        name: "Gallery".into(),
        secret_hash: Some(sha256_hex(&secret)),
        scopes: Scope::from_tokens([
            "openid",
            "profile",
            "offline_access",
            "photos:read",
            "photos:write",
            "calendar:read",
        ]),
        grant_types: GrantType::ALL.to_vec(),
        ..base.clone()
    };
    store.create_client(gallery.clone()).await.unwrap();
    let backend = Client {
        client_id: PHOTOS_BACKEND.into(),
        name: "Photos backend".into(),
        scopes: Scope::default(),
        grant_types: vec![GrantType::ClientCredentials],
        ..gallery.clone()
    };
    store.create_client(backend).await.unwrap();
    let printer = Client {
        client_id: PRINTER.into(),
        name: "Photo Printer".into(),
        first_party: false,
        scopes: Scope::from_tokens(["openid", "photos:read"]),
        ..gallery
    };
    store.create_client(printer).await.unwrap();
    store
        .create_api(api(
            PHOTOS,
            "Photos",
            &[
                ("photos:read", "See your photos"),
                ("photos:write", "Change your photos"),
            ],
        ))
        .await
        .unwrap();
    store
        .create_api(api(
            CALENDAR,
            "Calendar",
            &[("calendar:read", "See your calendar")],
        ))
        .await
        .unwrap();
    let mut photos = store.api_by_identifier(PHOTOS).await.unwrap().unwrap();
    photos.introspect_client = Some(PHOTOS_BACKEND.into());
    store.delete_api(PHOTOS).await.unwrap();
    store.create_api(photos).await.unwrap();
    secret
}

pub(crate) fn api(identifier: &str, name: &str, scopes: &[(&str, &str)]) -> Api {
    Api {
        identifier: identifier.into(),
        name: name.into(),
        scopes: scopes
            .iter()
            .map(|(n, d)| ApiScope {
                name: n.to_string(),
                description: d.to_string(),
            })
            .collect(),
        access_token_ttl_secs: None,
        alg: None,
        introspect_client: None,
        created_at: 0,
    }
}

/// POST /token as `client_id` (client_secret_basic).
pub(crate) async fn token_as(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.api
        .post(app.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A 200 token response's body.
pub(crate) async fn ok_json(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// The claims of an access token.
pub(crate) fn claims(token: &Value) -> Value {
    jwt_part(token["access_token"].as_str().unwrap(), 1)
}

/// `/authorize` for `client_id` with `extra` parameters (e.g. resources), then the login form;
/// returns the response to the login (a redirect, or the consent page) and the PKCE verifier.
async fn authorize_and_login(
    app: &TestApp,
    client_id: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> (reqwest::Response, String) {
    let (verifier, challenge) = pkce_pair();
    let mut q = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", scope),
        ("state", "st"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    q.extend_from_slice(extra);
    let res = app.authorize(&q).await;
    assert_eq!(res.status(), 200, "the login page");
    let page = res.text().await.unwrap();
    (app.submit_login(&page, USERNAME, PASSWORD).await, verifier)
}

/// A code for the gallery client asking for `resources`; returns (code, verifier).
pub(crate) async fn gallery_code(app: &TestApp, scope: &str, resources: &[&str]) -> (String, String) {
    let extra: Vec<(&str, &str)> = resources.iter().map(|r| ("resource", *r)).collect();
    let (res, verifier) = authorize_and_login(app, GALLERY, scope, &extra).await;
    assert_eq!(res.status(), 303, "a code");
    let code = param(&location_params(&res), "code").expect("code");
    (code, verifier)
}

pub(crate) async fn redeem(
    app: &TestApp,
    secret: &str,
    code: &str,
    verifier: &str,
    resources: &[&str],
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
    ];
    form.extend(resources.iter().map(|r| ("resource", *r)));
    token_as(app, GALLERY, secret, &form).await
}

async fn jwks(app: &TestApp) -> Vec<u8> {
    let res = app.api.get(app.url("/jwks")).send().await.unwrap();
    res.bytes().await.unwrap().to_vec()
}

fn expect<'a>(app: &'a TestApp, audience: &'a str) -> Expected<'a> {
    Expected {
        issuer: &app.state.settings.issuer,
        audience,
        scope: None,
    }
}

/// J.3: a token for the photos API passes the photos API's check and fails the calendar API's
/// (the `aud` check of docs/guides/resource-server.md), on the code flow and client_credentials.
#[tokio::test]
async fn token_for_one_api_is_refused_as_audience_by_another() {
    let app = spawn_app().await;
    let secret = setup(&app).await;
    let keys = jwks(&app).await;
    let now = std::time::SystemTime::now();

    let cc = [
        ("grant_type", "client_credentials"),
        ("resource", PHOTOS),
        ("scope", "photos:read"),
    ];
    let body = ok_json(token_as(&app, GALLERY, &secret, &cc).await).await;
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(claims(&body)["aud"], PHOTOS);
    assert!(verify_access_token(token, &keys, &expect(&app, PHOTOS), now).is_ok());
    let refused = verify_access_token(token, &keys, &expect(&app, CALENDAR), now);
    assert_eq!(refused.unwrap_err(), "not meant for this API (aud)");

    let (code, verifier) = gallery_code(&app, "openid photos:read", &[PHOTOS]).await;
    let body = ok_json(redeem(&app, &secret, &code, &verifier, &[]).await).await;
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(claims(&body)["aud"], PHOTOS);
    assert!(verify_access_token(token, &keys, &expect(&app, PHOTOS), now).is_ok());
    assert!(verify_access_token(token, &keys, &expect(&app, CALENDAR), now).is_err());
}

/// J.1: RFC 8707 §2: an unknown (or malformed) resource is `invalid_target`: at `/authorize` as an
/// error redirect to the registered redirect URI, at `/par` and `/token` as a JSON error.
#[tokio::test]
async fn unknown_resource_is_invalid_target() {
    let app = spawn_app().await;
    let secret = setup(&app).await;
    let (_, challenge) = pkce_pair();
    for resource in [
        "https://unknown.example/api",
        "https://photos.example/api#frag",
        "photos",
    ] {
        let q = [
            ("response_type", "code"),
            ("client_id", GALLERY),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid"),
            ("state", "st"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("resource", resource),
        ];
        let res = app.authorize(&q).await;
        assert_redirect_error(&app, &res, REDIRECT_URI, "invalid_target", "st");

        let push = app
            .api
            .post(app.url("/par"))
            .basic_auth(GALLERY, Some(&secret))
            .form(&q)
            .send()
            .await
            .unwrap();
        error_body(push, 400, "invalid_target").await;

        let cc = [("grant_type", "client_credentials"), ("resource", resource)];
        error_body(token_as(&app, GALLERY, &secret, &cc).await, 400, "invalid_target").await;
    }
}

/// J.1: a resource named at `/token` must be one the code was issued for.
#[tokio::test]
async fn token_resource_must_be_one_the_code_was_issued_for() {
    let app = spawn_app().await;
    let secret = setup(&app).await;
    let (code, verifier) = gallery_code(&app, "openid photos:read", &[PHOTOS]).await;
    let res = redeem(&app, &secret, &code, &verifier, &[CALENDAR]).await;
    error_body(res, 400, "invalid_target").await;
}

/// J.3: RFC 8707 §2: two resources give an `aud` array and the scopes of both.
#[tokio::test]
async fn two_resources_give_an_aud_array() {
    let app = spawn_app().await;
    let secret = setup(&app).await;
    let cc = [
        ("grant_type", "client_credentials"),
        ("resource", PHOTOS),
        ("resource", CALENDAR),
    ];
    let body = ok_json(token_as(&app, GALLERY, &secret, &cc).await).await;
    assert_eq!(claims(&body)["aud"], serde_json::json!([PHOTOS, CALENDAR]));
    assert_eq!(body["scope"], "calendar:read photos:read photos:write");

    let (code, verifier) = gallery_code(&app, "openid photos:read calendar:read", &[PHOTOS, CALENDAR]).await;
    let body = ok_json(redeem(&app, &secret, &code, &verifier, &[]).await).await;
    assert_eq!(claims(&body)["aud"], serde_json::json!([PHOTOS, CALENDAR]));
}

/// J.3: the scope of a token for an API is within what the API defines (and the OpenID scopes):
/// asking for more is `invalid_scope`; a token for one of a code's APIs carries only its scopes.
#[tokio::test]
async fn scope_is_narrowed_to_the_apis() {
    let app = spawn_app().await;
    let secret = setup(&app).await;
    let cc = [
        ("grant_type", "client_credentials"),
        ("resource", PHOTOS),
        ("scope", "photos:read calendar:read"),
    ];
    error_body(token_as(&app, GALLERY, &secret, &cc).await, 400, "invalid_scope").await;

    let (_, challenge) = pkce_pair();
    let q = [
        ("response_type", "code"),
        ("client_id", GALLERY),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid calendar:read"),
        ("state", "st"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("resource", PHOTOS),
    ];
    let res = app.authorize(&q).await;
    assert_redirect_error(&app, &res, REDIRECT_URI, "invalid_scope", "st");

    let (code, verifier) = gallery_code(
        &app,
        "openid profile photos:read calendar:read",
        &[PHOTOS, CALENDAR],
    )
    .await;
    let body = ok_json(redeem(&app, &secret, &code, &verifier, &[CALENDAR]).await).await;
    assert_eq!(claims(&body)["aud"], CALENDAR);
    assert_eq!(body["scope"], "calendar:read openid profile");
}

/// J.1: RFC 8707 §2.2: a refresh may narrow to one of the grant's resources (its `aud` and
/// scope follow), and never name another one.
#[tokio::test]
async fn refresh_narrows_to_one_resource() {
    let app = spawn_app().await;
    let secret = setup(&app).await;
    let (code, verifier) = gallery_code(
        &app,
        "openid offline_access photos:read calendar:read",
        &[PHOTOS, CALENDAR],
    )
    .await;
    let body = ok_json(redeem(&app, &secret, &code, &verifier, &[]).await).await;
    let rt = body["refresh_token"].as_str().unwrap().to_string();

    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
        ("resource", PHOTOS),
    ];
    let body = ok_json(token_as(&app, GALLERY, &secret, &form).await).await;
    assert_eq!(claims(&body)["aud"], PHOTOS);
    assert_eq!(body["scope"], "offline_access openid photos:read");
    let rt = body["refresh_token"].as_str().unwrap().to_string();

    // The grant still covers both: without `resource`, both again.
    let form = [("grant_type", "refresh_token"), ("refresh_token", rt.as_str())];
    let body = ok_json(token_as(&app, GALLERY, &secret, &form).await).await;
    assert_eq!(claims(&body)["aud"], serde_json::json!([PHOTOS, CALENDAR]));
    let rt = body["refresh_token"].as_str().unwrap().to_string();

    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
        ("resource", "https://unknown.example/api"),
    ];
    error_body(
        token_as(&app, GALLERY, &secret, &form).await,
        400,
        "invalid_target",
    )
    .await;
}

/// J.4: without `resource`, a client's default API applies (`client add --api`); without one,
/// the configured audience, as before APIs existed.
#[tokio::test]
async fn default_api_applies_without_resource() {
    let app = spawn_app().await;
    let secret = setup(&app).await;
    let cc = [("grant_type", "client_credentials")];
    let body = ok_json(token_as(&app, GALLERY, &secret, &cc).await).await;
    assert_eq!(
        claims(&body)["aud"],
        app.ctx().audience.as_ref(),
        "the configured audience"
    );

    let policy = ClientApiPolicy {
        default_api: Some(PHOTOS.into()),
        exchange_to: Vec::new(),
    };
    app.ctx()
        .store
        .set_client_api_policy(GALLERY, policy)
        .await
        .unwrap();
    let body = ok_json(token_as(&app, GALLERY, &secret, &cc).await).await;
    assert_eq!(claims(&body)["aud"], PHOTOS);
    assert_eq!(
        body["scope"], "photos:read photos:write",
        "the API's scopes the client may have"
    );

    let (code, verifier) = gallery_code(&app, "openid photos:read", &[]).await;
    let body = ok_json(redeem(&app, &secret, &code, &verifier, &[]).await).await;
    assert_eq!(claims(&body)["aud"], PHOTOS);
}

/// J.4: a client may have tokens only for APIs whose scopes its own list names (or its default
/// API): anything else is `invalid_target`.
#[tokio::test]
async fn client_without_the_apis_scopes_gets_invalid_target() {
    let app = spawn_app().await;
    setup(&app).await;
    let cc = [("grant_type", "client_credentials"), ("resource", PHOTOS)];
    let res = app.token(&cc).await;
    error_body(res, 400, "invalid_target").await;
}

/// C.15 / J.3: an API's algorithm wins over the client's `access_token_alg`, which applies when
/// the API asks for none.
#[tokio::test]
async fn an_apis_alg_wins_over_the_clients_access_token_alg() {
    let app = spawn_app().await;
    let secret = setup(&app).await;
    let store = &app.ctx().store;
    let mut gallery = store.client_by_id(GALLERY).await.unwrap().unwrap();
    gallery.access_token_alg = Some(Alg::Rs256);
    assert!(store.update_client(gallery).await.unwrap());
    let mut photos = store.api_by_identifier(PHOTOS).await.unwrap().unwrap();
    store.delete_api(PHOTOS).await.unwrap();
    photos.alg = Some(Alg::Es256);
    store.create_api(photos).await.unwrap();

    let alg_of = |body: &Value| jwt_part(body["access_token"].as_str().unwrap(), 0)["alg"].clone();
    let cc = [("grant_type", "client_credentials"), ("resource", PHOTOS)];
    let body = ok_json(token_as(&app, GALLERY, &secret, &cc).await).await;
    assert_eq!(alg_of(&body), "ES256", "the API's own algorithm");
    let cc = [("grant_type", "client_credentials"), ("resource", CALENDAR)];
    let body = ok_json(token_as(&app, GALLERY, &secret, &cc).await).await;
    assert_eq!(alg_of(&body), "RS256", "the API asks for none: the client's");
}

/// J.3: an API's own token lifetime and algorithm apply to its tokens only.
#[tokio::test]
async fn per_api_ttl_and_alg_apply() {
    let app = spawn_app_with(|s| s.keys.default_alg = Alg::Es256).await;
    let secret = setup(&app).await;
    let store = &app.ctx().store;
    let mut photos = store.api_by_identifier(PHOTOS).await.unwrap().unwrap();
    store.delete_api(PHOTOS).await.unwrap();
    photos.access_token_ttl_secs = Some(120);
    photos.alg = Some(Alg::Rs256);
    store.create_api(photos).await.unwrap();

    let cc = [("grant_type", "client_credentials"), ("resource", PHOTOS)];
    let body = ok_json(token_as(&app, GALLERY, &secret, &cc).await).await;
    assert_eq!(body["expires_in"], 120);
    assert_eq!(
        jwt_part(body["access_token"].as_str().unwrap(), 0)["alg"],
        "RS256"
    );
    let c = claims(&body);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 120);

    let cc = [("grant_type", "client_credentials"), ("resource", CALENDAR)];
    let body = ok_json(token_as(&app, GALLERY, &secret, &cc).await).await;
    assert_eq!(
        jwt_part(body["access_token"].as_str().unwrap(), 0)["alg"],
        "ES256"
    );
    assert_eq!(body["expires_in"], app.ctx().tokens.access_token_ttl_secs);

    // APIs that want different algorithms cannot share one token.
    let both = [
        ("grant_type", "client_credentials"),
        ("resource", PHOTOS),
        ("resource", CALENDAR),
    ];
    let store = &app.ctx().store;
    let mut calendar = store.api_by_identifier(CALENDAR).await.unwrap().unwrap();
    store.delete_api(CALENDAR).await.unwrap();
    calendar.alg = Some(Alg::Es256);
    store.create_api(calendar).await.unwrap();
    error_body(
        token_as(&app, GALLERY, &secret, &both).await,
        400,
        "invalid_target",
    )
    .await;
}

/// J.5: an API's introspecting client sees the access tokens meant for its API, and no others.
#[tokio::test]
async fn api_introspect_client_sees_only_its_apis_tokens() {
    let app = spawn_app().await;
    let secret = setup(&app).await;
    let introspect = |token: String| {
        let app = &app;
        let secret = secret.clone();
        async move {
            let res = app
                .api
                .post(app.url("/introspect"))
                .basic_auth(PHOTOS_BACKEND, Some(&secret))
                .form(&[("token", token.as_str())])
                .send()
                .await
                .unwrap();
            ok_json(res).await
        }
    };
    let for_api = |resource: &'static str| {
        let app = &app;
        let secret = secret.clone();
        async move {
            let cc = [("grant_type", "client_credentials"), ("resource", resource)];
            let body = ok_json(token_as(app, GALLERY, &secret, &cc).await).await;
            body["access_token"].as_str().unwrap().to_string()
        }
    };
    let seen = introspect(for_api(PHOTOS).await).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["aud"], PHOTOS);
    assert_eq!(seen["client_id"], GALLERY);
    assert_eq!(
        introspect(for_api(CALENDAR).await).await,
        serde_json::json!({"active": false})
    );
    let both = [
        ("grant_type", "client_credentials"),
        ("resource", PHOTOS),
        ("resource", CALENDAR),
    ];
    let body = ok_json(token_as(&app, GALLERY, &secret, &both).await).await;
    let seen = introspect(body["access_token"].as_str().unwrap().to_string()).await;
    assert_eq!(seen["active"], true, "its API is among the audiences");
    assert_eq!(seen["aud"], serde_json::json!([PHOTOS, CALENDAR]));
    let plain =
        ok_json(token_as(&app, GALLERY, &secret, &[("grant_type", "client_credentials")]).await).await;
    let seen = introspect(plain["access_token"].as_str().unwrap().to_string()).await;
    assert_eq!(
        seen,
        serde_json::json!({"active": false}),
        "not the configured audience's"
    );
}

/// J.1: pushed requests carry their resources to `/authorize` (RFC 9126 + RFC 8707).
#[tokio::test]
async fn pushed_request_keeps_its_resources() {
    let app = spawn_app().await;
    let secret = setup(&app).await;
    let (verifier, challenge) = pkce_pair();
    let q = [
        ("response_type", "code"),
        ("client_id", GALLERY),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid photos:read calendar:read"),
        ("state", "st"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("resource", PHOTOS),
        ("resource", CALENDAR),
    ];
    let push = app
        .api
        .post(app.url("/par"))
        .basic_auth(GALLERY, Some(&secret))
        .form(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(push.status(), 201);
    let pushed: Value = push.json().await.unwrap();
    let uri = pushed["request_uri"].as_str().unwrap();
    let res = app
        .authorize(&[("client_id", GALLERY), ("request_uri", uri)])
        .await;
    let page = res.text().await.unwrap();
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    let code = param(&location_params(&res), "code").expect("code");
    let body = ok_json(redeem(&app, &secret, &code, &verifier, &[]).await).await;
    assert_eq!(claims(&body)["aud"], serde_json::json!([PHOTOS, CALENDAR]));
}

/// J.1: the consent page names the API and describes its scopes in its own words.
#[tokio::test]
async fn consent_page_describes_api_scopes_with_the_apis_name() {
    let app = spawn_app().await;
    setup(&app).await;
    let (res, _) = authorize_and_login(&app, PRINTER, "openid photos:read", &[("resource", PHOTOS)]).await;
    assert_eq!(res.status(), 200, "the consent page");
    let page = res.text().await.unwrap();
    assert!(page.contains("See your photos"), "{page}");
    assert!(page.contains("<span class=\"scope-api\">Photos</span>"), "{page}");
}

/// The CLI: `api add/list/show/scope add/scope remove/remove` and `client add --api`.
#[tokio::test]
async fn api_cli_round_trip() {
    let cli = crate::cli::Cli::new();
    let run = |args: &[&str]| {
        let out = cli.run(args, None);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        (out.status.success(), stdout, stderr)
    };
    let (ok, out, err) = run(&[
        "api",
        "add",
        PHOTOS,
        "--name",
        "Photos",
        "--scope",
        "photos:read:See your photos",
        "--scope",
        "photos:write",
        "--access-token-ttl",
        "600",
        "--json",
    ]);
    assert!(ok, "{err}");
    let api: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(api["identifier"], PHOTOS);
    assert_eq!(api["scopes"][0]["description"], "See your photos");
    assert_eq!(api["access_token_ttl_secs"], 600);

    let (ok, _, err) = run(&["api", "add", "https://x.example/#f", "--name", "X"]);
    assert!(!ok && err.contains("fragment"), "{err}");
    let (ok, _, err) = run(&["api", "add", PHOTOS, "--name", "Again"]);
    assert!(!ok && err.contains("already exists"), "{err}");

    let (ok, _, err) = run(&["api", "scope", "add", PHOTOS, "photos:share:Share your photos"]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&["api", "scope", "remove", PHOTOS, "photos:write"]);
    assert!(ok, "{err}");
    let (ok, out, _) = run(&["api", "show", PHOTOS, "--json"]);
    assert!(ok);
    let api: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = api["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["photos:read", "photos:share"]);

    let (ok, out, err) = run(&[
        "client",
        "add",
        "Gallery",
        "--grant-type",
        "client_credentials",
        "--scope",
        "photos:read",
        "--api",
        PHOTOS,
        "--json",
    ]);
    assert!(ok, "{err}");
    let client: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(client["api"], PHOTOS);
    let id = client["client_id"].as_str().unwrap();
    let (ok, out, _) = run(&["client", "show", id]);
    assert!(ok && out.contains(&format!("api:           {PHOTOS}")), "{out}");
    let (ok, _, err) = run(&[
        "client",
        "add",
        "Nope",
        "--grant-type",
        "client_credentials",
        "--api",
        "https://none.example",
    ]);
    assert!(!ok && err.contains("no API"), "{err}");

    let (ok, out, _) = run(&["api", "list"]);
    assert!(
        ok && out.contains(PHOTOS) && out.contains("photos:share"),
        "{out}"
    );
    let (ok, _, err) = run(&["api", "remove", PHOTOS]);
    assert!(ok, "{err}");
    let (ok, out, _) = run(&["client", "show", id, "--json"]);
    assert!(ok);
    let client: Value = serde_json::from_str(&out).unwrap();
    assert!(
        client.get("api").is_none(),
        "the policy went with the API: {client}"
    );
    let (ok, _, _) = run(&["api", "show", PHOTOS]);
    assert!(!ok);
}
