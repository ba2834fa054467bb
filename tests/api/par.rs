//! RFC 9126 pushed authorization requests (docs/security.md F.1), over raw HTTP: the
//! `openidconnect` crate has no PAR support.

use serde_json::Value;

use crate::authorize::{assert_error_page, assert_redirect_error, redirect_params};
use crate::helpers::*;

const PUSHED_STATE: &str = "pushed-state";

/// The confidential client's authorization request parameters, as pushed.
fn pushed_request(challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", CONFIDENTIAL_ID.into()),
        ("redirect_uri", REDIRECT_URI.into()),
        ("scope", "openid profile".into()),
        ("state", PUSHED_STATE.into()),
        ("nonce", "n-pushed".into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

/// POST /par as the confidential client (client_secret_basic).
async fn push(app: &TestApp, form: &[(&str, String)]) -> reqwest::Response {
    app.api
        .post(app.url("/par"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Pushes the confidential client's request; returns (request_uri, verifier).
async fn pushed(app: &TestApp) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let res = push(app, &pushed_request(&challenge)).await;
    assert_eq!(res.status(), 201, "201 Created");
    assert_no_store(&res);
    let body: Value = res.json().await.unwrap();
    let uri = body["request_uri"].as_str().unwrap().to_string();
    assert!(uri.starts_with("urn:ietf:params:oauth:request_uri:"), "{uri}");
    assert_eq!(body["expires_in"], 60);
    (uri, verifier)
}

/// GET /authorize with a request_uri for `client_id`, plus `extra` parameters.
async fn authorize_with(
    app: &TestApp,
    client_id: &str,
    request_uri: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut q = vec![("client_id", client_id), ("request_uri", request_uri)];
    q.extend_from_slice(extra);
    app.authorize(&q).await
}

/// Signs in on the page `res` shows when it is the login page; returns the redirect.
async fn through_login(app: &TestApp, res: reqwest::Response) -> reqwest::Response {
    if res.status() == 200 {
        let page = res.text().await.unwrap();
        app.submit_login(&page, USERNAME, PASSWORD).await
    } else {
        res
    }
}

/// F.1: a pushed request, referred to by its request_uri, runs the whole code flow with PKCE; the
/// parameters sent to /authorize beside it are ignored (RFC 9126 §4).
#[tokio::test]
async fn pushed_request_completes_the_code_flow_with_pkce() {
    let app = spawn_app().await;
    let (uri, verifier) = pushed(&app).await;
    let ignored = [
        ("redirect_uri", "https://evil.example/cb"),
        ("state", "not-pushed"),
        ("scope", "openid email"),
    ];
    let res = through_login(&app, authorize_with(&app, CONFIDENTIAL_ID, &uri, &ignored).await).await;
    let params = redirect_params(&res, REDIRECT_URI);
    assert_eq!(param(&params, "state").as_deref(), Some(PUSHED_STATE));
    let code = param(&params, "code").unwrap();
    let tokens = app.exchange(&code, &verifier).await;
    assert_eq!(
        tokens["scope"], "openid profile",
        "the pushed scope, not the one sent alongside"
    );
    assert_eq!(
        jwt_part(tokens["id_token"].as_str().unwrap(), 1)["nonce"],
        "n-pushed"
    );
}

/// F.1: a public client pushes with its client_id alone (no secret) and PKCE.
#[tokio::test]
async fn public_client_pushes_with_its_client_id() {
    let app = spawn_app().await;
    let (verifier, challenge) = pkce_pair();
    let form = [
        ("response_type", "code"),
        ("client_id", PUBLIC_ID),
        ("redirect_uri", SPA_REDIRECT),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let res = app.api.post(app.url("/par")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(
        header(&res, "access-control-allow-origin"),
        "*",
        "SPAs push from the browser"
    );
    let body: Value = res.json().await.unwrap();
    let uri = body["request_uri"].as_str().unwrap();
    let res = through_login(&app, authorize_with(&app, PUBLIC_ID, uri, &[]).await).await;
    let code = param(&redirect_params(&res, SPA_REDIRECT), "code").unwrap();
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC_ID),
            ("code", &code),
            ("redirect_uri", SPA_REDIRECT),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// F.1, RFC 9126 §7.3: a request_uri works once.
#[tokio::test]
async fn request_uri_is_single_use() {
    let app = spawn_app().await;
    let (uri, _) = pushed(&app).await;
    let first = through_login(&app, authorize_with(&app, CONFIDENTIAL_ID, &uri, &[]).await).await;
    redirect_params(&first, REDIRECT_URI);
    let again = authorize_with(&app, CONFIDENTIAL_ID, &uri, &[]).await;
    assert_error_page(again, "invalid_request_uri").await;
}

/// F.1, RFC 9126 §2.2: a request_uri expires after `par.request_uri_ttl_secs`.
#[tokio::test]
async fn expired_request_uri_is_refused() {
    let app = spawn_app().await;
    let (uri, _) = pushed(&app).await;
    app.clock.advance(std::time::Duration::from_secs(61));
    let res = authorize_with(&app, CONFIDENTIAL_ID, &uri, &[]).await;
    assert_error_page(res, "invalid_request_uri").await;
}

/// F.1, RFC 9126 §4: another client's request_uri is refused, and stays good for its own client.
#[tokio::test]
async fn request_uri_of_another_client_is_refused() {
    let app = spawn_app().await;
    let (uri, _) = pushed(&app).await;
    let res = authorize_with(&app, PUBLIC_ID, &uri, &[]).await;
    assert_error_page(res, "invalid_request_uri").await;
    let res = through_login(&app, authorize_with(&app, CONFIDENTIAL_ID, &uri, &[]).await).await;
    redirect_params(&res, REDIRECT_URI);
}

/// F.1: a request_uri that is not ours, or sent without client_id, is the error page: nothing in
/// it was verified, so nothing is redirected.
#[tokio::test]
async fn unknown_request_uri_is_never_redirected() {
    let app = spawn_app().await;
    let unknown = format!(
        "urn:ietf:params:oauth:request_uri:{}",
        portcullis::random::secret_256()
    );
    for uri in [unknown.as_str(), "https://client.example.com/request.jwt", "x"] {
        let res = authorize_with(&app, CONFIDENTIAL_ID, uri, &[("redirect_uri", REDIRECT_URI)]).await;
        assert_error_page(res, "invalid_request_uri").await;
    }
    let (uri, _) = pushed(&app).await;
    let res = app.authorize(&[("request_uri", uri.as_str())]).await;
    assert_error_page(res, "invalid_request").await;
}

/// F.1, RFC 9126 §2.1, §2.3: /par authenticates the client as /token does, validates the request
/// as /authorize does, refuses a request_uri in the body, and answers every error with JSON.
#[tokio::test]
async fn pushed_request_errors_are_json_never_redirects() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let with = |name: &'static str, value: &str| {
        let mut form = pushed_request(&challenge);
        form.retain(|(k, _)| *k != name);
        if !value.is_empty() {
            form.push((name, value.to_string()));
        }
        form
    };
    let cases = [
        (
            with("redirect_uri", "https://evil.example/cb"),
            400,
            "invalid_request",
        ),
        (with("scope", "openid admin"), 400, "invalid_scope"),
        (with("response_type", "token"), 400, "unsupported_response_type"),
        (with("code_challenge_method", "plain"), 400, "invalid_request"),
        (
            with("request_uri", "urn:ietf:params:oauth:request_uri:abc"),
            400,
            "invalid_request",
        ),
        (with("client_id", PUBLIC_ID), 400, "invalid_request"),
    ];
    for (form, status, error) in cases {
        let res = push(&app, &form).await;
        assert!(res.headers().get("location").is_none());
        error_body(res, status, error).await;
    }
    let res = app
        .api
        .post(app.url("/par"))
        .basic_auth(CONFIDENTIAL_ID, Some("wrong"))
        .form(&pushed_request(&challenge))
        .send()
        .await
        .unwrap();
    error_body(res, 401, "invalid_client").await;
    let res = app.api.get(app.url("/par")).send().await.unwrap();
    assert_eq!(res.status(), 405, "RFC 9126 §2.3: POST only");
}

/// F.1, RFC 9126 §6: a client registered with `require_pushed_authorization_requests` gets
/// `invalid_request` for a plain authorization request; through /par it works.
#[tokio::test]
async fn client_that_must_push_is_refused_a_plain_request() {
    let app = spawn_app().await;
    set_client_column(
        &app,
        CONFIDENTIAL_ID,
        "require_pushed_authorization_requests",
        "1",
    );
    let (_, challenge) = pkce_pair();
    let res = app
        .authorize(&app.code_request("st-plain", "n", &challenge, "openid"))
        .await;
    assert_redirect_error(&app, &res, REDIRECT_URI, "invalid_request", "st-plain");
    let (uri, _) = pushed(&app).await;
    let res = through_login(&app, authorize_with(&app, CONFIDENTIAL_ID, &uri, &[]).await).await;
    assert!(param(&redirect_params(&res, REDIRECT_URI), "code").is_some());
}

/// F.1, RFC 9126 §5: with `par.required`, every client must push, and discovery says so.
#[tokio::test]
async fn server_wide_requirement_refuses_plain_requests_and_is_advertised() {
    let app = spawn_app_with(|s| s.par.required = true).await;
    let doc: Value = app
        .api
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["require_pushed_authorization_requests"], true);
    assert_eq!(doc["pushed_authorization_request_endpoint"], app.url("/par"));
    let (_, challenge) = pkce_pair();
    let res = app
        .authorize(&app.code_request("st-plain", "n", &challenge, "openid"))
        .await;
    assert_redirect_error(&app, &res, REDIRECT_URI, "invalid_request", "st-plain");
    let (uri, _) = pushed(&app).await;
    let res = through_login(&app, authorize_with(&app, CONFIDENTIAL_ID, &uri, &[]).await).await;
    assert!(param(&redirect_params(&res, REDIRECT_URI), "code").is_some());
}

/// F.1: discovery names the endpoint; PAR is optional by default.
#[tokio::test]
async fn discovery_advertises_the_par_endpoint() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let doc: Value = app
            .api
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            doc["pushed_authorization_request_endpoint"],
            app.url("/par"),
            "{path}"
        );
        assert_eq!(doc["require_pushed_authorization_requests"], false, "{path}");
    }
}

/// F.1: `portcullis client add --require-par` makes a client that must push: a plain request is
/// refused, a pushed one works with the secret the CLI printed.
#[tokio::test]
async fn cli_made_client_with_require_par_must_push() {
    let app = spawn_app().await;
    let mut cli = crate::cli::Cli::with_database(
        secrecy::ExposeSecret::expose_secret(&app.state.settings.database.url).to_string(),
    );
    cli.master_key =
        secrecy::ExposeSecret::expose_secret(app.state.settings.keys.master_key.as_ref().unwrap())
            .to_string();
    let created = cli.json(
        &[
            "client",
            "add",
            "Pushy",
            "--redirect-uri",
            REDIRECT_URI,
            "--first-party",
            "--require-par",
            "--json",
        ],
        None,
    );
    assert_eq!(created["require_pushed_authorization_requests"], true);
    let id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    let (_, challenge) = pkce_pair();
    let mut plain = app.code_request("st-plain", "n", &challenge, "openid");
    plain.retain(|(k, _)| *k != "client_id");
    plain.push(("client_id", id));
    let res = app.authorize(&plain).await;
    assert_redirect_error(&app, &res, REDIRECT_URI, "invalid_request", "st-plain");
    let mut form = pushed_request(&challenge);
    form.retain(|(k, _)| *k != "client_id");
    let res = app
        .api
        .post(app.url("/par"))
        .basic_auth(id, Some(secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let uri = res.json::<Value>().await.unwrap()["request_uri"]
        .as_str()
        .unwrap()
        .to_string();
    let res = through_login(&app, authorize_with(&app, id, &uri, &[]).await).await;
    assert!(param(&redirect_params(&res, REDIRECT_URI), "code").is_some());
}
