//! CORS: single-page apps call the token, userinfo and revocation endpoints, discovery and the
//! JWKS from the browser; the authorization endpoint sends no CORS headers (docs/security.md A.4).

use crate::helpers::*;

#[tokio::test]
async fn browser_endpoints_answer_cors_preflight() {
    let app = spawn_app().await;
    for path in [
        "/token",
        "/userinfo",
        "/revoke",
        "/jwks",
        "/.well-known/openid-configuration",
    ] {
        let res = app
            .api
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("Origin", "https://spa.example")
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204, "{path}");
        assert_eq!(res.headers()["access-control-allow-origin"], "*", "{path}");
    }
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[("grant_type", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn authorization_endpoint_sends_no_cors_headers() {
    let app = spawn_app().await;
    let res = app
        .browser
        .get(app.url("/authorize"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}
