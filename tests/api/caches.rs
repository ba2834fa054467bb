//! docs/security.md E.35: each node caches clients, and a change is seen at once on the node that
//! made it, at once for a new secret everywhere, and on the other nodes on a notice or within a second.

use std::time::{Duration, Instant};

use portcullis::digest::sha256_hex;

use crate::helpers::*;

async fn client_credentials(app: &TestApp, secret: &str) -> u16 {
    app.api
        .post(app.url("/token"))
        .basic_auth(CONFIDENTIAL_ID, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "api:read")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_rotated_secret_works_at_once_and_the_old_one_stops() {
    let app = spawn_app().await;
    let old = app.client_secret.clone();
    assert_eq!(client_credentials(&app, &old).await, 200, "cached now");
    let cache = app.ctx().store.client_cache().expect("the store caches clients");
    assert!(cache.get(CONFIDENTIAL_ID).is_some(), "the client is cached");

    let new = "a-new-secret-for-the-cache-test-0123456789abcdef";
    assert!(
        app.ctx()
            .store
            .set_client_secret_hash(CONFIDENTIAL_ID, &sha256_hex(new))
            .await
            .unwrap()
    );
    assert_eq!(
        client_credentials(&app, &old).await,
        401,
        "the old secret stops at once"
    );
    assert_eq!(
        client_credentials(&app, new).await,
        200,
        "the new one works at once"
    );
}

#[tokio::test]
async fn a_removed_client_is_refused_at_once() {
    let app = spawn_app().await;
    let secret = app.client_secret.clone();
    assert_eq!(client_credentials(&app, &secret).await, 200);
    assert!(app.ctx().store.delete_client(CONFIDENTIAL_ID).await.unwrap());
    assert_eq!(client_credentials(&app, &secret).await, 401);
}

#[tokio::test]
async fn a_secret_rotated_on_another_node_works_at_once_and_the_old_one_stops_within_a_second() {
    let a = spawn_app().await;
    let b = spawn_second_node(&a).await;
    let old = a.client_secret.clone();
    assert_eq!(
        client_credentials(&b, &old).await,
        200,
        "node B caches the client"
    );

    let new = "another-new-secret-for-the-cache-test-0123456789";
    let rotated = Instant::now();
    assert!(
        a.ctx()
            .store
            .set_client_secret_hash(CONFIDENTIAL_ID, &sha256_hex(new))
            .await
            .unwrap()
    );
    assert_eq!(
        client_credentials(&b, new).await,
        200,
        "a failed authentication on a cached copy reads the client again"
    );
    // Node B read the row again just now, so the old secret is refused there from here on; and
    // even without that read it would be within the one-second bound.
    loop {
        if client_credentials(&b, &old).await == 401 {
            break;
        }
        assert!(
            rotated.elapsed() < Duration::from_millis(1500),
            "old secret still accepted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_client_changed_on_one_node_is_seen_by_the_other_at_once() {
    if std::env::var("REDIS_URL").is_err() {
        return; // the notice travels over Redis; without it the one-second bound applies
    }
    let a = spawn_app().await;
    let b = spawn_second_node(&a).await;
    let secret = a.client_secret.clone();
    // Node B subscribes in the background at start: let it, and warm its cache.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(client_credentials(&b, &secret).await, 200);
    let cache = b.ctx().store.client_cache().unwrap();
    assert!(!cache.is_empty());

    let client = a
        .ctx()
        .store
        .client_by_id(CONFIDENTIAL_ID)
        .await
        .unwrap()
        .unwrap();
    let mut renamed = client.clone();
    renamed.name = "Renamed on node A".into();
    assert!(a.ctx().store.update_client(renamed).await.unwrap());
    // Expired entries are never removed by age alone: only a notice empties B's cache.
    let changed = Instant::now();
    while !cache.is_empty() {
        assert!(
            changed.elapsed() < Duration::from_secs(3),
            "node B never heard of the change"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn userinfo_status(app: &TestApp, token: &str) -> u16 {
    get_userinfo(app, token).await.status().as_u16()
}

#[tokio::test]
async fn sign_out_everywhere_refuses_the_users_access_tokens_at_once() {
    let app = spawn_app().await;
    let tokens = password_tokens(&app, "openid profile").await;
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&app, token).await, 200, "the user is cached now");
    assert!(app.ctx().store.user_cache().unwrap().get(&app.user_id).is_some());

    let later = app.ctx().now() * 1000 + 1000;
    assert!(
        app.ctx()
            .store
            .revoke_sessions(&app.user_id, later)
            .await
            .unwrap()
    );
    assert_eq!(
        userinfo_status(&app, token).await,
        401,
        "refused at once on this node"
    );
}

#[tokio::test]
async fn a_user_disabled_on_another_node_is_refused_there_within_a_second() {
    let a = spawn_app().await;
    let b = spawn_second_node(&a).await;
    let tokens = password_tokens(&a, "openid profile").await;
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&b, token).await, 200, "node B caches the user");

    let disabled = Instant::now();
    assert!(
        a.ctx()
            .store
            .set_disabled(&a.user_id, true, a.ctx().now())
            .await
            .unwrap()
    );
    assert_eq!(
        userinfo_status(&a, token).await,
        401,
        "at once on the node that disabled"
    );
    loop {
        if userinfo_status(&b, token).await == 401 {
            break;
        }
        assert!(
            disabled.elapsed() < Duration::from_millis(1500),
            "still accepted on node B"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if std::env::var("REDIS_URL").is_ok() {
        // With Redis the notice, not the age bound, told node B: its cache was emptied.
        assert!(disabled.elapsed() < Duration::from_millis(1000));
    }
}

#[tokio::test]
async fn logins_never_read_the_user_cache() {
    let app = spawn_app().await;
    let tokens = password_tokens(&app, "openid profile").await;
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&app, token).await, 200);
    // A password changed behind the store's back (SQL, another tool) counts at the next login,
    // whatever the cache holds.
    let user = app.ctx().store.user_by_id(&app.user_id).await.unwrap().unwrap();
    let cache = app.ctx().store.user_cache().unwrap();
    let mut stale = user.clone();
    stale.disabled = true;
    cache.fill(cache.begin(), &stale);
    let res = app
        .token(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", PASSWORD),
            ("scope", "openid"),
        ])
        .await;
    assert_eq!(
        res.status(),
        200,
        "the password grant read the user from the table"
    );
}

/// E.35 / RFC 8707: a client's API policy is cached like the client: an API removed through this
/// node is no client's default from the next request on (not `invalid_target` for a second).
#[tokio::test]
async fn an_api_removed_is_no_clients_default_at_once() {
    use crate::apis::{GALLERY, PHOTOS, claims, ok_json, setup, token_as};
    use portcullis::storage::ClientApiPolicy;
    let app = spawn_app().await;
    let secret = setup(&app).await;
    let policy = ClientApiPolicy {
        default_api: Some(PHOTOS.into()),
        exchange_to: Vec::new(),
    };
    let store = &app.ctx().store;
    store.set_client_api_policy(GALLERY, policy).await.unwrap();
    let cc = [("grant_type", "client_credentials")];
    let body = ok_json(token_as(&app, GALLERY, &secret, &cc).await).await;
    assert_eq!(claims(&body)["aud"], PHOTOS);
    assert!(
        store.policy_cache().unwrap().get(GALLERY).is_some(),
        "the policy is cached"
    );

    assert!(store.delete_api(PHOTOS).await.unwrap());
    let body = ok_json(token_as(&app, GALLERY, &secret, &cc).await).await;
    assert_eq!(
        claims(&body)["aud"],
        app.ctx().audience.as_ref(),
        "the configured audience again"
    );
}

/// E.35: a client's API policy set on one node is forgotten by the other on the clients notice.
#[tokio::test]
async fn a_policy_changed_on_one_node_is_forgotten_by_the_other_at_once() {
    if std::env::var("REDIS_URL").is_err() {
        return; // the notice travels over Redis; without it the one-second bound applies
    }
    use crate::apis::{GALLERY, PHOTOS, claims, ok_json, setup, token_as};
    use portcullis::storage::ClientApiPolicy;
    let a = spawn_app().await;
    let b = spawn_second_node(&a).await;
    let secret = setup(&a).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cc = [("grant_type", "client_credentials")];
    let body = ok_json(token_as(&b, GALLERY, &secret, &cc).await).await;
    assert_eq!(claims(&body)["aud"], b.ctx().audience.as_ref());
    let policies = b.ctx().store.policy_cache().unwrap();
    assert!(policies.get(GALLERY).is_some(), "node B cached the policy");

    let policy = ClientApiPolicy {
        default_api: Some(PHOTOS.into()),
        exchange_to: Vec::new(),
    };
    a.ctx()
        .store
        .set_client_api_policy(GALLERY, policy)
        .await
        .unwrap();
    let changed = Instant::now();
    while policies.get(GALLERY).is_some() {
        assert!(
            changed.elapsed() < Duration::from_secs(3),
            "node B never heard of the change"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let body = ok_json(token_as(&b, GALLERY, &secret, &cc).await).await;
    assert_eq!(claims(&body)["aud"], PHOTOS);
}
