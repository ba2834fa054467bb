//! OpenID Core §11 (docs/security.md E.34): a refresh token without `offline_access` belongs to
//! the login session it was born in and ends with it; with `offline_access` it is independent of
//! the browser session.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

/// Signs in with the browser and exchanges the code for `scope`; returns the token response.
async fn tokens_for(app: &TestApp, scope: &str) -> Value {
    let (code, verifier) = app.login_for_code(scope).await;
    app.exchange(&code, &verifier).await
}

fn refresh_of(v: &Value) -> String {
    v["refresh_token"].as_str().expect("a refresh token").to_string()
}

/// RP-initiated logout of the browser's session with the ID token as hint.
async fn log_out(app: &TestApp, id_token: &str) {
    let res = app
        .browser
        .get(app.url("/logout"))
        .query(&[("id_token_hint", id_token)])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status() == 303,
        "logout: {}",
        res.status()
    );
}

#[tokio::test]
async fn refresh_token_without_offline_access_ends_with_logout() {
    let app = spawn_app().await;
    let tokens = tokens_for(&app, "openid").await;
    let next = refresh(&app, &refresh_of(&tokens), None).await;
    assert_eq!(next.status(), 200, "works while the session lives");
    let next: Value = next.json().await.unwrap();
    log_out(&app, tokens["id_token"].as_str().unwrap()).await;
    error_body(
        refresh(&app, &refresh_of(&next), None).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn refresh_token_without_offline_access_never_outlives_its_session() {
    let app = spawn_app().await;
    let tokens = tokens_for(&app, "openid").await;
    let session = app.state.settings.sessions.absolute_ttl_secs;
    assert!(session < app.state.settings.tokens.refresh_idle_ttl_secs);
    app.clock.advance(Duration::from_secs(session + 1));
    error_body(
        refresh(&app, &refresh_of(&tokens), None).await,
        400,
        "invalid_grant",
    )
    .await;
}

/// docs/operations.md, "What losing Redis costs": browser sessions, never a refresh family.
#[tokio::test]
async fn session_bound_refresh_token_survives_the_loss_of_the_short_lived_store() {
    let app = spawn_app().await;
    let tokens = tokens_for(&app, "openid").await;
    crate::durability::lose_short_lived_state(&app).await;
    assert_eq!(refresh(&app, &refresh_of(&tokens), None).await.status(), 200);
}

#[tokio::test]
async fn offline_access_refresh_token_outlives_logout_and_the_session() {
    let app = spawn_app().await;
    let tokens = tokens_for(&app, "openid offline_access").await;
    log_out(&app, tokens["id_token"].as_str().unwrap()).await;
    let idle = app.state.settings.sessions.idle_ttl_secs;
    app.clock.advance(Duration::from_secs(idle + 1));
    let res = refresh(&app, &refresh_of(&tokens), None).await;
    assert_eq!(
        res.status(),
        200,
        "offline access is independent of the browser session"
    );
}

#[tokio::test]
async fn signing_in_again_as_the_same_user_keeps_session_bound_tokens() {
    let app = spawn_app().await;
    let tokens = tokens_for(&app, "openid").await;
    // prompt=login: a new login in the same browser continues the session (same sid).
    let (_, challenge) = pkce_pair();
    let mut request = app.code_request("st", "n", &challenge, "openid");
    request.push(("prompt", "login"));
    let page = app.authorize(&request).await.text().await.unwrap();
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(refresh(&app, &refresh_of(&tokens), None).await.status(), 200);
}

#[tokio::test]
async fn password_grant_issues_a_refresh_token_only_for_offline_access() {
    let app = spawn_app().await;
    let without = password_tokens(&app, "openid").await;
    assert!(without.get("refresh_token").is_none(), "{without}");
    let with = password_tokens(&app, "openid offline_access").await;
    assert!(with["refresh_token"].is_string());
}
