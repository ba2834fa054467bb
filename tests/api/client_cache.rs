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
