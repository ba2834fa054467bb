//! Running Portcullis (docs/operations.md): metrics, request ids on every response and log line, and a
//! graceful stop on SIGTERM that lets requests under way finish.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use portcullis::config::Cidr;

use crate::cli::Cli;
use crate::helpers::*;

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    for path in [
        "/.well-known/openid-configuration",
        "/jwks",
        "/no-such-page",
        "/token",
    ] {
        let res = app.api.get(app.url(path)).send().await.unwrap();
        let id = header(&res, "x-request-id");
        assert!(!id.is_empty(), "{path}: no X-Request-Id");
        assert!(seen.insert(id), "{path}: an id seen before");
    }
}

/// docs/operations.md, "Request ids": only a trusted proxy's id is kept; anyone else could put
/// another request's id (or a forged log line) into the logs.
#[tokio::test]
async fn a_request_id_from_an_untrusted_peer_is_replaced() {
    let app = spawn_app().await;
    let res = app
        .api
        .get(app.url("/jwks"))
        .header("X-Request-Id", "chosen-by-client")
        .send()
        .await
        .unwrap();
    assert_ne!(header(&res, "x-request-id"), "chosen-by-client");
}

#[tokio::test]
async fn a_trusted_proxys_request_id_is_kept() {
    let app = spawn_app_with(|s| {
        s.http.trusted_proxies = vec!["127.0.0.1/32".parse::<Cidr>().unwrap()];
    })
    .await;
    let res = app
        .api
        .get(app.url("/jwks"))
        .header("X-Request-Id", "lb-0af3.7")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "x-request-id"), "lb-0af3.7");
    let res = app
        .api
        .get(app.url("/jwks"))
        .header("X-Request-Id", "two words")
        .send()
        .await
        .unwrap();
    assert_ne!(header(&res, "x-request-id"), "two words");
}

/// docs/operations.md, "Stopping": SIGTERM stops accepting connections, lets a request under way
/// finish (here a password grant whose Argon2 check takes a while), and exits 0.
#[tokio::test]
async fn sigterm_lets_requests_under_way_finish_then_exits_cleanly() {
    let cli = Cli::new();
    // A deliberately expensive hash: the password check below is still running when SIGTERM comes.
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["user", "add", "carol", "--password-stdin"])
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("PORTCULLIS_CONFIG")
        .env("PORTCULLIS_DATABASE__URL", &cli.db_url)
        .env("PORTCULLIS_KEYS__MASTER_KEY", &cli.master_key)
        .env("PORTCULLIS_ARGON2__MEMORY_KIB", "262144")
        .env("PORTCULLIS_ARGON2__ITERATIONS", "6")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"carol's passphrase is long\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let client = cli.json(
        &["client", "add", "Script", "--grant-type", "password", "--json"],
        None,
    );
    let id = client["client_id"].as_str().unwrap().to_string();
    let secret = client["client_secret"].as_str().unwrap().to_string();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("PORTCULLIS_CONFIG")
        .env("PORTCULLIS_DATABASE__URL", &cli.db_url)
        .env("PORTCULLIS_KEYS__MASTER_KEY", &cli.master_key)
        .env("PORTCULLIS_LISTEN", format!("127.0.0.1:{port}"))
        .env("PORTCULLIS_ISSUER", format!("http://127.0.0.1:{port}"))
        .env("PORTCULLIS_LOG__LEVEL", "info")
        .env("PORTCULLIS_HTTP__SHUTDOWN_TIMEOUT_SECS", "60")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = http_client(false);
    let started = Instant::now();
    loop {
        let up = http.get(format!("{base}/healthz")).send().await;
        if up.is_ok() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let sent = Instant::now();
    let grant = {
        let http = http.clone();
        let url = format!("{base}/token");
        tokio::spawn(async move {
            http.post(url)
                .basic_auth(id, Some(secret))
                .form(&[
                    ("grant_type", "password"),
                    ("username", "carol"),
                    ("password", "carol's passphrase is long"),
                ])
                .send()
                .await
        })
    };
    // The request is in: its Argon2 check runs for seconds.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    let res = grant.await.unwrap().expect("the request under way is answered");
    assert_eq!(res.status(), 200);
    assert!(
        sent.elapsed() > Duration::from_millis(400),
        "the check must still have been running when SIGTERM came"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");

    let stopping = Instant::now();
    let code = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(30),
            "server did not stop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let stderr = {
        use std::io::Read;
        let mut s = String::new();
        server.stderr.take().unwrap().read_to_string(&mut s).unwrap();
        s
    };
    assert!(code.success(), "exit {code:?}\n{stderr}");
    // No longer accepting.
    assert!(http.get(format!("{base}/healthz")).send().await.is_err());
}

async fn scrape(app: &TestApp) -> reqwest::Response {
    app.api.get(app.url("/metrics")).send().await.unwrap()
}

/// docs/operations.md, "Monitoring": requests by route and status, tokens by grant, signing time by
/// algorithm, sign-in failures (audit kinds) and the stores' health, in the Prometheus text format.
#[tokio::test]
async fn metrics_count_requests_tokens_signing_and_sign_in_failures() {
    let app = spawn_app().await;
    client_token(&app).await;
    let res = app
        .token(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", "not the password"),
        ])
        .await;
    assert_eq!(res.status(), 400);
    let res = scrape(&app).await;
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").starts_with("text/plain; version=0.0.4"));
    let text = res.text().await.unwrap();
    for expected in [
        "portcullis_tokens_issued_total{grant_type=\"client_credentials\"}",
        "portcullis_http_requests_total{route=\"/token\",method=\"POST\",status=\"200\"}",
        "portcullis_http_requests_total{route=\"/token\",method=\"POST\",status=\"400\"}",
        "portcullis_http_request_duration_seconds_bucket{route=\"/token\",le=\"",
        "portcullis_signing_duration_seconds_bucket{alg=\"ES256\",le=\"",
        "portcullis_events_total{kind=\"login.failure\"}",
        "portcullis_database_up 1",
        "portcullis_ephemeral_store_up 1",
        "portcullis_db_pool_connections ",
    ] {
        assert!(text.contains(expected), "missing {expected}\n{text}");
    }
    // Labels are route patterns, never raw paths (which anyone could vary without end).
    app.api.get(app.url("/no/such/page/12345")).send().await.unwrap();
    let text = scrape(&app).await.text().await.unwrap();
    assert!(!text.contains("12345"), "{text}");
    assert!(text.contains("route=\"unmatched\""), "{text}");
}

#[tokio::test]
async fn metrics_are_not_served_to_addresses_outside_the_allow_list() {
    let app = spawn_app_with(|s| {
        s.metrics.allow = vec!["10.0.0.0/8".parse::<Cidr>().unwrap()];
    })
    .await;
    assert_eq!(scrape(&app).await.status(), 404);
}

#[tokio::test]
async fn metrics_can_be_switched_off() {
    let app = spawn_app_with(|s| s.metrics.enabled = false).await;
    assert_eq!(scrape(&app).await.status(), 404);
}

/// RFC 9110 §9.3.2: HEAD is answered wherever GET is, with GET's status and headers and no body;
/// the connection stays usable for the next request.
#[tokio::test]
async fn head_is_answered_wherever_get_is() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/openid-configuration",
        "/jwks",
        "/static/css/portcullis.css",
        "/healthz",
        "/account",
    ] {
        let get = app.api.get(app.url(path)).send().await.unwrap();
        assert_ne!(get.status(), 404, "{path}");
        let head = app.api.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "{path}"
        );
        let length = get.headers().get("content-length").cloned();
        assert_eq!(head.headers().get("content-length").cloned(), length, "{path}");
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
        // The same keep-alive connection answers the next request correctly.
        let again = app.api.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(again.status(), 200);
        assert_eq!(again.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    }
}

/// docs/operations.md, "Request ids": an error page gives the person a reference that is the
/// request's `X-Request-Id` (so it matches the log lines), words for a person, the developer's
/// description folded away, and a way back that is this server's own account page.
#[tokio::test]
async fn error_pages_speak_to_people_and_give_the_request_id_as_reference() {
    let app = spawn_app().await;
    let res = app
        .authorize(&[("response_type", "code"), ("client_id", "no-such-client")])
        .await;
    assert_eq!(res.status(), 400);
    let id = header(&res, "x-request-id");
    let page = res.text().await.unwrap();
    assert!(page.contains("This sign-in link does not work"), "{page}");
    assert!(page.contains("unknown client_id"), "the detail, folded: {page}");
    assert!(page.contains("<summary>Technical details</summary>"), "{page}");
    assert!(page.contains(&format!("Reference <code>{id}</code>")), "{page}");
    assert!(page.contains(r#"<a href="/account">"#), "{page}");
}

async fn inspect(cli: &std::sync::Arc<Cli>, args: Vec<String>) -> std::process::Output {
    let cli = cli.clone();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cli.run(&args, None)
    })
    .await
    .unwrap()
}

/// docs/operations.md, "Token debugging": `portcullis token inspect` verifies a token against the
/// issuer's JWKS and checks its times, issuer and audience, and says plainly why a token is not
/// valid (exit status 1): changed, another issuer's, expired, meant for another audience.
#[tokio::test]
async fn token_inspect_verifies_with_the_issuers_jwks_and_says_why_a_token_is_not_valid() {
    let app = spawn_app().await;
    let cli = std::sync::Arc::new(Cli::new());
    let token = client_token(&app).await;
    let args = |t: &str, issuer: &str| {
        ["token", "inspect", t, "--issuer", issuer]
            .map(String::from)
            .to_vec()
    };

    let out = inspect(&cli, args(&token, &app.address)).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("access token (RFC 9068)"), "{stdout}");
    assert!(stdout.contains("Signature: valid (ES256"), "{stdout}");
    assert!(stdout.trim_end().ends_with("Valid."), "{stdout}");

    // A changed payload does not verify.
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = jwt_part(&token, 1);
    claims["scope"] = serde_json::json!("api:read admin");
    let changed = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
    let out = inspect(&cli, args(&changed, &app.address)).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("signature: does not verify"), "{stderr}");

    // Another issuer: neither its keys nor its name.
    let other = spawn_app().await;
    let out = inspect(&cli, args(&token, &other.address)).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("publishes no ES256 key"), "{stderr}");
    assert!(stderr.contains(&format!("issued by {}", app.address)), "{stderr}");

    // Meant for another audience.
    let mut with_aud = args(&token, &app.address);
    with_aud.extend(["--audience".into(), "https://photos.example/api".into()]);
    let out = inspect(&cli, with_aud).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("its aud does not name https://photos.example/api")
    );

    // Expired: minted by a server whose clock is two hours behind.
    let two_hours_ago = portcullis::clock::Clock::system().now_ms() - 2 * 3600 * 1000;
    let dir = crate::tempdir::tempdir().unwrap();
    let past = spawn_with_clock(
        test_settings(dir.path()),
        dir,
        portcullis::clock::Clock::fixed(two_hours_ago),
    )
    .await;
    let old = client_token(&past).await;
    let mut json = args(&old, &past.address);
    json.push("--json".into());
    let out = inspect(&cli, json).await;
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert!(
        report["problems"][0]
            .as_str()
            .is_some_and(|p| p.starts_with("expired ") && p.contains("minutes ago")),
        "{report}"
    );
}

/// A person who types the server's address lands on their account page (GET and HEAD).
#[tokio::test]
async fn the_root_path_leads_to_the_account_page() {
    let app = spawn_app().await;
    for res in [
        app.api.get(app.url("/")).send().await.unwrap(),
        app.api.head(app.url("/")).send().await.unwrap(),
    ] {
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/account");
    }
}

/// `serve --dev`'s landing page gives a ready-made curl command for the code it received, and
/// none for a code someone crafted to run in a shell.
#[tokio::test]
async fn dev_callback_offers_a_curl_command_only_for_a_shell_safe_code() {
    let app = spawn_app_with(|s| s.dev_mode = true).await;
    let page = app
        .api
        .get(app.url("/dev/callback?code=abc-DEF_123&state=s"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("-d code=abc-DEF_123"), "{page}");
    assert!(
        page.contains("code_verifier=&quot;$CODE_VERIFIER&quot;")
            || page.contains("code_verifier=&#34;$CODE_VERIFIER&#34;"),
        "{page}"
    );
    let page = app
        .api
        .get(app.url("/dev/callback?code=x%27%3Brm%20-rf%20~"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("curl -s"), "{page}");
}
