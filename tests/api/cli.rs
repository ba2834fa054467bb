//! The `portcullis` command line, run as the real binary against a temp SQLite database: users,
//! clients (secret shown once), keys, config check with secrets masked, registration rules
//! (docs/security.md A.2), and a CLI-made user and client working against a served instance.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::helpers::*;

pub(crate) struct Cli {
    pub(crate) db_url: String,
    pub(crate) master_key: String,
    _dir: crate::tempdir::TempDir,
}

impl Cli {
    pub(crate) fn new() -> Cli {
        let dir = crate::tempdir::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("x.db").display());
        let master_key = format!(
            "{}{}",
            portcullis::random::random_id(),
            portcullis::random::random_id()
        );
        Cli {
            db_url,
            master_key,
            _dir: dir,
        }
    }

    /// A CLI on a given database URL (e.g. this run's backend from `test_database_url`).
    pub(crate) fn with_database(db_url: String) -> Cli {
        let mut cli = Cli::new();
        cli.db_url = db_url;
        cli
    }

    /// Runs `portcullis args...`, writing `stdin` (if any) to its standard input.
    pub(crate) fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(args)
            // DATABASE_URL and REDIS_URL override the configuration (docs/configuration.md): the CLI must
            // use this test's own database, never the shared one the suite may point at.
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("PORTCULLIS_CONFIG")
            .env_remove("RUST_LOG")
            .env("PORTCULLIS_DATABASE__URL", &self.db_url)
            .env("PORTCULLIS_KEYS__MASTER_KEY", &self.master_key)
            .env("PORTCULLIS_ARGON2__MEMORY_KIB", "64")
            .env("PORTCULLIS_ARGON2__ITERATIONS", "1")
            .env("PORTCULLIS_LOG__LEVEL", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            let mut pipe = child.stdin.take().unwrap();
            if let Some(text) = stdin {
                pipe.write_all(text.as_bytes()).unwrap();
            }
        }
        child.wait_with_output().unwrap()
    }

    /// Runs and asserts success; returns stdout.
    pub(crate) fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "portcullis {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub(crate) fn json(&self, args: &[&str], stdin: Option<&str>) -> Value {
        let text = self.ok(args, stdin);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"))
    }

    /// Runs and asserts a non-zero exit; returns stderr.
    pub(crate) fn fails(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(
            !out.status.success(),
            "portcullis {args:?} should fail: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }
}

const BOB_PASSWORD: &str = "bob's long enough passphrase";

#[tokio::test]
async fn cli_manages_users_clients_keys_and_config() {
    let cli = Cli::new();
    cli.ok(&["migrate"], None);
    cli.ok(&["migrate"], None); // idempotent

    // Users.
    let bob = cli.json(
        &[
            "user",
            "add",
            "bob",
            "--email",
            "b@x",
            "--password-stdin",
            "--json",
        ],
        Some(&format!("{BOB_PASSWORD}\n")),
    );
    assert_eq!(bob["username"], "bob");
    assert_eq!(bob["email"], "b@x");
    assert!(bob.get("password_hash").is_none(), "{bob}");
    cli.fails(
        &["user", "add", "bob", "--password-stdin"],
        Some(&format!("{BOB_PASSWORD}\n")),
    );
    let users = cli.json(&["user", "list", "--json"], None);
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["username"], "bob");
    assert_eq!(users[0]["disabled"], false);
    assert!(
        !users[0].to_string().contains("argon2"),
        "no password hash in the listing"
    );

    // Clients: the secret is printed once, at creation.
    let created = cli.json(
        &[
            "client",
            "add",
            "CLI App",
            "--redirect-uri",
            "https://cli.example/cb",
            "--json",
        ],
        None,
    );
    let id = created["client_id"].as_str().unwrap().to_string();
    let secret = created["client_secret"].as_str().unwrap().to_string();
    assert!(secret.len() >= 43, "256-bit secret: {secret}");
    assert_eq!(
        created["redirect_uris"],
        serde_json::json!(["https://cli.example/cb"])
    );
    let list = cli.json(&["client", "list", "--json"], None);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["client_id"], id.as_str());
    assert!(list[0].get("client_secret").is_none());
    assert!(
        !list.to_string().contains(&secret),
        "the secret is never shown again"
    );
    let shown = cli.ok(&["client", "show", &id], None);
    assert!(shown.contains(&id) && shown.contains("CLI App"), "{shown}");
    assert!(!shown.contains(&secret));
    let shown = cli.json(&["client", "show", &id, "--json"], None);
    assert!(shown.get("client_secret").is_none());
    assert!(
        !shown
            .to_string()
            .contains(&portcullis::digest::sha256_hex(&secret)),
        "nor its digest"
    );
    let rotated = cli.json(&["client", "rotate-secret", &id, "--json"], None);
    assert_eq!(rotated["client_id"], id.as_str());
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert!(new_secret.len() >= 43);
    assert_ne!(new_secret, secret);

    // Registration rules (docs/security.md A.2): refused with a non-zero exit, nothing stored.
    for bad in [
        "https://cli.example/cb#frag",
        "javascript:alert(1)",
        "JavaScript://x/%0aalert(1)",
        "data:text/html,x",
    ] {
        cli.fails(&["client", "add", "Bad", "--redirect-uri", bad, "--json"], None);
    }
    assert_eq!(
        cli.json(&["client", "list", "--json"], None)
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Keys.
    let before = cli.json(&["keys", "list", "--json"], None);
    let before = before.as_array().unwrap().len();
    let key = cli.json(&["keys", "rotate", "--alg", "ES256", "--json"], None);
    assert_eq!(key["alg"], "ES256");
    let kid = key["kid"].as_str().unwrap();
    assert!(!kid.is_empty());
    let keys = cli.json(&["keys", "list", "--json"], None);
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), before + 1);
    assert!(keys.iter().any(|k| k["kid"] == kid && k["alg"] == "ES256"));
    assert!(
        !keys
            .iter()
            .any(|k| k.get("private_jwk").is_some() || k.get("d").is_some())
    );

    // Config check: valid, secrets masked.
    let config = cli.ok(&["config", "check"], None);
    assert!(config.contains("configuration is valid"), "{config}");
    assert!(
        !config.contains(&cli.master_key),
        "the master key is masked:\n{config}"
    );
    assert!(config.contains("********"), "{config}");
    let out = cli.run(&["config", "check", "--json"], None);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&cli.master_key));

    // User lifecycle.
    cli.ok(&["user", "disable", "bob"], None);
    let users = cli.json(&["user", "list", "--json"], None);
    assert_eq!(users[0]["disabled"], true);
    cli.ok(&["user", "enable", "bob"], None);
    cli.ok(
        &["user", "passwd", "bob", "--password-stdin"],
        Some("another long passphrase\n"),
    );
    cli.fails(&["user", "passwd", "bob", "--password-stdin"], Some("short\n"));
    cli.fails(&["user", "disable", "nobody"], None);

    // Removal.
    cli.ok(&["client", "remove", &id], None);
    cli.fails(&["client", "show", &id], None);
    cli.fails(&["client", "remove", &id], None);
    assert!(
        cli.json(&["client", "list", "--json"], None)
            .as_array()
            .unwrap()
            .is_empty()
    );
    cli.ok(&["user", "remove", "bob"], None);
    assert!(
        cli.json(&["user", "list", "--json"], None)
            .as_array()
            .unwrap()
            .is_empty()
    );
    cli.fails(&["user", "remove", "bob"], None);
}

#[tokio::test]
async fn cli_made_user_and_client_complete_a_password_grant_on_a_served_instance() {
    let cli = Cli::new();
    cli.ok(
        &[
            "user",
            "add",
            "carol",
            "--email",
            "c@x",
            "--password-stdin",
            "--json",
        ],
        Some(&format!("{BOB_PASSWORD}\n")),
    );
    let client = cli.json(
        &[
            "client",
            "add",
            "Script",
            "--grant-type",
            "password",
            "refresh_token",
            "--scope",
            "openid",
            "profile",
            "offline_access",
            "--json",
        ],
        None,
    );
    let id = client["client_id"].as_str().unwrap().to_string();
    let secret = client["client_secret"].as_str().unwrap().to_string();

    // A server on the same database and master key.
    let dir = crate::tempdir::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    settings.database.url = secrecy::SecretString::from(cli.db_url.clone());
    settings.keys.master_key = Some(secrecy::SecretString::from(cli.master_key.clone()));
    let app = spawn_with_settings(settings, dir).await;

    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[
            ("grant_type", "password"),
            ("username", "carol"),
            ("password", BOB_PASSWORD),
            // OpenID Core §11: a refresh token without a login session is offline access.
            ("scope", "openid profile offline_access"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["refresh_token"].is_string());
    let claims = crate::helpers::jwt_part(body["access_token"].as_str().unwrap(), 1);
    assert_eq!(claims["client_id"], id.as_str());
    let res = crate::helpers::get_userinfo(&app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);

    // Disabling carol from the CLI ends her refresh tokens on the running server.
    cli.ok(&["user", "disable", "carol"], None);
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", body["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    crate::helpers::error_body(res, 400, "invalid_grant").await;
}

/// Commands exit cleanly, every time: a one-shot command opens one connection and nothing is
/// still connecting when it returns. On PostgreSQL with TLS negotiated (libpq's default
/// `sslmode=prefer`), an exit while a pool thread was opening a connection crashed about one
/// command in four (SIGSEGV in OpenSSL's exit-time cleanup).
#[tokio::test]
async fn cli_commands_exit_cleanly_every_time() {
    let app = spawn_app().await;
    let url = secrecy::ExposeSecret::expose_secret(&app.state.settings.database.url).to_string();
    let cli = Cli::with_database(url);
    for round in 0..25 {
        let name = format!("App {round}");
        for args in [
            vec!["client", "add", &name, "--redirect-uri", "https://a.example/cb"],
            vec!["client", "list"],
            vec!["user", "list"],
            vec!["keys", "list"],
        ] {
            let out = cli.run(&args, None);
            assert!(
                out.status.success(),
                "portcullis {args:?} exited with {:?} (a signal when None) in round {round}:\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// E.24: outside `--dev`, `serve` with an https issuer refuses to start without a configured master
/// key, naming the variable to set, instead of generating a key file.
#[tokio::test]
async fn serve_with_https_issuer_refuses_to_start_without_a_master_key() {
    let cli = Cli::new();
    let dir = crate::tempdir::tempdir().unwrap();
    let mut out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("PORTCULLIS_CONFIG")
        .env_remove("PORTCULLIS_KEYS__MASTER_KEY")
        .env("PORTCULLIS_DATABASE__URL", &cli.db_url)
        .env("PORTCULLIS_ISSUER", "https://id.example.com")
        .env("PORTCULLIS_LISTEN", "127.0.0.1:0")
        .env("PORTCULLIS_LOG__LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A server that started would run until stopped: give it 20 s, then stop it and fail.
    let started = std::time::Instant::now();
    while out.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            out.kill().unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let out = out.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "refused, not started");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PORTCULLIS_KEYS__MASTER_KEY"), "{stderr}");
    assert!(
        !dir.path().join("portcullis.master.key").exists(),
        "no key file was generated"
    );
}

/// `portcullis api edit` and `portcullis client edit` change what they name through the admin
/// API's own operations (`admin::apis::update`, `admin::clients::update`): the same rules, the
/// identifier and client_id never change, `--clear` puts a member back to its default.
#[tokio::test]
async fn cli_edit_commands_change_apis_and_clients() {
    let cli = Cli::new();
    let photos = "https://photos.example/api";
    cli.ok(
        &[
            "api",
            "add",
            photos,
            "--name",
            "Photos",
            "--access-token-ttl",
            "600",
            "--scope",
            "photos:read",
        ],
        None,
    );
    let api = cli.json(
        &[
            "api",
            "edit",
            photos,
            "--name",
            "Photo library",
            "--default-access-token-ttl",
            "--json",
        ],
        None,
    );
    assert_eq!(api["name"], "Photo library");
    assert!(api.get("access_token_ttl_secs").is_none(), "{api}");
    assert_eq!(api["scopes"][0]["name"], "photos:read");
    let err = cli.fails(&["api", "edit", photos, "--access-token-ttl", "0"], None);
    assert!(err.contains("positive"), "{err}");
    let err = cli.fails(&["api", "edit", "https://nope.example/api", "--name", "X"], None);
    assert!(err.contains("no API"), "{err}");

    let made = cli.json(
        &[
            "client",
            "add",
            "Reporting",
            "--client-id",
            "reporting",
            "--grant-type",
            "client_credentials",
            "--scope",
            "openid",
            "--require-mfa",
            "--tos-uri",
            "https://reporting.example/tos",
            "--json",
        ],
        None,
    );
    assert!(made["client_secret"].is_string());
    let edited = cli.json(
        &[
            "client",
            "edit",
            "reporting",
            "--name",
            "Reports",
            "--first-party",
            "true",
            "--scope",
            "openid",
            "profile",
            "--clear",
            "tos_uri",
            "--api",
            photos,
            "--json",
        ],
        None,
    );
    assert_eq!(edited["name"], "Reports");
    assert_eq!(edited["first_party"], true);
    assert_eq!(edited["require_mfa"], true, "kept: {edited}");
    assert_eq!(edited["api"], photos);
    assert!(edited.get("client_secret").is_none(), "{edited}");
    assert!(!edited.to_string().contains("reporting.example/tos"), "{edited}");
    let err = cli.fails(&["client", "edit", "reporting", "--clear", "colour"], None);
    assert!(err.contains("colour"), "{err}");
    let err = cli.fails(
        &["client", "edit", "reporting", "--api", "https://nope.example/api"],
        None,
    );
    assert!(err.contains("no API"), "{err}");
    cli.fails(&["client", "edit", "nope", "--name", "X"], None);
}
