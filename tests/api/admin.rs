//! Administrators end a user's sessions : disabling a user or logging them out makes
//! introspection report their access tokens inactive and userinfo refuse them at once, and ends
//! their refresh-token families and browser sessions.

use portcullis::accounts::users;

use crate::helpers::*;

async fn signed_in_tokens(app: &TestApp) -> serde_json::Value {
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    app.exchange(&code, &verifier).await
}

async fn userinfo_status(app: &TestApp, access: &str) -> u16 {
    app.api
        .get(app.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn admin_logout_ends_access_tokens_families_and_sessions_at_once() {
    let app = spawn_app().await;
    let tokens = signed_in_tokens(&app).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&app, access).await, 200);

    let ended = users::logout_everywhere(&app.ctx().store, &app.clock, &app.user_id)
        .await
        .unwrap();
    assert_eq!(ended, 1, "one token family ended");

    assert_eq!(
        app.introspect(access).await["active"],
        false,
        "introspection: inactive at once"
    );
    assert_eq!(
        userinfo_status(&app, access).await,
        401,
        "userinfo refuses at once"
    );
    assert_eq!(app.introspect(refresh).await["active"], false);
    let res = app
        .token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await;
    assert_eq!(res.status(), 400);
    // The browser's login session is over: prompt=none needs a login.
    let (_, challenge) = pkce_pair();
    let mut params = app.code_request("s", "n", &challenge, "openid");
    params.push(("prompt", "none"));
    let res = app.authorize(&params).await;
    assert_eq!(
        param(&location_params(&res), "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn disabled_user_tokens_are_inactive_at_once() {
    let app = spawn_app().await;
    let tokens = signed_in_tokens(&app).await;
    let access = tokens["access_token"].as_str().unwrap();
    users::set_state(
        &app.ctx().store,
        &app.clock,
        &app.user_id,
        portcullis::accounts::users::AccountState::Disabled,
    )
    .await
    .unwrap();
    assert_eq!(app.introspect(access).await["active"], false);
    assert_eq!(userinfo_status(&app, access).await, 401);
    let res = app
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn cli_user_sessions_lists_families_and_user_logout_ends_them() {
    let app = spawn_app().await;
    let _ = signed_in_tokens(&app).await;
    let db = secrecy::ExposeSecret::expose_secret(&app.state.settings.database.url).to_string();
    let key = secrecy::ExposeSecret::expose_secret(app.state.settings.keys.master_key.as_ref().unwrap())
        .to_string();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(args)
            .env("PORTCULLIS_DATABASE__URL", &db)
            .env("PORTCULLIS_KEYS__MASTER_KEY", &key)
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .output()
            .unwrap()
    };
    let out = run(&["user", "sessions", USERNAME, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let families: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(families.as_array().unwrap().len(), 1);
    assert_eq!(families[0]["client_id"], CONFIDENTIAL_ID);

    let out = run(&["user", "logout", USERNAME]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["user", "sessions", USERNAME, "--json"]);
    let families: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        families.as_array().unwrap().len(),
        0,
        "no live families after user logout"
    );
}

#[tokio::test]
async fn device_name_at_the_token_request_names_the_session() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    let res = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
            ("device_name", "Kitchen tablet"),
        ])
        .await;
    assert_eq!(res.status(), 200);
    let families = app
        .state
        .ctx
        .store
        .active_families_for_user(&app.user_id, app.clock.now())
        .await
        .unwrap();
    assert_eq!(families.len(), 1);
    assert_eq!(families[0].device_name.as_deref(), Some("Kitchen tablet"));
}
