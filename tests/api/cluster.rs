//! Many nodes, one issuer (docs/operations.md, "Many nodes"): two server instances on one database (and one Redis
//! when `REDIS_URL` is set) behave as one provider; refresh rotation is atomic across them.

use std::time::Duration;

use crate::helpers::*;

#[tokio::test]
async fn two_nodes_serve_one_issuer_end_to_end() {
    let a = spawn_app().await;
    let b = spawn_second_node(&a).await;
    let (verifier, challenge) = pkce_pair();

    // Log in through node A ...
    let params = a.code_request("s1", "n1", &challenge, "openid offline_access");
    let page = a.authorize(&params).await.text().await.unwrap();
    let res = a.submit_login(&page, USERNAME, PASSWORD).await;
    assert_eq!(res.status(), 303);
    // ... authorize on node B with the same browser (the session lives in shared state) ...
    let (verifier2, challenge2) = pkce_pair();
    let _ = verifier;
    let res = a
        .browser
        .get(b.url("/authorize"))
        .query(&a.code_request("s2", "n2", &challenge2, "openid offline_access"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "node B knows node A's login session");
    let code = param(&location_params(&res), "code").unwrap();
    // ... exchange the code on A ...
    let tokens = a.exchange(&code, &verifier2).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let access = tokens["access_token"].as_str().unwrap().to_string();
    // ... refresh on B ...
    let res = b
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .await;
    assert_eq!(res.status(), 200);
    let rotated: serde_json::Value = res.json().await.unwrap();
    let rotated = rotated["refresh_token"].as_str().unwrap().to_string();
    // ... replay the old refresh token on A: refused, and the family is revoked everywhere.
    let res = a
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .await;
    assert_eq!(res.status(), 400);
    let res = b
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &rotated)])
        .await;
    assert_eq!(res.status(), 400, "family revoked on every node");

    // Revoke the access token on A, introspect on B: inactive.
    assert_eq!(b.introspect(&access).await["active"], true);
    let res = a
        .api
        .post(a.url("/revoke"))
        .basic_auth(CONFIDENTIAL_ID, Some(&a.client_secret))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(a.introspect(&access).await["active"], false, "at once on A");
    // B learns it from a Redis notice, or from its next read of the table (docs/operations.md).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while b.introspect(&access).await["active"] != false {
        assert!(std::time::Instant::now() < deadline, "B never saw the revocation");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Log out on B, then prompt=none on A: login_required.
    let res = a
        .browser
        .get(b.url("/logout"))
        .query(&[("id_token_hint", tokens["id_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "signed-out page");
    let mut params = a.code_request("s3", "n3", &challenge, "openid");
    params.push(("prompt", "none"));
    let res = a.authorize(&params).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        param(&location_params(&res), "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn concurrent_refreshes_across_nodes_yield_exactly_one_success() {
    let a = spawn_app().await;
    let b = spawn_second_node(&a).await;
    let (code, verifier) = a.login_for_code("openid offline_access").await;
    let tokens = a.exchange(&code, &verifier).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();

    let mut tasks = Vec::new();
    for i in 0..50 {
        let url = if i % 2 == 0 {
            a.url("/token")
        } else {
            b.url("/token")
        };
        let (client, secret, refresh) = (a.api.clone(), a.client_secret.clone(), refresh.clone());
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .basic_auth(CONFIDENTIAL_ID, Some(secret))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.as_str()),
                ])
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap();
            (status, body)
        }));
    }
    let mut ok = Vec::new();
    let mut invalid_grant = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert!(status < 500, "no 5xx under concurrency: {status} {body}");
        if status == 200 {
            ok.push(body);
        } else {
            assert_eq!(body["error"], "invalid_grant", "{body}");
            invalid_grant += 1;
        }
    }
    println!(
        "race: {} success, {} invalid_grant, 0 server errors",
        ok.len(),
        invalid_grant
    );
    assert_eq!(ok.len(), 1, "exactly one refresh wins");
    assert_eq!(invalid_grant, 49);
    // The losers were reuse: the family is revoked, so even the winner's new token is dead.
    let winner = ok[0]["refresh_token"].as_str().unwrap();
    let res = a
        .token(&[("grant_type", "refresh_token"), ("refresh_token", winner)])
        .await;
    assert_eq!(res.status(), 400, "family revoked after the race");
}

fn kid_of(jwt: &str) -> String {
    use base64::Engine;
    let header = jwt.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v["kid"].as_str().unwrap().to_string()
}

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let v: serde_json::Value = app
        .api
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

async fn client_credentials_token(app: &TestApp) -> String {
    let res = app.token(&[("grant_type", "client_credentials")]).await;
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn key_rotation_publishes_before_signing_and_old_tokens_keep_verifying() {
    let a = spawn_app().await;
    let b = spawn_second_node(&a).await;
    let (code, verifier) = a.login_for_code("openid").await;
    let before = a.exchange(&code, &verifier).await;
    let old_access = before["access_token"].as_str().unwrap().to_string();
    let old_kid = kid_of(&old_access);

    let keys = a.state.settings.keys.clone();
    let key_store = portcullis::keys::KeyStore {
        store: &a.ctx().store,
        clock: &a.clock,
    };
    let delayed = portcullis::keys::Activation::AfterPublishDelay;
    let access_alg = a.state.settings.tokens.access_token_alg;
    let new = portcullis::keys::rotate(key_store, &keys, access_alg, 3600, delayed)
        .await
        .unwrap();
    portcullis::keys::notify::announce(&a.state.settings.redis).await;

    // Node B publishes the new key within seconds, before any token carries its kid.
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    loop {
        let kids = jwks_kids(&b).await;
        let token = client_credentials_token(&b).await;
        if kids.contains(&new.kid) {
            assert!(kids.contains(&old_kid), "the old key stays published");
            break;
        }
        assert_ne!(
            kid_of(&token),
            new.kid,
            "no token carries a kid before the JWKS has it"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "node B never published the new key"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let early = client_credentials_token(&b).await;
    assert!(
        a.clock.now() < new.activates_at,
        "the publish delay has not passed"
    );
    assert_eq!(
        kid_of(&early),
        old_kid,
        "the new key does not sign during the publish delay"
    );
    // The publish delay passes on both nodes' shared clock.
    a.clock.advance(Duration::from_secs(
        (new.activates_at - a.clock.now()).max(0) as u64 + 1,
    ));
    let late = client_credentials_token(&b).await;
    assert_eq!(kid_of(&late), new.kid, "after the delay the new key signs");
    // Tokens signed before the rotation still verify, on either node.
    let res = b
        .api
        .get(b.url("/userinfo"))
        .bearer_auth(&old_access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(a.introspect(&late).await["active"], true);
}

/// Starts a private redis-server on a free port, or None when the binary is not installed.
fn start_redis(port: u16) -> Option<std::process::Child> {
    std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .ok()
}

#[tokio::test]
async fn redis_outage_gives_503_never_500_and_service_resumes() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Some(mut redis) = start_redis(port) else {
        eprintln!("redis-server not installed: skipping");
        return;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let url = format!("redis://127.0.0.1:{port}/");
    let app = spawn_app_with(|s| s.redis.url = Some(url.clone().into())).await;
    let token = client_credentials_token(&app).await;
    assert_eq!(
        app.api.get(app.url("/readyz")).send().await.unwrap().status(),
        200
    );

    redis.kill().unwrap();
    redis.wait().unwrap();
    // Revocations are in the database (E.30): introspection does not need Redis.
    let res = app.introspect_raw(&token).await;
    assert_eq!(res.status(), 200, "the revocation list is in the database");
    let res = app
        .browser
        .get(app.url("/authorize"))
        .query(&app.code_request("s", "n", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "openid"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        503,
        "the authorization endpoint shows an error page"
    );
    assert_eq!(
        app.api.get(app.url("/readyz")).send().await.unwrap().status(),
        503
    );

    let mut redis = start_redis(port).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let res = app
            .browser
            .get(app.url("/authorize"))
            .query(&app.code_request("s", "n", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "openid"))
            .send()
            .await
            .unwrap();
        if res.status() == 200 {
            break;
        }
        assert!(
            res.status() == 503,
            "only 503 while recovering, got {}",
            res.status()
        );
        assert!(std::time::Instant::now() < deadline, "service did not resume");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        app.api.get(app.url("/readyz")).send().await.unwrap().status(),
        200
    );
    let _ = redis.kill();
    let _ = redis.wait();
}

/// Runs one SQL statement on the admin connection of a PostgreSQL test run.
fn pg_admin(admin_url: &str, sql: &str) {
    use diesel::{Connection, RunQueryDsl};
    let mut conn = diesel::PgConnection::establish(admin_url).unwrap();
    diesel::sql_query(sql).execute(&mut conn).unwrap();
}

#[tokio::test]
async fn database_outage_gives_503_never_500_and_service_resumes() {
    let app = spawn_app().await;
    let Some((admin, name)) = app.pg_database.clone() else {
        eprintln!("not a PostgreSQL run: skipping");
        return;
    };
    let token = client_credentials_token(&app).await;
    // The database goes away: no new connections, every open one cut.
    pg_admin(&admin, &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    pg_admin(
        &admin,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    );
    // docs/security.md E.35: the client, its API policy and the token's user were read a moment ago
    // and may be answered from this node's cache for a second; past that, they need the database.
    tokio::time::sleep(portcullis::storage::cache::TTL + Duration::from_millis(200)).await;
    let res = app.token(&[("grant_type", "client_credentials")]).await;
    assert_eq!(res.status(), 503, "client lookup needs the database");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert_eq!(app.introspect_raw(&token).await.status(), 503);
    assert_eq!(
        app.api.get(app.url("/readyz")).send().await.unwrap().status(),
        503
    );
    let (_, challenge) = pkce_pair();
    let res = app
        .authorize(&app.code_request("s", "n", &challenge, "openid"))
        .await;
    assert_eq!(res.status(), 503, "an error page, never a 500");

    pg_admin(&admin, &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let res = app.token(&[("grant_type", "client_credentials")]).await;
        if res.status() == 200 {
            break;
        }
        assert_eq!(res.status(), 503, "only 503 while recovering");
        assert!(std::time::Instant::now() < deadline, "service did not resume");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        app.api.get(app.url("/readyz")).send().await.unwrap().status(),
        200
    );
}
