//! Hostile and malformed input (docs/security.md E.26, E.28; RFC 6749 §3.1-3.2): security headers on
//! pages, bounded bodies and parameters, duplicate parameters, content types, garbage headers and
//! tokens; health endpoints.

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn pages_carry_security_headers() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let login = app
        .authorize(&app.code_request("st", "n", &challenge, "openid"))
        .await;
    assert_eq!(login.status(), 200, "login page");
    let error = app.authorize(&[("client_id", "nobody")]).await;
    assert_eq!(error.status(), 400, "error page");
    let token_error = app
        .api
        .post(app.url("/token"))
        .form(&[("a", "b")])
        .send()
        .await
        .unwrap();
    for res in [&login, &error, &token_error] {
        let csp = header(res, "content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{}: {csp}", res.url());
        assert!(csp.contains("frame-ancestors 'none'"), "{}: {csp}", res.url());
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(header(res, "x-content-type-options"), "nosniff", "{}", res.url());
        // http issuer: no HSTS (it would be ignored, and would break local development).
        assert_eq!(header(res, "strict-transport-security"), "");
    }
}

#[tokio::test]
async fn oversized_body_is_413_not_500() {
    let app = spawn_app().await;
    let body = format!("grant_type=client_credentials&pad={}", "a".repeat(100 * 1024));
    for path in [
        "/token",
        "/introspect",
        "/revoke",
        "/userinfo",
        "/login",
        "/consent",
        "/authorize",
        "/logout",
    ] {
        let res = app
            .api
            .post(app.url(path))
            .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413, "{path}");
    }
    // The server is still fine afterwards.
    let res = app.token(&[("grant_type", "client_credentials")]).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn oversized_parameter_is_400() {
    let app = spawn_app().await;
    let big = "a".repeat(10 * 1024);
    let res = app
        .token(&[("grant_type", "client_credentials"), ("scope", &big)])
        .await;
    error_body(res, 400, "invalid_request").await;
    let res = app
        .token(&[
            ("grant_type", "password"),
            ("username", &big),
            ("password", PASSWORD),
        ])
        .await;
    error_body(res, 400, "invalid_request").await;
    let res = app
        .api
        .post(app.url("/introspect"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(&[("token", big.as_str())])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_request").await;
    // In a query string at the authorization endpoint: the error page, not a crash or redirect.
    let res = app
        .authorize(&[("client_id", CONFIDENTIAL_ID), ("state", &big)])
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    // A parameter name that long too.
    let res = app
        .token(&[("grant_type", "client_credentials"), (&big, "x")])
        .await;
    error_body(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn duplicate_parameter_is_invalid_request() {
    let app = spawn_app().await;
    for body in [
        "grant_type=client_credentials&grant_type=client_credentials",
        "grant_type=client_credentials&scope=api:read&scope=api:read",
        "grant_type=password&username=alice&username=mallory&password=x",
    ] {
        let res = app
            .api
            .post(app.url("/token"))
            .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        error_body(res, 400, "invalid_request").await;
    }
    // A duplicated client_id is not a way to pick a client.
    let res = app
        .api
        .post(app.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&client_id={CONFIDENTIAL_ID}&client_id={PUBLIC_ID}&client_secret={}",
            app.client_secret
        ))
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn non_form_content_type_is_invalid_request() {
    let app = spawn_app().await;
    for path in ["/token", "/introspect", "/revoke"] {
        for (ct, body) in [
            (
                "application/json",
                r#"{"grant_type":"client_credentials","token":"x"}"#,
            ),
            ("text/plain", "grant_type=client_credentials&token=x"),
            ("multipart/form-data; boundary=x", "--x\r\n"),
        ] {
            let res = app
                .api
                .post(app.url(path))
                .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            error_body(res, 400, "invalid_request").await;
        }
        // No content type at all.
        let res = app
            .api
            .post(app.url(path))
            .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
            .body("grant_type=client_credentials&token=x")
            .send()
            .await
            .unwrap();
        error_body(res, 400, "invalid_request").await;
    }
    // Parameters are params, with a charset they still count as a form.
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .header("content-type", "application/x-www-form-urlencoded; charset=UTF-8")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn garbage_authorization_headers_are_refused_cleanly() {
    let app = spawn_app().await;
    let garbage: Vec<reqwest::header::HeaderValue> = [
        "Basic",
        "Basic ",
        "Basic !!!!",
        "Basic ====",
        "Basic Og==",             // ":" (empty id)
        "Basic YWJj",             // "abc" (no colon)
        "Basic JXp6OnNlY3JldA==", // "%zz:secret"
        "Basic /w==",             // 0xff (not UTF-8)
        "Bearer abc",
        "Digest username=\"x\"",
        "NTLM TlRMTVNTUAABAAAAB4IIog==",
        "\t",
    ]
    .iter()
    .map(|v| reqwest::header::HeaderValue::from_str(v).unwrap())
    .chain([
        reqwest::header::HeaderValue::from_bytes(b"Basic \xff\xfe").unwrap(),
        reqwest::header::HeaderValue::from_str(&format!("Basic {}", "A".repeat(7000))).unwrap(),
    ])
    .collect();
    for value in &garbage {
        let res = app
            .api
            .post(app.url("/token"))
            .header("authorization", value.clone())
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert!(body.get("access_token").is_none(), "{value:?}: {body}");
        match status {
            401 => assert_eq!(body["error"], "invalid_client", "{value:?}"),
            400 => assert_eq!(body["error"], "invalid_request", "{value:?}"),
            other => panic!("{value:?}: status {other}, body {body}"),
        }
        // Userinfo: never 200 or 5xx.
        let res = app
            .api
            .get(app.url("/userinfo"))
            .header("authorization", value.clone())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        assert!([400, 401].contains(&status), "userinfo {value:?}: {status}");
        assert!(
            header(&res, "www-authenticate").starts_with("Bearer"),
            "userinfo {value:?}"
        );
    }
}

#[tokio::test]
async fn malformed_jwt_bearer_is_401_invalid_token() {
    let app = spawn_app().await;
    let long = "a".repeat(9000);
    let cases = [
        "a.b.c",
        "...",
        "a.b",
        "a.b.c.d.e",
        "eyJ.eyJ.sig",
        "e30.e30.",                                        // {}.{}.
        "eyJhbGciOiJSUzI1NiJ9.e30.AAAA",                   // RS256 without kid
        "eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vIn0.e30.AAAA",    // unknown kid
        "eyJhbGciOiJSUzI1NiIsImNyaXQiOlsieCJdfQ.e30.AAAA", // crit
        "W10.W10.AAAA",                                    // [].[]
        long.as_str(),
    ];
    for token in cases {
        assert_invalid_token(get_userinfo(&app, token).await).await;
    }
}

#[tokio::test]
async fn health_endpoints_answer_200() {
    let app = spawn_app().await;
    let res = app.api.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.api.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["ephemeral"], "ok");
}

/// E.28: a control character (a NUL, a newline) in any parameter is `invalid_request` at every
/// endpoint, never a 500 (a NUL reached PostgreSQL before), and never a login.
#[tokio::test]
async fn control_characters_in_parameters_are_invalid_request() {
    let app = spawn_app().await;
    for (name, value) in [
        ("username", "alice\0"),
        ("username", "alice\n"),
        ("password", "correct horse\0battery staple"),
    ] {
        let mut form = vec![
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", PASSWORD),
        ];
        form.retain(|(k, _)| *k != name);
        form.push((name, value));
        error_body(app.token(&form).await, 400, "invalid_request").await;
    }
    for path in ["/introspect", "/revoke"] {
        let res = app
            .api
            .post(app.url(path))
            .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
            .form(&[("token", "a\0b")])
            .send()
            .await
            .unwrap();
        error_body(res, 400, "invalid_request").await;
    }
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", "web\0app")])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_request").await;
    // In HTTP Basic credentials (form-url-encoded inside): `invalid_client`.
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth("web%00app", Some("x"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    error_body(res, 401, "invalid_client").await;

    // At the authorization endpoint: the error page, as for anything the parser refuses (it runs
    // before the client and redirect URI are known).
    let (_, challenge) = pkce_pair();
    let mut request = app.code_request("st", "n", &challenge, "openid");
    request.push(("login_hint", "alice\r\nX-Injected: 1"));
    let res = app.authorize(&request).await;
    assert_eq!(res.status(), 400, "control characters: not the login page");
    assert!(res.headers().get("location").is_none());
    let res = app.authorize(&[("client_id", "web\0app")]).await;
    assert_eq!(res.status(), 400);

    // The login form: refused before any password check, no session.
    let page = app
        .authorize(&app.code_request("st", "n", &challenge, "openid"))
        .await
        .text()
        .await
        .unwrap();
    let res = app.submit_login(&page, "alice\0", PASSWORD).await;
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("set-cookie").is_none());
}
