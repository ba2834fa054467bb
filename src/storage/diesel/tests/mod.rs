//! Storage tests: each runs on a temp SQLite file and, when `DATABASE_URL` starts with
//! `postgres`, also on a fresh PostgreSQL database created for the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod apis;
mod backchannel;
mod ephemeral;
mod grants;
mod identity_links;
mod mfa;
mod plans;
mod registration;
mod revoked;
mod writers;

use ::diesel::connection::SimpleConnection;
use ::diesel::prelude::*;

use super::DieselStore;
use super::conn::Target;
use crate::random::random_id;
use crate::storage::ephemeral::sql::SqlEphemeral;
use crate::storage::*;
use crate::telemetry::spawn_blocking_traced;

/// One backend under test; keeps the temp dir alive and drops the PostgreSQL database at the end.
pub(super) struct TestDb {
    pub store: DieselStore,
    pub name: &'static str,
    _dir: Option<crate::tempdir::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn ephemeral(&self) -> SqlEphemeral {
        SqlEphemeral::new(self.store.pool(), crate::clock::Clock::system())
    }

    /// The short-lived store on `clock`, which a test advances instead of sleeping.
    pub fn ephemeral_at(&self, clock: crate::clock::Clock) -> SqlEphemeral {
        SqlEphemeral::new(self.store.pool(), clock)
    }

    /// Drops the per-test PostgreSQL database (best effort).
    pub async fn finish(self) {
        let TestDb { store, pg, .. } = self;
        drop(store);
        if let Some((admin_url, db)) = pg {
            let _ = spawn_blocking_traced(move || {
                let mut c = PgConnection::establish(&admin_url)?;
                c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                    .map_err(|e| ::diesel::ConnectionError::BadConnection(e.to_string()))
            })
            .await;
        }
    }
}

/// A migrated SQLite store on a temp file, plus a migrated PostgreSQL one when configured.
pub(super) async fn test_dbs() -> Vec<TestDb> {
    test_dbs_with_pool(8).await
}

/// Like [`test_dbs`], with `pool_size` connections per store.
pub(super) async fn test_dbs_with_pool(pool_size: u32) -> Vec<TestDb> {
    let mut dbs = Vec::new();
    let dir = crate::tempdir::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = DieselStore::connect(&url, pool_size).await.unwrap();
    store.migrate().await.unwrap();
    dbs.push(TestDb {
        store,
        name: "sqlite",
        _dir: Some(dir),
        pg: None,
    });

    if let Ok(admin_url) = std::env::var("DATABASE_URL")
        && admin_url.starts_with("postgres")
    {
        let db = format!("pc_unit_{}", random_id());
        let create = format!("CREATE DATABASE {db}");
        let admin = admin_url.clone();
        spawn_blocking_traced(move || {
            PgConnection::establish(&admin)
                .unwrap()
                .batch_execute(&create)
                .unwrap()
        })
        .await
        .unwrap();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&db);
        let store = DieselStore::connect(url.as_str(), pool_size).await.unwrap();
        store.migrate().await.unwrap();
        dbs.push(TestDb {
            store,
            name: "postgres",
            _dir: None,
            pg: Some((admin_url, db)),
        });
    }
    dbs
}

pub(super) fn new_user(username: &str) -> NewUser {
    NewUser {
        id: random_id(),
        username: username.to_owned(),
        email: Some(format!("{username}@example.com")),
        email_verified: true,
        name: Some("Test User".to_owned()),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        created_at: 1_700_000_000,
    }
}

pub(super) fn client(client_id: &str, name: &str) -> Client {
    Client {
        client_id: client_id.to_owned(),
        name: name.to_owned(),
        secret_hash: Some("ab".repeat(32)),
        redirect_uris: vec!["https://app.example.com/cb".into(), "http://127.0.0.1/cb".into()],
        post_logout_redirect_uris: vec!["https://app.example.com/bye".into()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: crate::oauth::scope::Scope::from_tokens(["openid", "profile", "offline_access"]),
        first_party: false,
        id_token_signed_response_alg: crate::keys::Alg::Rs256,
        access_token_alg: None,
        created_at: 1_700_000_000,
        resource_server: false,
        require_pushed_authorization_requests: false,
        require_mfa: false,
        groups: Default::default(),
        backchannel_logout: None,
        upstreams: Vec::new(),
        password_login: true,
        registration: Default::default(),
    }
}

#[test]
fn database_urls_choose_the_backend() {
    assert!(matches!(Target::parse("sqlite://data/p.db"), Ok(Target::Sqlite(p)) if p == "data/p.db"));
    assert!(matches!(Target::parse("sqlite:///abs/p.db"), Ok(Target::Sqlite(p)) if p == "/abs/p.db"));
    assert!(matches!(Target::parse("sqlite:p.db?mode=rwc"), Ok(Target::Sqlite(p)) if p == "p.db"));
    assert!(matches!(Target::parse("sqlite::memory:"), Ok(Target::Sqlite(p)) if p == ":memory:"));
    assert!(Target::parse("sqlite::memory:").unwrap().is_memory());
    assert!(matches!(
        Target::parse("postgres://u:pw@h/db"),
        Ok(Target::Postgres(_))
    ));
    assert!(matches!(
        Target::parse("postgresql://h/db"),
        Ok(Target::Postgres(_))
    ));
    assert!(matches!(
        Target::parse("mysql://h/db"),
        Err(StorageError::Unavailable(_))
    ));
    assert!(matches!(
        Target::parse("sqlite://"),
        Err(StorageError::Unavailable(_))
    ));
    // The URL (and its password) never shows in Debug output.
    assert!(!format!("{:?}", Target::parse("postgres://u:pw@h/db").unwrap()).contains("pw"));
}

#[tokio::test]
async fn unreachable_database_is_unavailable() {
    let err = DieselStore::connect("postgres://postgres@127.0.0.1:1/nope", 2)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Unavailable(_)), "{err:?}");
    let err = DieselStore::connect("sqlite:///nonexistent-dir/x/y.db", 2)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn in_memory_sqlite_works() {
    let store = DieselStore::connect("sqlite::memory:", 8).await.unwrap();
    store.migrate().await.unwrap();
    store.create_user(new_user("mem")).await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 1);
    assert_eq!(store.backend_name(), "sqlite");
}

#[tokio::test]
async fn migrations_apply_twice_harmlessly() {
    for db in test_dbs().await {
        db.store.migrate().await.unwrap();
        db.store.migrate().await.unwrap();
        db.store.ping().await.unwrap();
        assert_eq!(db.store.backend_name(), db.name);
        assert_eq!(db.store.count_users().await.unwrap(), 0, "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn user_crud_and_duplicate_username_conflict() {
    for db in test_dbs().await {
        let s = &db.store;
        let alice = s.create_user(new_user("alice")).await.unwrap();
        assert_eq!(alice.password_changed_at, 0);
        assert!(!alice.disabled);
        let again = s.create_user(new_user("alice")).await.unwrap_err();
        assert!(
            matches!(again, StorageError::Conflict(_)),
            "{}: {again:?}",
            db.name
        );
        s.create_user(new_user("bob")).await.unwrap();

        assert_eq!(s.user_by_id(&alice.id).await.unwrap().as_ref(), Some(&alice));
        assert_eq!(s.user_by_username("alice").await.unwrap().as_ref(), Some(&alice));
        assert_eq!(s.user_by_username("nobody").await.unwrap(), None);
        let names: Vec<_> = s
            .list_users()
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert_eq!(names, ["alice", "bob"]);
        assert_eq!(s.count_users().await.unwrap(), 2);

        assert!(
            s.set_password(&alice.id, "new-hash", 1_800_000_000_500)
                .await
                .unwrap()
        );
        assert!(s.set_disabled(&alice.id, true, 1_800_000_001).await.unwrap());
        assert!(s.revoke_sessions(&alice.id, 1_800_000_002_250).await.unwrap());
        let a = s.user_by_id(&alice.id).await.unwrap().unwrap();
        assert_eq!(a.password_hash, "new-hash");
        assert_eq!(a.password_changed_at, 1_800_000_000_500, "milliseconds");
        assert!(a.disabled);
        assert_eq!(a.sessions_revoked_at, 1_800_000_002_250, "milliseconds");
        assert_eq!(a.updated_at, 1_800_000_002, "seconds");
        assert!(!s.set_password("missing", "h", 1).await.unwrap());
        assert!(!s.set_disabled("missing", true, 1).await.unwrap());

        assert!(s.delete_user(&alice.id).await.unwrap());
        assert!(!s.delete_user(&alice.id).await.unwrap());
        assert_eq!(s.user_by_id(&alice.id).await.unwrap(), None);
        assert_eq!(s.count_users().await.unwrap(), 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn client_round_trip_with_lists() {
    for db in test_dbs().await {
        let s = &db.store;
        let web = client("web", "Zeta app");
        let mut spa = client("spa", "Alpha app");
        spa.secret_hash = None;
        spa.grant_types = vec![GrantType::AuthorizationCode];
        spa.post_logout_redirect_uris = vec![];
        spa.first_party = true;
        s.create_client(web.clone()).await.unwrap();
        s.create_client(spa.clone()).await.unwrap();
        let dup = s.create_client(web.clone()).await.unwrap_err();
        assert!(matches!(dup, StorageError::Conflict(_)), "{}: {dup:?}", db.name);

        assert_eq!(s.client_by_id("web").await.unwrap(), Some(web.clone()));
        assert_eq!(s.client_by_id("spa").await.unwrap(), Some(spa.clone()));
        assert_eq!(s.client_by_id("nope").await.unwrap(), None);
        assert_eq!(s.list_clients().await.unwrap(), vec![spa.clone(), web.clone()]);
        assert_eq!(s.count_clients().await.unwrap(), 2);

        assert!(s.set_client_secret_hash("spa", "cd").await.unwrap());
        assert_eq!(
            s.client_by_id("spa")
                .await
                .unwrap()
                .unwrap()
                .secret_hash
                .as_deref(),
            Some("cd")
        );
        assert!(!s.set_client_secret_hash("nope", "cd").await.unwrap());

        assert!(s.delete_client("web").await.unwrap());
        assert!(!s.delete_client("web").await.unwrap());
        assert_eq!(s.count_clients().await.unwrap(), 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn corrupt_list_column_is_reported() {
    for db in test_dbs().await {
        db.store.create_client(client("bad", "Bad")).await.unwrap();
        super::run(&db.store.pool(), |conn| {
            use super::schema::clients;
            ::diesel::update(clients::table.find("bad"))
                .set(clients::scopes.eq("not json"))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
        let err = db.store.client_by_id("bad").await.unwrap_err();
        assert!(matches!(err, StorageError::Corrupt(_)), "{}: {err:?}", db.name);
        db.finish().await;
    }
}

fn key(kid: &str, created_at: i64) -> SigningKey {
    SigningKey {
        kid: kid.into(),
        alg: crate::keys::Alg::Es256,
        private_jwk_sealed: "sealed".into(),
        public_jwk: r#"{"kty":"EC"}"#.into(),
        created_at,
        activates_at: created_at + 60,
        retired_at: None,
        expires_at: None,
    }
}

#[tokio::test]
async fn keys_lifecycle() {
    for db in test_dbs().await {
        let s = &db.store;
        s.insert_key(key("k2", 200)).await.unwrap();
        s.insert_key(key("k1", 100)).await.unwrap();
        assert!(matches!(
            s.insert_key(key("k1", 100)).await,
            Err(StorageError::Conflict(_))
        ));
        let kids: Vec<_> = s.list_keys().await.unwrap().into_iter().map(|k| k.kid).collect();
        assert_eq!(kids, ["k1", "k2"], "oldest first on {}", db.name);

        assert!(s.update_key_lifecycle("k1", Some(300), Some(400)).await.unwrap());
        assert!(
            !s.update_key_lifecycle("nope", Some(300), Some(400))
                .await
                .unwrap()
        );
        let k1 = s.list_keys().await.unwrap().remove(0);
        assert_eq!((k1.retired_at, k1.expires_at), (Some(300), Some(400)));

        assert_eq!(
            s.delete_expired_keys(400).await.unwrap(),
            0,
            "expires_at is not before now"
        );
        assert_eq!(s.delete_expired_keys(401).await.unwrap(), 1);
        assert_eq!(s.list_keys().await.unwrap(), vec![key("k2", 200)]);
        db.finish().await;
    }
}

#[tokio::test]
async fn consents_upsert_list_delete() {
    for db in test_dbs().await {
        let s = &db.store;
        let u = s.create_user(new_user("carol")).await.unwrap();
        s.create_client(client("b-client", "B")).await.unwrap();
        s.create_client(client("a-client", "A")).await.unwrap();
        let consent = |client_id: &str, scope: &str, at| Consent {
            user_id: u.id.clone(),
            client_id: client_id.into(),
            scope: crate::oauth::scope::Scope::from_tokens(scope.split(' ')),
            granted_at: at,
        };
        s.save_consent(consent("b-client", "openid", 10)).await.unwrap();
        s.save_consent(consent("b-client", "openid profile", 20))
            .await
            .unwrap();
        s.save_consent(consent("a-client", "openid", 30)).await.unwrap();
        assert_eq!(
            s.consent(&u.id, "b-client").await.unwrap(),
            Some(consent("b-client", "openid profile", 20))
        );
        assert_eq!(
            s.consents_for_user(&u.id).await.unwrap(),
            vec![
                consent("a-client", "openid", 30),
                consent("b-client", "openid profile", 20)
            ]
        );
        assert!(s.delete_consent(&u.id, "b-client").await.unwrap());
        assert!(!s.delete_consent(&u.id, "b-client").await.unwrap());
        assert_eq!(s.consent(&u.id, "b-client").await.unwrap(), None);

        // Deleting the client takes its consents with it.
        assert!(s.delete_client("a-client").await.unwrap());
        assert!(s.consents_for_user(&u.id).await.unwrap().is_empty());
        db.finish().await;
    }
}

#[tokio::test]
async fn audit_events_newest_first() {
    for db in test_dbs().await {
        let s = &db.store;
        let kinds = [
            (1, AuditKind::LoginSuccess),
            (3, AuditKind::PasswordChanged),
            (2, AuditKind::LoginFailure),
        ];
        for (at, kind) in kinds {
            let event = AuditEvent {
                at,
                kind,
                user_id: Some("u".into()),
                client_id: None,
                ip: Some("127.0.0.1".into()),
                detail: "{}".into(),
            };
            s.record(event).await.unwrap();
        }
        let kinds: Vec<_> = s
            .recent_events(2)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [AuditKind::PasswordChanged, AuditKind::LoginFailure],
            "{}",
            db.name
        );
        db.finish().await;
    }
}

/// `portcullis audit`: filters by user, client, kinds and time combine, newest first, limited.
#[tokio::test]
async fn audit_events_filter_by_user_client_kind_and_time() {
    for db in test_dbs().await {
        let s = &db.store;
        let rows = [
            (10, AuditKind::LoginFailure, Some("u1"), Some("c1")),
            (20, AuditKind::LoginSuccess, Some("u1"), Some("c1")),
            (30, AuditKind::LoginSuccess, Some("u2"), Some("c2")),
            (40, AuditKind::ConsentGranted, Some("u1"), Some("c2")),
            (40, AuditKind::Logout, Some("u1"), None),
        ];
        for (at, kind, user, client) in rows {
            let event = AuditEvent {
                at,
                kind,
                user_id: user.map(str::to_string),
                client_id: client.map(str::to_string),
                ip: Some("192.0.2.1".into()),
                detail: r#"{"reason":"x"}"#.into(),
            };
            s.record(event).await.unwrap();
        }
        let list = |filter: AuditFilter| async move {
            s.audit_events(&filter)
                .await
                .unwrap()
                .into_iter()
                .map(|e| (e.at, e.kind))
                .collect::<Vec<_>>()
        };
        let user = |u: &str| Some(u.to_string());
        assert_eq!(
            list(AuditFilter {
                user_id: user("u1"),
                ..AuditFilter::default()
            })
            .await,
            [
                (40, AuditKind::Logout),
                (40, AuditKind::ConsentGranted),
                (20, AuditKind::LoginSuccess),
                (10, AuditKind::LoginFailure)
            ],
            "{}: newest first, ties in insertion order reversed",
            db.name
        );
        let by_client = AuditFilter {
            client_id: user("c2"),
            ..AuditFilter::default()
        };
        assert_eq!(
            list(by_client).await,
            [(40, AuditKind::ConsentGranted), (30, AuditKind::LoginSuccess)]
        );
        let kinds = AuditFilter {
            kinds: vec![AuditKind::LoginSuccess, AuditKind::LoginFailure],
            since: Some(15),
            ..AuditFilter::default()
        };
        assert_eq!(
            list(kinds).await,
            [(30, AuditKind::LoginSuccess), (20, AuditKind::LoginSuccess)]
        );
        let limited = AuditFilter {
            limit: 2,
            ..AuditFilter::default()
        };
        assert_eq!(list(limited).await.len(), 2);
        let none = AuditFilter {
            user_id: user("u1"),
            client_id: user("c2"),
            kinds: vec![AuditKind::Logout],
            ..AuditFilter::default()
        };
        assert!(list(none).await.is_empty());
        db.finish().await;
    }
}

/// The audit listing never scans the table on SQLite: each filter has its index
/// (migration `2026-11-27-000002_audit_indexes`).
#[tokio::test]
async fn audit_queries_use_their_indexes() {
    use plan::Plan;
    let dir = crate::tempdir::tempdir().unwrap();
    let path = dir.path().join("plan.db");
    let store = DieselStore::connect(&format!("sqlite://{}", path.display()), 1)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    drop(store);
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let order = "ORDER BY at DESC, id DESC LIMIT 100";
    let cases = [
        ("user_id = 'u'", "audit_events_user_idx"),
        ("client_id = 'c'", "audit_events_client_idx"),
        ("kind = 'login.failure'", "audit_events_kind_idx"),
        ("at >= 5", "audit_events_at_idx"),
    ];
    for (condition, index) in cases {
        let sql = format!("EXPLAIN QUERY PLAN SELECT * FROM audit_events WHERE {condition} {order}");
        let plan: Vec<Plan> = ::diesel::sql_query(&sql).load(&mut conn).unwrap();
        let plan: Vec<String> = plan.into_iter().map(|p| p.detail).collect();
        assert!(plan.iter().any(|d| d.contains(index)), "{condition}: {plan:?}");
        assert!(
            !plan.iter().any(|d| d.starts_with("SCAN audit_events")),
            "{condition}: {plan:?}"
        );
    }
}

/// A row of SQLite's `EXPLAIN QUERY PLAN` (its own module: the derive names the `diesel` crate,
/// which the storage glob import shadows here).
mod plan {
    use diesel::QueryableByName;

    #[derive(QueryableByName)]
    pub struct Plan {
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub detail: String,
    }
}

#[tokio::test]
async fn foreign_keys_are_enforced() {
    for db in test_dbs().await {
        let fk = super::run(&db.store.pool(), |conn| {
            use super::schema::consents;
            ::diesel::insert_into(consents::table)
                .values((
                    consents::user_id.eq("ghost"),
                    consents::client_id.eq("ghost"),
                    consents::scope.eq("openid"),
                    consents::granted_at.eq(1i64),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await;
        assert!(fk.is_err(), "{}: foreign keys must be enforced", db.name);
        db.finish().await;
    }
}
