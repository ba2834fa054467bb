//! The operator's documents hold: every setting is in docs/configuration.md with its environment
//! variable; the Dockerfile and docker-compose.yml use only documented settings, a route that
//! answers for the health check, and volumes where the settings put the files; the SQLite backup and
//! restore of docs/operations.md give a server with the same users, clients and signing keys.

use std::collections::BTreeSet;

use portcullis::config::Settings;
use portcullis::{Application, Clock};
use secrecy::SecretString;
use serde_json::Value;

use crate::guides::Guide;
use crate::helpers::*;

const CONFIGURATION: &str = include_str!("../../docs/configuration.md");
const DOCKERFILE: &str = include_str!("../../Dockerfile");
const COMPOSE: &str = include_str!("../../docker-compose.yml");

/// The dotted path of every leaf of `value` (tables are walked, arrays and scalars are leaves).
fn leaf_keys(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaf_keys(child, &path, out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

/// Every settings key (`tokens.code_ttl_secs`), from the serialised defaults: a key added to
/// `Settings` shows up here without anyone listing it.
fn setting_keys() -> Vec<String> {
    let value = serde_json::to_value(Settings::default()).expect("settings serialise");
    let mut keys = Vec::new();
    leaf_keys(&value, "", &mut keys);
    keys
}

/// `tokens.code_ttl_secs` -> `PORTCULLIS_TOKENS__CODE_TTL_SECS` (docs/configuration.md, load order).
fn env_name(key: &str) -> String {
    format!("PORTCULLIS_{}", key.to_ascii_uppercase().replace('.', "__"))
}

/// The environment variables that set a setting: one per key, plus the conventional two.
fn documented_env_names() -> BTreeSet<String> {
    let mut names: BTreeSet<String> = setting_keys().iter().map(|k| env_name(k)).collect();
    names.insert("DATABASE_URL".into());
    names.insert("REDIS_URL".into());
    names
}

/// docs/configuration.md has a table row for every key of `Settings`, naming its environment
/// variable; and every `PORTCULLIS_` variable it names is a real key (no stale documentation).
#[test]
fn every_setting_is_documented_with_its_environment_variable() {
    let keys = setting_keys();
    assert!(keys.len() > 50, "{keys:?}");
    let mut missing = Vec::new();
    for key in &keys {
        if key == "upstream" {
            // A list of tables, documented in its own section.
            if !CONFIGURATION.contains("`PORTCULLIS_UPSTREAM`") {
                missing.push("upstream (PORTCULLIS_UPSTREAM)".to_string());
            }
            continue;
        }
        let row = format!("| `{key}` |");
        let env = format!("`{}`", env_name(key));
        let documented = CONFIGURATION
            .lines()
            .any(|l| l.starts_with(&row) && l.contains(&env));
        if !documented {
            missing.push(format!("{key} ({})", env_name(key)));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/configuration.md lacks a row `| `key` | `ENV` | default | why |` for: {missing:#?}"
    );

    let known = documented_env_names();
    let mut stale = Vec::new();
    for (i, _) in CONFIGURATION.match_indices("PORTCULLIS_") {
        let name: String = CONFIGURATION[i..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        let name = name.trim_end_matches('_');
        let special = ["PORTCULLIS", "PORTCULLIS_CONFIG", "PORTCULLIS_UPSTREAM"].contains(&name)
            || name.starts_with("PORTCULLIS_UPSTREAM__");
        if !special && !known.contains(name) {
            stale.push(name.to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "docs/configuration.md names variables that set nothing: {stale:?}"
    );
}

/// Every field of an `[[upstream]]` table has a row in the upstream table of docs/configuration.md.
#[test]
fn every_upstream_field_is_documented() {
    let settings: Settings = toml::from_str(
        "[[upstream]]\nid = \"corp\"\nname = \"Corp\"\nissuer = \"https://login.corp.example\"\n\
         client_id = \"pc\"\nclient_secret = \"s\"\nclient_secret_file = \"/s\"\n",
    )
    .expect("an upstream");
    let value = serde_json::to_value(&settings.upstream[0]).expect("serialise");
    let fields: Vec<&String> = value.as_object().expect("a table").keys().collect();
    assert!(fields.len() >= 10, "{fields:?}");
    let section = CONFIGURATION
        .split_once("### Upstream OpenID providers")
        .and_then(|(_, rest)| rest.split_once("\n### "))
        .map(|(section, _)| section)
        .expect("the upstream section");
    for field in fields {
        assert!(
            section
                .lines()
                .any(|l| l.starts_with("| `") && l.contains(&format!("`{field}`"))),
            "upstream field {field} is not in docs/configuration.md"
        );
    }
}

/// `NAME=value` pairs of the Dockerfile's `ENV` instructions (with `\` continuations).
fn dockerfile_env() -> Vec<(String, String)> {
    let joined = DOCKERFILE.replace("\\\n", " ");
    joined
        .lines()
        .filter_map(|l| l.strip_prefix("ENV "))
        .flat_map(|rest| {
            rest.split_whitespace()
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The `environment:` entries of the compose file's `portcullis` service.
fn compose_env() -> Vec<(String, String)> {
    let lines: Vec<&str> = COMPOSE.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "  portcullis:")
        .expect("a portcullis service");
    let service: Vec<&str> = lines[start + 1..]
        .iter()
        .take_while(|l| l.is_empty() || l.starts_with("   "))
        .copied()
        .collect();
    let env = service
        .iter()
        .position(|l| *l == "    environment:")
        .expect("its environment");
    service[env + 1..]
        .iter()
        .take_while(|l| l.starts_with("      "))
        .filter_map(|l| l.trim().split_once(": "))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

/// The one `http://127.0.0.1:PORT/PATH` URL in `text` after `marker`: (port, path).
fn health_url(text: &str, marker: &str) -> (String, String) {
    let (_, after) = text.split_once(marker).unwrap_or_else(|| panic!("no {marker}"));
    let (_, url) = after.split_once("http://127.0.0.1:").expect("a loopback URL");
    let url: String = url
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"')
        .collect();
    let (port, path) = url.split_once('/').expect("a path");
    (port.to_string(), format!("/{path}"))
}

/// The Dockerfile and docker-compose.yml set only documented settings, check a health route that
/// answers 200 on the exposed port, keep the SQLite database and the master key file on declared
/// volumes, run as a non-root user from a multi-stage build, and start Portcullis only once
/// PostgreSQL and Redis are healthy.
#[tokio::test]
async fn container_files_use_only_real_settings_routes_and_paths() {
    let documented = documented_env_names();
    let docker_env = dockerfile_env();
    let compose_env = compose_env();
    assert!(!docker_env.is_empty() && !compose_env.is_empty());
    for (name, _) in docker_env.iter().chain(&compose_env) {
        assert!(
            documented.contains(name),
            "{name} is not a setting in docs/configuration.md"
        );
    }
    let env = |name: &str| {
        docker_env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("the Dockerfile sets {name}"))
    };

    // The port: listened on, exposed, health-checked, published.
    let exposed = DOCKERFILE
        .lines()
        .find_map(|l| l.strip_prefix("EXPOSE "))
        .expect("EXPOSE")
        .trim()
        .to_string();
    let listen = env("PORTCULLIS_LISTEN");
    assert_eq!(listen, format!("0.0.0.0:{exposed}"));
    let (docker_port, docker_path) = health_url(DOCKERFILE, "HEALTHCHECK");
    let (compose_port, compose_path) = health_url(COMPOSE, "healthcheck:\n      test: [\"CMD\", \"curl\"");
    assert_eq!(docker_port, exposed);
    assert_eq!(compose_port, exposed);
    assert_eq!(docker_path, compose_path);
    assert!(
        COMPOSE.contains(&format!(":{exposed}\"")),
        "compose publishes the exposed port"
    );
    let app = spawn_app().await;
    let res = app.api.get(app.url(&docker_path)).send().await.expect("health");
    assert_eq!(res.status(), 200, "{docker_path} is a route that answers");

    // The files are on the declared volumes.
    let volume_line = DOCKERFILE
        .lines()
        .find_map(|l| l.strip_prefix("VOLUME "))
        .expect("VOLUME");
    let volumes: Vec<String> = serde_json::from_str(volume_line).expect("VOLUME in JSON form");
    let db_path = env("PORTCULLIS_DATABASE__URL")
        .strip_prefix("sqlite://")
        .expect("an SQLite URL")
        .to_string();
    let key_path = env("PORTCULLIS_KEYS__MASTER_KEY_FILE");
    for path in [&db_path, &key_path] {
        let parent = std::path::Path::new(path).parent().expect("a directory");
        assert!(
            volumes.iter().any(|v| std::path::Path::new(v) == parent),
            "{path} is not on a volume {volumes:?}"
        );
    }
    assert_ne!(
        std::path::Path::new(&db_path).parent(),
        std::path::Path::new(&key_path).parent(),
        "the master key is not kept next to the database"
    );
    // These values are valid settings.
    let mut settings = Settings {
        listen,
        ..Settings::default()
    };
    settings.database.url = SecretString::from(env("PORTCULLIS_DATABASE__URL"));
    settings.keys.master_key_file = key_path.into();
    settings.validate().expect("the Dockerfile's settings validate");
    serde_json::from_value::<portcullis::config::LogFormat>(Value::String(env("PORTCULLIS_LOG__FORMAT")))
        .expect("a log format");

    // Multi-stage, non-root.
    assert!(
        DOCKERFILE.matches("\nFROM ").count() >= 2,
        "a build and a runtime stage"
    );
    assert!(DOCKERFILE.contains("COPY --from=build "));
    let user = DOCKERFILE
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("USER");
    assert!(user.trim() != "root" && user.trim() != "0", "{user}");
    // The runtime stage installs no compiler or -dev package.
    let runtime = DOCKERFILE.rsplit("\nFROM ").next().expect("runtime stage");
    assert!(!runtime.contains("-dev"), "{runtime}");

    // The build context leaves out build output, local databases and master keys.
    let ignored: Vec<&str> = include_str!("../../.dockerignore").lines().collect();
    for pattern in ["target", "*.db", "*.master.key"] {
        assert!(ignored.contains(&pattern), ".dockerignore lacks {pattern}");
    }

    // Compose: PostgreSQL and Redis checked, Portcullis waits for both.
    assert_eq!(COMPOSE.matches("condition: service_healthy").count(), 2);
    assert_eq!(COMPOSE.matches("healthcheck:").count(), 3);
}

/// docs/operations.md, "Backup and restore", "SQLite": the backup taken with `sqlite3 .backup`
/// while the server runs, restored to a new file, gives a server (same master key) with the same
/// users, clients and signing keys: a token the first server issued is active at the restored one.
#[tokio::test]
async fn sqlite_backup_restores_users_clients_and_keys() {
    let data = crate::tempdir::tempdir().expect("temp dir");
    let db = data.path().join("portcullis.db");
    let url = format!("sqlite://{}", db.display());
    let mut guide = Guide::start_section("docs/operations.md", "### SQLite", |s| {
        s.database.url = SecretString::from(url.clone());
    })
    .await;
    let restored_dir = data.path().join("restored");
    std::fs::create_dir(&restored_dir).expect("dir");
    let restored = restored_dir.join("portcullis.db");
    guide.set_var("DB", &db.display().to_string());
    guide.set_var("BACKUP_DIR", &data.path().join("backups").display().to_string());
    guide.set_var("RESTORED", &restored.display().to_string());
    let token = client_token(&guide.app).await;
    guide.run_rest().await;
    assert!(
        guide
            .var("BACKUP")
            .is_some_and(|b| std::path::Path::new(&b).exists()),
        "the backup file"
    );
    let restored_url = format!("sqlite://{}", restored.display());
    assert_restored_server_has_the_same_data(&guide, &restored_url, &token).await;
}

/// docs/operations.md, "Backup and restore", "PostgreSQL": `pg_dump` of the running server's
/// database, `pg_restore` into a new database, and a server on it (same master key) has the same
/// users, clients and signing keys. Runs when the suite runs on PostgreSQL (`DATABASE_URL`).
#[tokio::test]
async fn postgres_dump_restores_users_clients_and_keys() {
    let Some(admin_url) = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    else {
        eprintln!("DATABASE_URL names no PostgreSQL server: the SQLite run covers the other section");
        return;
    };
    let mut guide = Guide::start_section("docs/operations.md", "### PostgreSQL", |_| {}).await;
    let server_url = secrecy::ExposeSecret::expose_secret(&guide.app.state.settings.database.url).to_string();
    let restored_db = format!("pc_test_restored_{}", &portcullis::random::random_id()[..12]);
    guide.set_var("DATABASE_URL", &server_url);
    guide.set_var("ADMIN_URL", &admin_url);
    guide.set_var("RESTORED_DB", &restored_db);
    let token = client_token(&guide.app).await;
    guide.run_rest().await;
    let restored_url = guide.var("RESTORED_URL").expect("RESTORED_URL set by the guide");
    assert!(
        restored_url.ends_with(&format!("/{restored_db}")),
        "{restored_url}"
    );
    assert_restored_server_has_the_same_data(&guide, &restored_url, &token).await;
    let _ = std::thread::spawn(move || {
        use diesel::{Connection, RunQueryDsl};
        if let Ok(mut conn) = diesel::PgConnection::establish(&admin_url) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {restored_db} WITH (FORCE)"))
                .execute(&mut conn);
        }
    })
    .join();
}

/// A server started on `database_url` with the guide's server's settings (the same master key) has
/// its user and clients, publishes the same keys, and finds `token` (issued by the first) active.
async fn assert_restored_server_has_the_same_data(guide: &Guide, database_url: &str, token: &str) {
    let mut settings = (*guide.app.state.settings).clone();
    settings.database.url = SecretString::from(database_url.to_string());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    settings.listen = format!("127.0.0.1:{port}");
    let app = Application::build_with(settings, listener, Clock::system())
        .await
        .expect("a server on the restored database");
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let store = &state.ctx.store;
    let user = store
        .user_by_username(USERNAME)
        .await
        .expect("user")
        .expect("alice restored");
    assert_eq!(user.id, guide.app.user_id);
    for client in [CONFIDENTIAL_ID, PUBLIC_ID, THIRD_PARTY_ID] {
        assert!(
            store.client_by_id(client).await.expect("client").is_some(),
            "{client}"
        );
    }
    let restored = format!("http://127.0.0.1:{port}");
    let jwks = |base: String| async move {
        let body: Value = reqwest::get(format!("{base}/jwks"))
            .await
            .expect("jwks")
            .json()
            .await
            .expect("json");
        body
    };
    assert_eq!(
        jwks(guide.app.address.clone()).await,
        jwks(restored.clone()).await
    );
    let res = guide
        .app
        .api
        .post(format!("{restored}/introspect"))
        .basic_auth(CONFIDENTIAL_ID, Some(&guide.app.client_secret))
        .form(&[("token", token)])
        .send()
        .await
        .expect("introspect");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["active"], true, "{body}");
}
