//! Introspection (RFC 7662) and revocation (RFC 7009), docs/security.md C.18: revoked tokens are
//! refused and reported inactive; introspection is for confidential clients only.

use serde_json::{Value, json};

use crate::helpers::*;

async fn revoke(app: &TestApp, token: &str, hint: Option<&str>) -> reqwest::Response {
    let mut form = vec![("token", token)];
    if let Some(h) = hint {
        form.push(("token_type_hint", h));
    }
    app.api
        .post(app.url("/revoke"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn revoked_access_token_is_refused_and_inactive() {
    let app = spawn_app().await;
    let tokens = password_tokens(&app, "openid profile offline_access").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(get_userinfo(&app, access).await.status(), 200);
    assert_eq!(app.introspect(access).await["active"], true);

    let res = revoke(&app, access, Some("access_token")).await;
    assert_eq!(res.status(), 200);
    assert_invalid_token(get_userinfo(&app, access).await).await;
    assert_eq!(app.introspect(access).await, json!({ "active": false }));
    // The access token's revocation leaves the refresh token usable (RFC 7009 §2.1 MAY, not MUST).
    let refreshed = refresh(&app, tokens["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(refreshed.status(), 200);

    // Without a hint the access token is found as well.
    let other = password_tokens(&app, "openid").await;
    let other = other["access_token"].as_str().unwrap();
    assert_eq!(revoke(&app, other, None).await.status(), 200);
    assert_invalid_token(get_userinfo(&app, other).await).await;
}

#[tokio::test]
async fn revoked_refresh_token_cannot_refresh_and_is_inactive() {
    let app = spawn_app().await;
    let tokens = password_tokens(&app, "openid offline_access").await;
    let rt = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(app.introspect(rt).await["active"], true);
    let res = revoke(&app, rt, Some("refresh_token")).await;
    assert_eq!(res.status(), 200);
    error_body(refresh(&app, rt, None).await, 400, "invalid_grant").await;
    assert_eq!(app.introspect(rt).await, json!({ "active": false }));

    // With a misleading hint the refresh token is still found and revoked.
    let tokens = password_tokens(&app, "openid offline_access").await;
    let rt = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(revoke(&app, rt, Some("access_token")).await.status(), 200);
    error_body(refresh(&app, rt, None).await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn revocation_by_another_client_leaves_the_token_alone() {
    let app = spawn_app().await;
    let tokens = password_tokens(&app, "openid offline_access").await;
    let (access, rt) = (
        tokens["access_token"].as_str().unwrap(),
        tokens["refresh_token"].as_str().unwrap(),
    );
    for token in [access, rt] {
        let res = app
            .api
            .post(app.url("/revoke"))
            .basic_auth(THIRD_PARTY_ID, Some(&app.client_secret))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "RFC 7009 §2.2: answered 200 either way");
    }
    assert_eq!(get_userinfo(&app, access).await.status(), 200);
    assert_eq!(refresh(&app, rt, None).await.status(), 200);
}

#[tokio::test]
async fn introspection_reports_live_access_and_refresh_tokens() {
    let app = spawn_app().await;
    let tokens = password_tokens(&app, "openid profile offline_access").await;
    let access = app.introspect(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(access["active"], true);
    assert_eq!(access["scope"], "offline_access openid profile");
    assert_eq!(access["client_id"], CONFIDENTIAL_ID);
    assert_eq!(access["sub"], app.user_id.as_str());
    assert_eq!(access["iss"], app.address.as_str());
    assert!(access["exp"].as_i64().unwrap() > app.clock.now());
    assert_eq!(access["username"], USERNAME);

    let rt = app.introspect(tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(rt["active"], true);
    assert_eq!(rt["token_type"], "refresh_token");
    assert_eq!(rt["scope"], "offline_access openid profile");
    assert_eq!(rt["client_id"], CONFIDENTIAL_ID);
    assert_eq!(rt["sub"], app.user_id.as_str());

    // Unknown and garbage tokens are just inactive.
    for junk in ["nope", "a.b.c", &"x".repeat(5000)] {
        assert_eq!(app.introspect(junk).await, json!({ "active": false }));
    }
}

#[tokio::test]
async fn introspection_requires_a_confidential_client() {
    let app = spawn_app().await;
    let tokens = password_tokens(&app, "openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    // A public client (client_id only).
    let res = app
        .api
        .post(app.url("/introspect"))
        .form(&[("token", access), ("client_id", PUBLIC_ID)])
        .send()
        .await
        .unwrap();
    let body = error_body(res, 401, "invalid_client").await;
    assert!(body.get("active").is_none(), "{body}");
    // No client authentication at all.
    let res = app
        .api
        .post(app.url("/introspect"))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    let body = error_body(res, 401, "invalid_client").await;
    assert!(body.get("active").is_none(), "{body}");
    // A wrong secret.
    let res = app
        .api
        .post(app.url("/introspect"))
        .basic_auth(CONFIDENTIAL_ID, Some("wrong"))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert!(crate::helpers::header(&res, "www-authenticate").starts_with("Basic realm="));
    error_body(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn revocation_of_unknown_token_is_200() {
    let app = spawn_app().await;
    for token in ["unknown-token", "a.b.c", "eyJhbGciOiJub25lIn0.e30."] {
        for hint in [
            None,
            Some("access_token"),
            Some("refresh_token"),
            Some("something_else"),
        ] {
            let res = revoke(&app, token, hint).await;
            assert_eq!(res.status(), 200, "{token} {hint:?}");
            assert_eq!(res.text().await.unwrap(), "");
        }
    }
    // A missing token parameter is a malformed request, though.
    let res = app
        .api
        .post(app.url("/revoke"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(&[("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

/// A second confidential client with the fixture's secret; `resource_server` as given.
async fn other_client(app: &TestApp, client_id: &str, resource_server: bool) {
    let client = portcullis::storage::Client {
        client_id: client_id.into(),
        name: format!("Client {client_id}"),
        secret_hash: Some(portcullis::digest::sha256_hex(&app.client_secret)),
        redirect_uris: vec![REDIRECT_URI.into()],
        post_logout_redirect_uris: Vec::new(),
        grant_types: vec![portcullis::storage::GrantType::ClientCredentials],
        scopes: portcullis::oauth::scope::Scope::from_tokens(["api:read"]),
        first_party: false,
        id_token_signed_response_alg: portcullis::keys::Alg::Rs256,
        access_token_alg: None,
        created_at: 0,
        resource_server,
        require_pushed_authorization_requests: false,
        require_mfa: false,
        groups: Default::default(),
        backchannel_logout: None,
        upstreams: Vec::new(),
        password_login: true,
        registration: Default::default(),
    };
    app.ctx().store.create_client(client).await.unwrap();
}

async fn introspect_as(app: &TestApp, client_id: &str, token: &str) -> Value {
    let res = app
        .api
        .post(app.url("/introspect"))
        .basic_auth(client_id, Some(&app.client_secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// RFC 7662 §4: a client learns nothing about another client's tokens.
#[tokio::test]
async fn introspection_of_another_clients_tokens_is_inactive() {
    let app = spawn_app().await;
    other_client(&app, "snoop", false).await;
    let tokens = password_tokens(&app, "openid profile offline_access").await;
    for kind in ["access_token", "refresh_token"] {
        let token = tokens[kind].as_str().unwrap();
        assert_eq!(
            introspect_as(&app, "snoop", token).await,
            json!({ "active": false }),
            "{kind}"
        );
        assert_eq!(
            app.introspect(token).await["active"],
            true,
            "the owner still sees its {kind}"
        );
    }
}

/// RFC 7662 §4: a resource server may introspect access tokens meant for it, never refresh tokens.
#[tokio::test]
async fn resource_server_introspects_access_tokens_meant_for_it_only() {
    let app = spawn_app().await;
    other_client(&app, "photos-api", true).await;
    let tokens = password_tokens(&app, "openid offline_access").await;
    let access = introspect_as(&app, "photos-api", tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(access["active"], true);
    assert_eq!(access["client_id"], CONFIDENTIAL_ID);
    let refresh = introspect_as(&app, "photos-api", tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refresh, json!({ "active": false }));
}

/// RFC 7662 §4: claims appear only when the token's scope covers them.
#[tokio::test]
async fn introspection_names_the_user_only_with_the_profile_scope() {
    let app = spawn_app().await;
    let without = password_tokens(&app, "openid offline_access").await;
    for kind in ["access_token", "refresh_token"] {
        let v = app.introspect(without[kind].as_str().unwrap()).await;
        assert_eq!(v["active"], true);
        assert!(v.get("username").is_none(), "{kind}: {v}");
    }
    let with = password_tokens(&app, "openid profile offline_access").await;
    let v = app.introspect(with["access_token"].as_str().unwrap()).await;
    assert_eq!(v["username"], USERNAME);
}
