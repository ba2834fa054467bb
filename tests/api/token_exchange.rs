//! RFC 8693 token exchange (docs/guides/apis.md "Token exchange", docs/security.md J.6-J.9): the
//! photos API's back end exchanges a user's token for the photos API into a token for the
//! thumbnails API, with and without an actor; wider scopes, other targets, dead subject tokens
//! and clients without the grant are refused.

use portcullis::storage::{AuditFilter, AuditKind, ClientApiPolicy, GrantType};
use serde_json::{Value, json};

use crate::apis::{
    CALENDAR, GALLERY, PHOTOS, PHOTOS_BACKEND, api, claims, gallery_code, ok_json, redeem, setup, token_as,
};
use crate::helpers::*;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const ID: &str = "urn:ietf:params:oauth:token-type:id_token";
/// A second API that also reads photos: the photos API calls it for the user.
const THUMBS: &str = "https://thumbs.example/api";

/// The APIs and clients of `apis::setup`, plus the thumbnails API; the photos back end may use
/// token exchange into it. Returns the secret and a user's token for the photos API (its refresh
/// token too) with `scope`.
async fn exchange_setup(app: &TestApp, scope: &str) -> (String, Value) {
    let secret = setup(app).await;
    let store = &app.ctx().store;
    store
        .create_api(api(THUMBS, "Thumbnails", &[("photos:read", "See your photos")]))
        .await
        .unwrap();
    let mut backend = store.client_by_id(PHOTOS_BACKEND).await.unwrap().unwrap();
    store.delete_client(PHOTOS_BACKEND).await.unwrap();
    backend.grant_types = vec![GrantType::ClientCredentials, GrantType::TokenExchange];
    store.create_client(backend).await.unwrap();
    // Removing the client removed its place as the photos API's introspecting client: put it back.
    let mut photos = store.api_by_identifier(PHOTOS).await.unwrap().unwrap();
    photos.introspect_client = Some(PHOTOS_BACKEND.into());
    store.delete_api(PHOTOS).await.unwrap();
    store.create_api(photos).await.unwrap();
    let policy = ClientApiPolicy {
        default_api: None,
        exchange_to: vec![THUMBS.into()],
    };
    store
        .set_client_api_policy(PHOTOS_BACKEND, policy.clone())
        .await
        .unwrap();
    store.set_client_api_policy(GALLERY, policy).await.unwrap();
    let (code, verifier) = gallery_code(app, scope, &[PHOTOS]).await;
    let user_tokens = ok_json(redeem(app, &secret, &code, &verifier, &[]).await).await;
    (secret, user_tokens)
}

/// POST /token as the photos back end with a token exchange of `subject` plus `extra`.
async fn exchange_as(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    subject: &str,
    subject_type: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", GRANT),
        ("subject_token", subject),
        ("subject_token_type", subject_type),
    ];
    form.extend_from_slice(extra);
    token_as(app, client_id, secret, &form).await
}

fn access(v: &Value) -> &str {
    v["access_token"].as_str().unwrap()
}

/// J.6: RFC 8693 §2.2.1: an access token for the target API, about the same user, for the
/// exchanging client, with `issued_token_type`, no refresh token, and no `act` without an actor.
#[tokio::test]
async fn token_exchange_without_actor_issues_a_token_for_the_target() {
    let app = spawn_app().await;
    let (secret, user) = exchange_setup(&app, "openid photos:read").await;
    let res = exchange_as(
        &app,
        PHOTOS_BACKEND,
        &secret,
        access(&user),
        ACCESS,
        &[("resource", THUMBS)],
    )
    .await;
    let body = ok_json(res).await;
    assert_eq!(body["issued_token_type"], ACCESS);
    assert_eq!(body["token_type"], "Bearer");
    assert!(
        body.get("refresh_token").is_none(),
        "no refresh token unless configured"
    );
    assert!(body.get("id_token").is_none());
    let c = claims(&body);
    assert_eq!(c["aud"], THUMBS);
    assert_eq!(c["sub"], app.user_id);
    assert_eq!(c["client_id"], PHOTOS_BACKEND);
    assert_eq!(c["scope"], "openid photos:read");
    assert!(c.get("act").is_none(), "{c}");
    // `audience` names the target as well as `resource` does.
    let res = exchange_as(
        &app,
        PHOTOS_BACKEND,
        &secret,
        access(&user),
        ACCESS,
        &[("audience", THUMBS)],
    )
    .await;
    assert_eq!(claims(&ok_json(res).await)["aud"], THUMBS);

    let events = app
        .ctx()
        .store
        .audit_events(&AuditFilter {
            kinds: vec![AuditKind::TokenExchanged],
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 2, "one audit event per exchange");
    let detail: Value = serde_json::from_str(&events[0].detail).unwrap();
    assert_eq!(detail["audience"], json!([THUMBS]));
    assert_eq!(events[0].client_id.as_deref(), Some(PHOTOS_BACKEND));
}

/// J.7: RFC 8693 §4.1: with an actor token the result carries `act` naming the actor, and an actor
/// token that was itself delegated nests its `act`.
#[tokio::test]
async fn token_exchange_with_actor_carries_act() {
    let app = spawn_app().await;
    let (secret, user) = exchange_setup(&app, "openid photos:read").await;
    let cc = ok_json(
        token_as(
            &app,
            PHOTOS_BACKEND,
            &secret,
            &[("grant_type", "client_credentials")],
        )
        .await,
    )
    .await;
    let actor = [
        ("resource", THUMBS),
        ("actor_token", access(&cc)),
        ("actor_token_type", ACCESS),
    ];
    let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&user), ACCESS, &actor).await;
    let first = ok_json(res).await;
    assert_eq!(claims(&first)["act"], json!({ "sub": PHOTOS_BACKEND }));
    assert_eq!(claims(&first)["sub"], app.user_id);

    let introspected = app
        .api
        .post(app.url("/introspect"))
        .basic_auth(PHOTOS_BACKEND, Some(&secret))
        .form(&[("token", access(&first))])
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok_json(introspected).await["act"],
        json!({ "sub": PHOTOS_BACKEND })
    );

    let nested = [
        ("resource", THUMBS),
        ("actor_token", access(&first)),
        ("actor_token_type", ACCESS),
    ];
    let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&user), ACCESS, &nested).await;
    let second = ok_json(res).await;
    assert_eq!(
        claims(&second)["act"],
        json!({ "sub": app.user_id, "act": { "sub": PHOTOS_BACKEND } })
    );
    // actor_token and actor_token_type go together.
    let half = [("resource", THUMBS), ("actor_token", access(&cc))];
    let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&user), ACCESS, &half).await;
    error_body(res, 400, "invalid_request").await;
}

/// J.6: the scope of the new token is never wider than the subject token's: `invalid_scope`.
#[tokio::test]
async fn scope_widening_is_invalid_scope() {
    let app = spawn_app().await;
    let (secret, user) = exchange_setup(&app, "openid photos:read").await;
    let wider = [("resource", THUMBS), ("scope", "photos:read profile")];
    let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&user), ACCESS, &wider).await;
    error_body(res, 400, "invalid_scope").await;
    let narrower = [("resource", THUMBS), ("scope", "photos:read")];
    let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&user), ACCESS, &narrower).await;
    assert_eq!(ok_json(res).await["scope"], "photos:read");
}

/// J.6: the target must be named, registered, and one the client may exchange into
/// (`--exchange-to`): anything else is `invalid_target`.
#[tokio::test]
async fn unknown_or_forbidden_target_is_invalid_target() {
    let app = spawn_app().await;
    let (secret, user) = exchange_setup(&app, "openid photos:read").await;
    for extra in [
        vec![("resource", CALENDAR)],
        vec![("audience", "https://unknown.example/api")],
        vec![("resource", THUMBS), ("audience", CALENDAR)],
        vec![],
    ] {
        let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&user), ACCESS, &extra).await;
        error_body(res, 400, "invalid_target").await;
    }
}

/// J.6: RFC 8693 §2.2.2: a revoked or expired subject token, or one the client may not see, is
/// `invalid_request`.
#[tokio::test]
async fn revoked_or_expired_subject_token_is_refused() {
    let app = spawn_app().await;
    let (secret, user) = exchange_setup(&app, "openid photos:read").await;
    let target = [("resource", THUMBS)];

    // A token for the configured audience is none of the photos back end's business.
    let plain = ok_json(
        token_as(
            &app,
            GALLERY,
            &secret,
            &[("grant_type", "client_credentials"), ("scope", "photos:read")],
        )
        .await,
    )
    .await;
    let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&plain), ACCESS, &target).await;
    error_body(res, 400, "invalid_request").await;
    // A client's own token has no user to act for.
    let own = ok_json(
        token_as(
            &app,
            PHOTOS_BACKEND,
            &secret,
            &[("grant_type", "client_credentials")],
        )
        .await,
    )
    .await;
    let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&own), ACCESS, &target).await;
    error_body(res, 400, "invalid_request").await;

    let revoke = app
        .api
        .post(app.url("/revoke"))
        .basic_auth(GALLERY, Some(&secret))
        .form(&[("token", access(&user))])
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&user), ACCESS, &target).await;
    error_body(res, 400, "invalid_request").await;

    let rt = user["refresh_token"].as_str().map(str::to_string);
    let fresh = match rt {
        Some(rt) => {
            ok_json(
                token_as(
                    &app,
                    GALLERY,
                    &secret,
                    &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
                )
                .await,
            )
            .await
        }
        None => {
            let (code, verifier) = gallery_code(&app, "openid photos:read", &[PHOTOS]).await;
            ok_json(redeem(&app, &secret, &code, &verifier, &[]).await).await
        }
    };
    let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&fresh), ACCESS, &target).await;
    assert_eq!(res.status(), 200, "a live token is exchanged");
    let ttl = fresh["expires_in"].as_u64().unwrap();
    app.clock.advance(std::time::Duration::from_secs(ttl + 1));
    let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&fresh), ACCESS, &target).await;
    error_body(res, 400, "invalid_request").await;
}

/// J.6: a client not allowed the grant gets `unauthorized_client`; only access tokens may be
/// requested (`invalid_request`).
#[tokio::test]
async fn client_not_allowed_the_grant_is_refused() {
    let app = spawn_app().await;
    let (secret, user) = exchange_setup(&app, "openid photos:read").await;
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(THIRD_PARTY_ID, Some(&app.client_secret))
        .form(&[
            ("grant_type", GRANT),
            ("subject_token", access(&user)),
            ("subject_token_type", ACCESS),
            ("resource", THUMBS),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "unauthorized_client").await;
    let jwt = [
        ("resource", THUMBS),
        ("requested_token_type", "urn:ietf:params:oauth:token-type:jwt"),
    ];
    let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&user), ACCESS, &jwt).await;
    error_body(res, 400, "invalid_request").await;
    let res = exchange_as(
        &app,
        PHOTOS_BACKEND,
        &secret,
        access(&user),
        "urn:x:unknown",
        &[("resource", THUMBS)],
    )
    .await;
    error_body(res, 400, "invalid_request").await;
}

/// J.6: an ID token is exchanged only by the client it was issued to (its `aud`/`azp`).
#[tokio::test]
async fn id_token_subject_must_be_issued_to_the_exchanging_client() {
    let app = spawn_app().await;
    let (secret, user) = exchange_setup(&app, "openid photos:read").await;
    let id_token = user["id_token"].as_str().unwrap();
    let res = exchange_as(&app, GALLERY, &secret, id_token, ID, &[("resource", THUMBS)]).await;
    let body = ok_json(res).await;
    assert_eq!(claims(&body)["aud"], THUMBS);
    assert_eq!(claims(&body)["sub"], app.user_id);
    let res = exchange_as(
        &app,
        PHOTOS_BACKEND,
        &secret,
        id_token,
        ID,
        &[("resource", THUMBS)],
    )
    .await;
    error_body(res, 400, "invalid_request").await;
    // An access token is not an ID token, whatever the caller says.
    let res = exchange_as(&app, GALLERY, &secret, access(&user), ID, &[("resource", THUMBS)]).await;
    error_body(res, 400, "invalid_request").await;
}

/// J.8: a refresh token comes from an exchange only with `tokens.exchange_refresh_tokens`, and
/// never for a delegated (`act`) token.
#[tokio::test]
async fn exchange_issues_refresh_tokens_only_when_configured() {
    let app = spawn_app_with(|s| s.tokens.exchange_refresh_tokens = true).await;
    let (secret, user) = exchange_setup(&app, "openid offline_access photos:read").await;
    let mut backend = app
        .ctx()
        .store
        .client_by_id(PHOTOS_BACKEND)
        .await
        .unwrap()
        .unwrap();
    backend.grant_types.push(GrantType::RefreshToken);
    app.ctx().store.delete_client(PHOTOS_BACKEND).await.unwrap();
    app.ctx().store.create_client(backend).await.unwrap();
    let policy = ClientApiPolicy {
        default_api: None,
        exchange_to: vec![THUMBS.into()],
    };
    app.ctx()
        .store
        .set_client_api_policy(PHOTOS_BACKEND, policy)
        .await
        .unwrap();
    let mut photos = app.ctx().store.api_by_identifier(PHOTOS).await.unwrap().unwrap();
    photos.introspect_client = Some(PHOTOS_BACKEND.into());
    app.ctx().store.delete_api(PHOTOS).await.unwrap();
    app.ctx().store.create_api(photos).await.unwrap();

    let res = exchange_as(
        &app,
        PHOTOS_BACKEND,
        &secret,
        access(&user),
        ACCESS,
        &[("resource", THUMBS)],
    )
    .await;
    let body = ok_json(res).await;
    let rt = body["refresh_token"]
        .as_str()
        .expect("configured: a refresh token")
        .to_string();
    let refreshed = ok_json(
        token_as(
            &app,
            PHOTOS_BACKEND,
            &secret,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await,
    )
    .await;
    assert_eq!(claims(&refreshed)["aud"], THUMBS, "the family keeps the target");

    let cc = ok_json(
        token_as(
            &app,
            PHOTOS_BACKEND,
            &secret,
            &[("grant_type", "client_credentials")],
        )
        .await,
    )
    .await;
    let actor = [
        ("resource", THUMBS),
        ("actor_token", access(&cc)),
        ("actor_token_type", ACCESS),
    ];
    let res = exchange_as(&app, PHOTOS_BACKEND, &secret, access(&user), ACCESS, &actor).await;
    assert!(
        ok_json(res).await.get("refresh_token").is_none(),
        "a refresh would lose act"
    );
}
