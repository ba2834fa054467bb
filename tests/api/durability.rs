//! docs/security.md E.29, E.30: a revocation is written to the database before it is acknowledged,
//! and survives the loss of the short-lived store (Redis, or the `ephemeral` table) on every node.

use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use serde_json::Value;

use crate::helpers::*;

/// Runs one SQL statement on the app's database, outside the app's pool.
fn run_sql(app: &TestApp, sql: &str) {
    use diesel::{Connection, RunQueryDsl};
    let url = app.state.settings.database.url.expose_secret().to_string();
    if url.starts_with("postgres") {
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    } else {
        let path = url.strip_prefix("sqlite://").unwrap();
        let mut conn = diesel::SqliteConnection::establish(path).unwrap();
        diesel::sql_query("PRAGMA busy_timeout = 5000")
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    }
}

/// Loses everything the short-lived store holds for this issuer: with Redis, every key under the
/// node's prefix (what a flush or a restart without persistence does, without touching the other
/// tests sharing the server); without Redis, every row of the `ephemeral` table.
pub(crate) async fn lose_short_lived_state(app: &TestApp) {
    let redis = &app.state.settings.redis;
    let Some(url) = redis.url.as_ref() else {
        run_sql(app, "DELETE FROM ephemeral");
        return;
    };
    let client = redis::Client::open(url.expose_secret()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:*", redis.key_prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!keys.is_empty(), "the node had short-lived state in Redis");
    let _: i64 = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await.unwrap();
}

async fn revoke(app: &TestApp, token: &str) {
    let res = app
        .api
        .post(app.url("/revoke"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn active(app: &TestApp, token: &str) -> bool {
    app.introspect(token).await["active"] == true
}

/// Waits until `node` reports `token` inactive: another node learns a revocation from a notice
/// (with Redis) or from its poll of the database (docs/operations.md, "Many nodes").
async fn until_inactive(node: &TestApp, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while active(node, token).await {
        assert!(
            Instant::now() < deadline,
            "{} never saw the revocation",
            node.address
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// E.30: access tokens revoked through `/revoke` and by a reused code (B.8) stay revoked on every
/// node after the short-lived store loses its data, and a node started afterwards knows them too.
#[tokio::test]
async fn revoked_access_tokens_stay_revoked_on_every_node_after_the_short_lived_store_is_lost() {
    let a = spawn_app().await;
    let b = spawn_second_node(&a).await;
    let kept = client_token(&a).await;
    let revoked = [client_token(&a).await, client_token(&a).await];
    for token in &revoked {
        revoke(&a, token).await;
    }
    let (code, verifier) = a.login_for_code("openid offline_access").await;
    let user_tokens: Value = a.exchange(&code, &verifier).await;
    let reused = a
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
        ])
        .await;
    error_body(reused, 400, "invalid_grant").await;
    let user_access = user_tokens["access_token"].as_str().unwrap().to_string();
    let all_revoked: Vec<&str> = revoked
        .iter()
        .map(String::as_str)
        .chain([user_access.as_str()])
        .collect();
    for token in &all_revoked {
        assert!(!active(&a, token).await, "revoked on the node that revoked it");
        until_inactive(&b, token).await;
    }

    lose_short_lived_state(&a).await;

    let c = spawn_second_node(&a).await;
    for node in [&a, &b, &c] {
        for token in &all_revoked {
            assert!(
                !active(node, token).await,
                "{}: a revoked token came back",
                node.address
            );
        }
        assert_invalid_token(get_userinfo(node, &user_access).await).await;
        assert!(
            active(node, &kept).await,
            "{}: other tokens still work",
            node.address
        );
    }
    let refresh_token = user_tokens["refresh_token"].as_str().unwrap();
    error_body(refresh(&c, refresh_token, None).await, 400, "invalid_grant").await;
}

/// E.29: a revocation the database does not record is answered with an error, never `200`.
#[tokio::test]
async fn a_revocation_that_cannot_be_stored_is_an_error_never_a_success() {
    let app = spawn_app().await;
    let token = client_token(&app).await;
    run_sql(&app, "DROP TABLE revoked_tokens");
    let res = app
        .api
        .post(app.url("/revoke"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"], "server_error");
}
