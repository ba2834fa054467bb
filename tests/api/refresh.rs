//! Refresh tokens (docs/security.md C.13; RFC 6749 §6, RFC 9700 §4.14): bound to the client, rotated,
//! reuse revokes the family, one winner under concurrency, expiry, user state and scope checks.

use serde_json::Value;

use crate::helpers::*;

const SCOPE: &str = "openid profile email offline_access";

async fn refresh_token(app: &TestApp) -> String {
    let body = password_tokens(app, SCOPE).await;
    body["refresh_token"].as_str().expect("refresh_token").to_string()
}

async fn refresh_ok(app: &TestApp, token: &str, scope: Option<&str>) -> Value {
    let res = refresh(app, token, scope).await;
    assert_eq!(res.status(), 200, "refresh failed");
    res.json().await.unwrap()
}

#[tokio::test]
async fn refresh_token_is_bound_to_its_client() {
    let app = spawn_app().await;
    let token = refresh_token(&app).await;
    // partner is a valid confidential client (same secret in the fixture) but not the token's client.
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(THIRD_PARTY_ID, Some(&app.client_secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token.as_str())])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_grant").await;
    // The public client cannot use it either.
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token.as_str()),
            ("client_id", PUBLIC_ID),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_grant").await;
    // The foreign attempts neither consumed nor revoked it for its own client.
    refresh_ok(&app, &token, None).await;
}

#[tokio::test]
async fn refresh_tokens_rotate_on_every_use() {
    let app = spawn_app().await;
    let first = refresh_token(&app).await;
    let second = refresh_ok(&app, &first, None).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(second, first);
    let third = refresh_ok(&app, &second, None).await;
    let third = third["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(third, second);
    assert_ne!(third, first);
    // The newest one is live; the used ones are not.
    assert_eq!(app.introspect(&third).await["active"], true);
    assert_eq!(app.introspect(&second).await["active"], false);
    assert_eq!(app.introspect(&first).await["active"], false);
}

#[tokio::test]
async fn reused_refresh_token_revokes_family() {
    let app = spawn_app().await;
    let old = refresh_token(&app).await;
    let rotated = refresh_ok(&app, &old, None).await;
    let new = rotated["refresh_token"].as_str().unwrap();
    // The rotated-out token comes back (stolen copy): refused ...
    error_body(refresh(&app, &old, None).await, 400, "invalid_grant").await;
    // ... and the legitimate holder's newer token dies with its family.
    error_body(refresh(&app, new, None).await, 400, "invalid_grant").await;
    assert_eq!(app.introspect(new).await["active"], false);
    // A fresh login is a new family and unaffected.
    let other = refresh_token(&app).await;
    refresh_ok(&app, &other, None).await;
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_yield_exactly_one_success() {
    let app = spawn_app().await;
    let token = refresh_token(&app).await;
    let attempts = (0..10).map(|_| {
        let api = app.api.clone();
        let url = app.url("/token");
        let secret = app.client_secret.clone();
        let token = token.clone();
        tokio::spawn(async move {
            let res = api
                .post(url)
                .basic_auth(CONFIDENTIAL_ID, Some(secret))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", token.as_str())])
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, body)
        })
    });
    let results: Vec<(u16, Value)> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let ok: Vec<_> = results.iter().filter(|(s, _)| *s == 200).collect();
    assert!(results.iter().all(|(s, _)| *s < 500), "no 5xx: {results:?}");
    assert_eq!(ok.len(), 1, "exactly one success: {results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(*status, 400, "{body}");
        assert_eq!(body["error"], "invalid_grant", "{body}");
    }
}

#[tokio::test]
async fn refresh_scope_can_only_narrow() {
    let app = spawn_app().await;
    let token = refresh_token(&app).await;
    // Widening (a scope the client may have but this grant never got): invalid_scope.
    let res = refresh(&app, &token, Some("openid profile email offline_access api:read")).await;
    error_body(res, 400, "invalid_scope").await;
    let res = refresh(&app, &token, Some("openid phone")).await;
    error_body(res, 400, "invalid_scope").await;
    // The failed attempts did not consume the token; narrowing works.
    let narrowed = refresh_ok(&app, &token, Some("openid profile")).await;
    assert_eq!(narrowed["scope"], "openid profile");
    let claims = crate::helpers::jwt_part(narrowed["access_token"].as_str().unwrap(), 1);
    assert_eq!(claims["scope"], "openid profile");
    // The family keeps the original grant: a later refresh without scope is not wider than it.
    let next = narrowed["refresh_token"].as_str().unwrap();
    let again = refresh_ok(&app, next, None).await;
    let scope: Vec<&str> = again["scope"].as_str().unwrap().split(' ').collect();
    assert!(
        scope.iter().all(|s| SCOPE.split(' ').any(|g| g == *s)),
        "{scope:?}"
    );
}

#[tokio::test]
async fn refresh_is_denied_after_user_is_disabled() {
    let app = spawn_app().await;
    let token = refresh_token(&app).await;
    portcullis::accounts::users::set_state(
        &app.ctx().store,
        &app.clock,
        &app.user_id,
        portcullis::accounts::users::AccountState::Disabled,
    )
    .await
    .unwrap();
    error_body(refresh(&app, &token, None).await, 400, "invalid_grant").await;
    // Enabling the user again does not bring the revoked family back.
    portcullis::accounts::users::set_state(
        &app.ctx().store,
        &app.clock,
        &app.user_id,
        portcullis::accounts::users::AccountState::Enabled,
    )
    .await
    .unwrap();
    error_body(refresh(&app, &token, None).await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn refresh_is_denied_after_password_change() {
    let app = spawn_app().await;
    let token = refresh_token(&app).await;
    portcullis::accounts::users::change_password(
        &app.ctx().store,
        &app.ctx().hasher,
        &app.clock,
        &app.user_id,
        "a brand new passphrase 2".into(),
    )
    .await
    .unwrap();
    error_body(refresh(&app, &token, None).await, 400, "invalid_grant").await;
    assert_eq!(app.introspect(&token).await["active"], false);
}

#[tokio::test]
async fn refresh_is_rechecked_against_the_clients_current_scopes_and_grants() {
    let app = spawn_app().await;
    let token = refresh_token(&app).await;
    // An admin takes `email` away from the client: refreshed tokens no longer carry it.
    set_client_column(
        &app,
        CONFIDENTIAL_ID,
        "scopes",
        r#"["openid","profile","offline_access"]"#,
    );
    let body = refresh_ok(&app, &token, None).await;
    let scope = body["scope"].as_str().unwrap();
    assert!(!scope.split(' ').any(|s| s == "email"), "scope {scope}");
    assert!(scope.split(' ').any(|s| s == "profile"), "scope {scope}");
    let claims = crate::helpers::jwt_part(body["access_token"].as_str().unwrap(), 1);
    assert!(
        !claims["scope"].as_str().unwrap().split(' ').any(|s| s == "email"),
        "{claims}"
    );
    let userinfo: Value = crate::helpers::get_userinfo(&app, body["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert!(userinfo.get("email").is_none(), "{userinfo}");
    // Asking for it explicitly does not get it either.
    let next = body["refresh_token"].as_str().unwrap();
    let res = refresh(&app, next, Some("openid email")).await;
    if res.status() == 200 {
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["scope"], "openid", "{body}");
    } else {
        error_body(res, 400, "invalid_scope").await;
    }

    // The client loses the refresh_token grant: the next refresh is refused.
    let token = password_tokens(&app, "openid offline_access").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    set_client_column(
        &app,
        CONFIDENTIAL_ID,
        "grant_types",
        r#"["authorization_code","password"]"#,
    );
    error_body(refresh(&app, &token, None).await, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn refresh_token_expires_after_idle_timeout() {
    let app = spawn_app().await;
    let token = refresh_token(&app).await;
    let idle = app.state.settings.tokens.refresh_idle_ttl_secs;
    app.clock.advance(std::time::Duration::from_secs(idle + 1));
    error_body(refresh(&app, &token, None).await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn refresh_token_family_expires_at_absolute_lifetime() {
    let app = spawn_app_with(|s| {
        s.tokens.refresh_idle_ttl_secs = 60;
        s.tokens.refresh_absolute_ttl_secs = 100;
    })
    .await;
    let token = refresh_token(&app).await;
    // Used within the lifetime, rotation still cannot extend the family past its end: the next
    // token would be idle-valid until 110 s, but the family ends at 100 s.
    app.clock.advance(std::time::Duration::from_secs(50));
    let next = refresh_ok(&app, &token, None).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    app.clock.advance(std::time::Duration::from_secs(55));
    error_body(refresh(&app, &next, None).await, 400, "invalid_grant").await;
}
