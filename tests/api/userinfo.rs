//! The userinfo endpoint as a bearer-protected resource (docs/security.md C.16; RFC 6750 §2-3,
//! OpenID Core §5.3).

use serde_json::Value;

use crate::helpers::*;

async fn access_token(app: &TestApp) -> String {
    password_tokens(app, "openid profile email").await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn userinfo_accepts_bearer_token_in_authorization_header() {
    let app = spawn_app().await;
    let token = access_token(&app).await;
    let res = get_userinfo(&app, &token).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "cache-control"), "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["sub"], app.user_id.as_str());
    assert_eq!(body["email"], "alice@example.com");
    // POST with the header works too, and the scheme is case-insensitive.
    let res = app
        .api
        .post(app.url("/userinfo"))
        .header("Authorization", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn userinfo_returns_only_the_claims_the_scope_grants() {
    let app = spawn_app().await;
    let body = password_tokens(&app, "openid").await;
    let claims: Value = get_userinfo(&app, body["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(claims, serde_json::json!({ "sub": app.user_id }));
    let body = password_tokens(&app, "openid profile").await;
    let claims: Value = get_userinfo(&app, body["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(claims["preferred_username"], USERNAME);
    assert!(claims.get("email").is_none(), "{claims}");
}

#[tokio::test]
async fn userinfo_accepts_access_token_in_form_body() {
    let app = spawn_app().await;
    let token = access_token(&app).await;
    let res = app
        .api
        .post(app.url("/userinfo"))
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["sub"], app.user_id.as_str());
    // Two methods at once are refused (RFC 6750 §2).
    let res = app
        .api
        .post(app.url("/userinfo"))
        .bearer_auth(&token)
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn userinfo_refuses_access_token_in_query_string() {
    let app = spawn_app().await;
    let token = access_token(&app).await;
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let res = app
            .api
            .request(method.clone(), app.url("/userinfo"))
            .query(&[("access_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{method}");
        let challenge = header(&res, "www-authenticate");
        assert!(challenge.contains(r#"error="invalid_request""#), "{challenge}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert!(body.get("sub").is_none());
    }
}

#[tokio::test]
async fn userinfo_without_token_gets_bare_bearer_challenge() {
    let app = spawn_app().await;
    for res in [
        app.api.get(app.url("/userinfo")).send().await.unwrap(),
        app.api
            .post(app.url("/userinfo"))
            .form(&[("foo", "bar")])
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(res.status(), 401);
        let challenge = header(&res, "www-authenticate");
        assert!(challenge.starts_with("Bearer realm="), "{challenge}");
        assert!(
            !challenge.contains("error="),
            "RFC 6750 §3.1: no error code without a token: {challenge}"
        );
    }
}

#[tokio::test]
async fn userinfo_with_invalid_token_gets_invalid_token_challenge() {
    let app = spawn_app().await;
    let token = access_token(&app).await;
    // A token with a broken signature.
    let sig_at = token.rfind('.').unwrap() + 10;
    let flipped = if &token[sig_at..=sig_at] == "A" { "B" } else { "A" };
    let broken = format!("{}{flipped}{}", &token[..sig_at], &token[sig_at + 1..]);
    for bad in [broken.as_str(), "not-a-token", "a.b.c"] {
        let res = get_userinfo(&app, bad).await;
        assert_invalid_token(res).await;
    }
    // An ID token is not an access token (typ check, RFC 9068 §4).
    let body = password_tokens(&app, "openid").await;
    assert_invalid_token(get_userinfo(&app, body["id_token"].as_str().unwrap()).await).await;
}

#[tokio::test]
async fn userinfo_refuses_token_without_openid_scope() {
    let app = spawn_app().await;
    let token = client_token(&app).await;
    let res = get_userinfo(&app, &token).await;
    assert_eq!(res.status(), 403);
    let challenge = header(&res, "www-authenticate");
    assert!(challenge.contains(r#"error="insufficient_scope""#), "{challenge}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope");
    assert!(body.get("sub").is_none());
    // A user token without openid is refused the same way.
    let body = password_tokens(&app, "profile").await;
    let res = get_userinfo(&app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn userinfo_refuses_tokens_of_a_disabled_user() {
    let app = spawn_app().await;
    let token = access_token(&app).await;
    portcullis::accounts::users::set_state(
        &app.ctx().store,
        &app.clock,
        &app.user_id,
        portcullis::accounts::users::AccountState::Disabled,
    )
    .await
    .unwrap();
    assert_invalid_token(get_userinfo(&app, &token).await).await;
}
