//! OpenID Back-Channel Logout 1.0 (issue 8, part 4; docs/clients.md, "Back-channel logout"): a
//! receiver inside the test gets a logout token that verifies against the JWKS, with the right
//! `sid` and `sub`; a receiver that is down at first gets it once it is back and the backoff passed.

use std::time::Duration;

use josekit::jwk::Jwk;
use josekit::jws::RS256;
use portcullis::backchannel::deliver::{self, Sender};
use portcullis::backchannel::token::{EVENT, TTL_SECS};
use portcullis::storage::{BackchannelLogout, Client, ClientGroups};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::groups::{add_client, tokens_for};
use crate::helpers::*;

/// One POST the receiver got: its content type and body.
#[derive(Debug)]
struct Received {
    content_type: String,
    body: String,
}

/// A tiny HTTP server on `listener`: answers every request 200 and hands it to the channel.
fn receiver(listener: TcpListener) -> mpsc::UnboundedReceiver<Received> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some((head, body)) = text.split_once("\r\n\r\n") else {
                        continue;
                    };
                    let header = |name: &str| {
                        head.lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                            })
                            .unwrap_or_default()
                    };
                    let len: usize = header("content-length").parse().unwrap_or(0);
                    if body.len() < len {
                        continue;
                    }
                    let _ = sock
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                    let _ = tx.send(Received {
                        content_type: header("content-type"),
                        body: body[..len].to_string(),
                    });
                    return;
                }
            });
        }
    });
    rx
}

/// A client like the standard one whose back-channel logout URI is `uri`.
async fn add_bcl_client(app: &TestApp, client_id: &str, uri: String) -> Client {
    let store = &app.ctx().store;
    let mut client = store.client_by_id(CONFIDENTIAL_ID).await.unwrap().unwrap();
    client.client_id = client_id.into();
    client.backchannel_logout = Some(BackchannelLogout {
        uri,
        session_required: true,
    });
    store.create_client(client.clone()).await.unwrap();
    let stored = store.client_by_id(client_id).await.unwrap().unwrap();
    assert_eq!(stored, client, "stored as registered");
    client
}

/// Runs delivery passes (as the background task does) until `rx` has a request or `secs` pass.
async fn deliver_until_received(
    app: &TestApp,
    rx: &mut mpsc::UnboundedReceiver<Received>,
    secs: u64,
) -> Received {
    let sender = Sender::new().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        deliver::deliver_due(app.ctx(), &sender).await.unwrap();
        if let Ok(Some(r)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            return r;
        }
        assert!(tokio::time::Instant::now() < deadline, "no logout token arrived");
    }
}

/// §2.4, §2.6: the token's header and claims, after its signature verified against the JWKS.
async fn verify_logout_token(app: &TestApp, received: &Received, client_id: &str) -> Value {
    assert_eq!(received.content_type, "application/x-www-form-urlencoded");
    let form: Vec<(String, String)> = url::form_urlencoded::parse(received.body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(form.len(), 1, "{form:?}");
    let token = param(&form, "logout_token").expect("logout_token");
    let header = jwt_part(&token, 0);
    assert_eq!(header["typ"], "logout+jwt", "§2.4 explicit type");
    let jwks: Value = app
        .api
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("kid in the JWKS");
    let jwk = Jwk::from_bytes(jwk.to_string().as_bytes()).unwrap();
    let verifier = RS256.verifier_from_jwk(&jwk).unwrap();
    let (payload, _) = josekit::jws::deserialize_compact(&token, &verifier).expect("signature verifies");
    let claims: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(claims["iss"], app.address.as_str());
    assert_eq!(claims["aud"], client_id);
    assert_eq!(claims["sub"], app.user_id.as_str());
    assert!(claims["events"][EVENT].is_object(), "{claims}");
    assert!(claims.get("nonce").is_none(), "§2.4: never a nonce");
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, TTL_SECS);
    assert!((app.clock.now() - iat).abs() <= 5, "signed at delivery");
    claims
}

#[tokio::test]
async fn logout_token_reaches_the_sessions_client_and_verifies_against_the_jwks() {
    let app = spawn_app().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}/backchannel", listener.local_addr().unwrap());
    let mut rx = receiver(listener);
    add_bcl_client(&app, "bcl-app", uri).await;
    // A client of the same session without a back-channel URI gets nothing.
    add_client(&app, "plain-app", ClientGroups::default()).await;

    let tokens = tokens_for(&app, "bcl-app", "openid").await;
    tokens_for(&app, "plain-app", "openid").await;
    let id_token = tokens["id_token"].as_str().unwrap().to_string();
    let sid = jwt_part(&id_token, 1)["sid"].as_str().expect("sid").to_string();

    // RP-initiated logout ends the session.
    let res = app
        .browser
        .get(app.url("/logout"))
        .query(&[("id_token_hint", id_token.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status() == 303,
        "{}",
        res.status()
    );
    let queued = app.ctx().store.backchannel_deliveries().await.unwrap();
    assert!(queued.len() <= 1, "one delivery, for bcl-app only: {queued:?}");

    let received = deliver_until_received(&app, &mut rx, 10).await;
    let claims = verify_logout_token(&app, &received, "bcl-app").await;
    assert_eq!(claims["sid"], sid.as_str(), "the session's sid");
    assert!(app.ctx().store.backchannel_deliveries().await.unwrap().is_empty());
    assert!(
        tokio::time::timeout(Duration::from_millis(300), rx.recv())
            .await
            .is_err(),
        "exactly one logout token"
    );
}

#[tokio::test]
async fn a_receiver_that_is_down_gets_the_logout_token_after_it_comes_back() {
    let app = spawn_app().await;
    // A port with nothing listening on it (yet).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    add_bcl_client(&app, "bcl-app", format!("http://127.0.0.1:{port}/backchannel")).await;
    let tokens = tokens_for(&app, "bcl-app", "openid").await;
    let sid = jwt_part(tokens["id_token"].as_str().unwrap(), 1)["sid"].clone();

    // Admin logout (`portcullis user logout`): every session of the user.
    portcullis::accounts::users::logout_everywhere(&app.ctx().store, &app.clock, &app.user_id)
        .await
        .unwrap();
    let sender = Sender::new().unwrap();
    let first_failure = async {
        loop {
            deliver::deliver_due(app.ctx(), &sender).await.unwrap();
            let queued = app.ctx().store.backchannel_deliveries().await.unwrap();
            assert_eq!(queued.len(), 1, "kept in the queue: {queued:?}");
            if queued[0].attempts >= 1 {
                return queued[0].clone();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let failed = tokio::time::timeout(Duration::from_secs(20), first_failure)
        .await
        .expect("a failed attempt");
    assert!(failed.last_error.is_some());
    let wait = failed.next_attempt_at - app.clock.now();
    let backoff = deliver::backoff_secs(1);
    assert!(
        (backoff - 3..=backoff).contains(&wait),
        "retried after the backoff, not before: {wait}"
    );

    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let mut rx = receiver(listener);
    deliver::deliver_due(app.ctx(), &sender).await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(500), rx.recv())
            .await
            .is_err(),
        "not due yet"
    );

    app.clock
        .advance(Duration::from_secs(deliver::backoff_secs(1) as u64 + 1));
    let received = deliver_until_received(&app, &mut rx, 10).await;
    let claims = verify_logout_token(&app, &received, "bcl-app").await;
    assert_eq!(
        claims["sid"], sid,
        "session-required: the sid of the user's session"
    );
    assert!(app.ctx().store.backchannel_deliveries().await.unwrap().is_empty());
}

/// Issue 8 part 4: sign-out everywhere, admin disable and a password change each queue a logout
/// token for the client that holds the user's tokens (RP-initiated logout: the first test).
#[tokio::test]
async fn every_user_wide_logout_queues_a_logout_token() {
    use portcullis::accounts::users::{self, AccountState};
    let app = spawn_app().await;
    // Nothing listens there: deliveries stay queued (and fail) while the test looks at them.
    add_bcl_client(&app, "bcl-app", "http://127.0.0.1:9/backchannel".into()).await;
    let store = &app.ctx().store;
    let hasher = &app.ctx().hasher;
    for event in ["logout_everywhere", "disable", "password_change"] {
        tokens_for(&app, "bcl-app", "openid").await;
        match event {
            "logout_everywhere" => {
                users::logout_everywhere(store, &app.clock, &app.user_id)
                    .await
                    .unwrap();
            }
            "disable" => {
                users::set_state(store, &app.clock, &app.user_id, AccountState::Disabled)
                    .await
                    .unwrap();
                users::set_state(store, &app.clock, &app.user_id, AccountState::Enabled)
                    .await
                    .unwrap();
            }
            _ => {
                users::change_password(store, hasher, &app.clock, &app.user_id, PASSWORD.into())
                    .await
                    .unwrap();
            }
        }
        let queued = store.backchannel_deliveries().await.unwrap();
        assert_eq!(queued.len(), 1, "{event}: {queued:?}");
        assert_eq!(queued[0].client_id, "bcl-app");
        assert_eq!(queued[0].sub, app.user_id);
        assert!(queued[0].sid.is_some(), "{event}: the session's sid");
        store.delete_backchannel_delivery(&queued[0].id).await.unwrap();
        // Sessions need a new login after each of these; a login a second later counts.
        app.clock.advance(Duration::from_secs(1));
    }
}

/// `portcullis user logout` runs in another process: what it queues in the database is delivered
/// by the server (the queue, not memory, carries the logout).
#[tokio::test]
async fn admin_logout_from_the_cli_reaches_the_client() {
    let app = spawn_app().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}/backchannel", listener.local_addr().unwrap());
    let mut rx = receiver(listener);
    add_bcl_client(&app, "bcl-app", uri).await;
    let tokens = tokens_for(&app, "bcl-app", "openid").await;
    let sid = jwt_part(tokens["id_token"].as_str().unwrap(), 1)["sid"].clone();

    let db_url = secrecy::ExposeSecret::expose_secret(&app.state.settings.database.url).to_string();
    let cli = crate::cli::Cli::with_database(db_url);
    cli.ok(&["user", "logout", USERNAME], None);

    let received = deliver_until_received(&app, &mut rx, 10).await;
    let claims = verify_logout_token(&app, &received, "bcl-app").await;
    assert_eq!(claims["sid"], sid);
}
