//! Hot-path statements at scale (docs/architecture.md, "Storage"): no statement that a request or the
//! periodic purge runs scans a table. The test records the SQL the store really sends (diesel's
//! instrumentation on the pool's only connection), then asks each database for its plan: SQLite's
//! `EXPLAIN QUERY PLAN` must show no `SCAN <table>`, PostgreSQL's generic plan with sequential scans
//! switched off must show no `Seq Scan` (one there means no index can serve the statement).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::diesel;
use ::diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use ::diesel::prelude::*;
use ::diesel::sql_types::Text;

use super::super::{DbConnection, DieselStore};
use super::{TestDb, client, new_user, test_dbs_with_pool};
use crate::storage::*;

/// Every statement a connection starts, as diesel renders it (`<sql> -- binds: [...]`).
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Recorder {
    fn instrumentation(&self) -> impl Instrumentation {
        let log = self.0.clone();
        move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                log.lock().unwrap().push(query.to_string());
            }
        }
    }

    /// The distinct data statements recorded, binds stripped, in first-seen order.
    fn statements(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for raw in self.0.lock().unwrap().iter() {
            let sql = raw
                .split(" -- binds:")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            let verb = sql
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            let data = ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].contains(&verb.as_str());
            if data && !sql.eq_ignore_ascii_case("SELECT 1") && !out.contains(&sql) {
                out.push(sql);
            }
        }
        out
    }
}

/// Runs `f` on the pool's connection, off the async runtime.
async fn with_conn<T: Send + 'static>(
    store: &DieselStore,
    f: impl FnOnce(&mut DbConnection) -> T + Send + 'static,
) -> T {
    let pool = store.pool();
    tokio::task::spawn_blocking(move || f(&mut pool.get().unwrap()))
        .await
        .unwrap()
}

fn family(id: &str, user_id: &str, now: i64) -> TokenFamily {
    TokenFamily {
        id: id.into(),
        user_id: Some(user_id.into()),
        client_id: "web".into(),
        scope: crate::oauth::scope::Scope::from_tokens(["openid", "offline_access"]),
        sid: Some("sid".into()),
        auth_time: now,
        created_at: now,
        last_used_at: now,
        absolute_expires_at: now + 86_400,
        revoked_at: None,
        device_name: None,
        user_agent: None,
        ip: None,
        lifetime: crate::storage::FamilyLifetime::Session,
        dpop_jkt: None,
        amr: vec![crate::storage::AuthMethod::Password],
        idp: None,
        resources: Vec::new(),
    }
}

fn token(hash: &str, family_id: &str, now: i64) -> RefreshToken {
    RefreshToken {
        token_hash: hash.into(),
        family_id: family_id.into(),
        client_id: "web".into(),
        user_id: None,
        scope: crate::oauth::scope::Scope::from_tokens(["openid"]),
        created_at: now,
        expires_at: now + 3_600,
        used_at: None,
    }
}

/// Calls every hot-path method once, each branch that matters (a rotation and a reuse, a barred
/// grant), with the recorder on.
async fn run_hot_paths(db: &TestDb) -> Vec<String> {
    let (s, e) = (&db.store, db.ephemeral());
    let recorder = Recorder::default();
    let instrumentation = recorder.instrumentation();
    with_conn(s, move |c| c.set_instrumentation(instrumentation)).await;

    let user = s.create_user(new_user("hot")).await.unwrap();
    s.create_client(client("web", "Web")).await.unwrap();
    s.user_by_id(&user.id).await.unwrap();
    s.user_by_username("hot").await.unwrap();
    s.client_by_id("web").await.unwrap();
    s.consent(&user.id, "web").await.unwrap();
    let scope = crate::oauth::scope::Scope::from_tokens(["openid"]);
    let consent = Consent {
        user_id: user.id.clone(),
        client_id: "web".into(),
        scope,
        granted_at: 1,
    };
    s.save_consent(consent).await.unwrap();
    s.create_family(family("f1", &user.id, 1_000), Some(token("t1", "f1", 1_000)))
        .await
        .unwrap();
    s.family_by_id("f1").await.unwrap();
    s.refresh_token("t1").await.unwrap();
    s.refresh_grant("t1").await.unwrap();
    let rotated = s.rotate_refresh_token("t1", token("t2", "f1", 1_001), 1_001, Some("10.0.0.1".into()));
    assert_eq!(rotated.await.unwrap(), RotateOutcome::Rotated);
    let reused = s.rotate_refresh_token("t1", token("t3", "f1", 1_002), 1_002, None);
    assert!(matches!(reused.await.unwrap(), RotateOutcome::Reused { .. }));
    s.revoke_family("f1", 1_003).await.unwrap();
    s.revoke_grant(family("f2", &user.id, 1_003), 1_003)
        .await
        .unwrap();
    s.revoke_user_families(&user.id, 1_004).await.unwrap();
    s.active_families_for_user(&user.id, 1_004).await.unwrap();
    // docs/admin-api.md, "Pagination": a page of a user's or a client's sessions, in id order
    // from the (user_id, id) and (client_id, id) indexes.
    s.families_page(Some(&user.id), None, 1_004, Some("f0"), 51)
        .await
        .unwrap();
    s.families_page(None, Some("web"), 1_004, None, 51).await.unwrap();
    s.families_page(Some(&user.id), Some("web"), 1_004, Some("f0"), 51)
        .await
        .unwrap();
    s.purge_grants(1_005, 0).await.unwrap();

    s.revoke_token("jti-1", 2_000, 1_000).await.unwrap();
    s.is_token_revoked("jti-1", 1_000).await.unwrap();
    s.revoked_after(0, 1_000).await.unwrap();
    s.purge_revoked_tokens(1_000).await.unwrap();

    // docs/guides/mfa.md: every sign-in of a user with a second factor.
    s.totp(&user.id).await.unwrap();
    let secret = TotpSecret {
        user_id: user.id.clone(),
        secret_sealed: "s".into(),
        last_used_step: 1,
        created_at: 1,
    };
    s.confirm_totp(secret, vec!["h".into()]).await.unwrap();
    s.use_totp_step(&user.id, 2).await.unwrap();
    s.use_recovery_code(&user.id, "h", 2).await.unwrap();
    s.recovery_codes_left(&user.id).await.unwrap();
    s.passkeys(&user.id).await.unwrap();
    s.passkey_by_id("k").await.unwrap();
    s.update_passkey("k", "{}", 2).await.unwrap();
    // A federated sign-in (docs/guides/federation.md).
    let link = IdentityLink {
        user_id: user.id.clone(),
        upstream_id: "corp".into(),
        subject: "s-1".into(),
        linked_at: 1,
    };
    s.linked_user("corp", "s-1").await.unwrap();
    s.users_by_email("Hot@example.com").await.unwrap();
    s.link_identity(link.clone()).await.unwrap();
    let new = IdentityLink {
        subject: "s-2".into(),
        ..link
    };
    s.create_linked_user(new_user("hot2"), new).await.unwrap();
    // RFC 8707: the APIs of a request, a client's policy, introspection by an API's client.
    s.api_by_identifier("https://api.example").await.unwrap();
    s.client_api_policy("web").await.unwrap();
    s.apis_introspected_by("web").await.unwrap();

    let min = Duration::from_secs(60);
    e.put(Kind::Code, "k", "v", min).await.unwrap();
    e.get(Kind::Code, "k").await.unwrap();
    e.consume(Kind::Code, "k").await.unwrap();
    e.take(Kind::Code, "k").await.unwrap();
    e.delete(Kind::Code, "k").await.unwrap();
    e.incr(Kind::RateLimit, "ip:1", min).await.unwrap();
    e.purge_expired().await.unwrap();
    recorder.statements()
}

#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The plan of `sql` (parameters unbound): SQLite's `EXPLAIN QUERY PLAN` details, or PostgreSQL's
/// generic plan with sequential scans off.
fn plan(conn: &mut DbConnection, sql: &str) -> Vec<String> {
    match conn {
        DbConnection::Sqlite(c) => ::diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<SqlitePlanLine>(c)
            .unwrap()
            .into_iter()
            .map(|l| l.detail)
            .collect(),
        DbConnection::Postgresql(c) => {
            // Without statistics the planner thinks every table tiny; with these off it shows the
            // plan it takes at scale (checked by hand on a million rows) or, when no index serves
            // the statement, a sequential scan anyway.
            c.batch_execute(
                "SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; \
                 SET enable_hashjoin = off; SET enable_mergejoin = off",
            )
            .unwrap();
            c.batch_execute(&format!("PREPARE hot_path AS {sql}")).unwrap();
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = ::diesel::sql_types::Integer)]
                n: i32,
            }
            let params = ::diesel::sql_query(
                "SELECT coalesce(cardinality(parameter_types), 0) AS n FROM pg_prepared_statements \
                 WHERE name = 'hot_path'",
            )
            .get_result::<Count>(c)
            .unwrap()
            .n;
            // `'0'` reads as any parameter's type (text, bigint, boolean); the plan is the generic
            // one, whatever the values.
            let args = vec!["'0'"; params as usize].join(", ");
            let execute = if args.is_empty() {
                "EXPLAIN EXECUTE hot_path".to_string()
            } else {
                format!("EXPLAIN EXECUTE hot_path({args})")
            };
            let lines = ::diesel::sql_query(execute).load::<PgPlanLine>(c).unwrap();
            c.batch_execute("DEALLOCATE hot_path").unwrap();
            lines.into_iter().map(|l| l.line).collect()
        }
    }
}

/// The plan lines that read a whole table: SQLite `SCAN <table>` (a covering index scanned end to
/// end included); PostgreSQL `Seq Scan on <table>`, and an index scan without an `Index Cond` (the
/// whole index, in its order).
fn table_scans(plan: &[String]) -> Vec<String> {
    let mut scans = Vec::new();
    for (i, line) in plan.iter().enumerate() {
        let node = line.trim_start_matches([' ', '-', '>']);
        let sqlite_scan = node.starts_with("SCAN ") && !node.starts_with("SCAN CONSTANT ROW");
        let pg_index_scan = node.starts_with("Index Scan") || node.starts_with("Index Only Scan");
        let bounded = plan[i + 1..]
            .iter()
            .take_while(|l| !l.contains("->"))
            .any(|l| l.contains("Index Cond:"));
        if sqlite_scan || node.starts_with("Seq Scan on ") || (pg_index_scan && !bounded) {
            scans.push(line.clone());
        }
    }
    scans
}

/// docs/architecture.md, "Storage": every statement on a hot path (refresh rotation and lookup,
/// family revocations and listing, users, clients, consents, the short-lived table, revoked access
/// tokens, the upkeep purges) finds its rows through an index; none scans a table.
#[tokio::test]
async fn hot_path_statements_never_scan_a_table() {
    for db in test_dbs_with_pool(1).await {
        let statements = run_hot_paths(&db).await;
        assert!(statements.len() > 30, "{}: recorded {statements:#?}", db.name);
        let plans = with_conn(&db.store, move |c| {
            statements
                .into_iter()
                .map(|sql| {
                    let plan = plan(c, &sql);
                    (sql, plan)
                })
                .collect::<Vec<_>>()
        })
        .await;
        for (sql, plan) in &plans {
            println!("{}: {sql}\n    {}", db.name, plan.join("\n    "));
        }
        let scans: Vec<_> = plans
            .iter()
            .filter(|(_, plan)| !table_scans(plan).is_empty())
            .collect();
        assert!(
            scans.is_empty(),
            "{}: statements that scan a table:\n{scans:#?}",
            db.name
        );
        db.finish().await;
    }
}

/// One user, one family and one refresh token per row of `n`, in one SQLite statement each.
const SEED_SQLITE: &str = "
INSERT INTO clients (client_id, name, created_at) VALUES ('bench', 'Bench', 0);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N})
INSERT INTO users (id, username, password_hash, created_at, updated_at)
SELECT printf('user-%08d', i), printf('name-%08d', i), 'x', 0, 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N})
INSERT INTO token_families (id, user_id, client_id, scope, auth_time, created_at, last_used_at,
                            absolute_expires_at)
SELECT printf('fam-%08d', i), printf('user-%08d', i), 'bench', 'openid offline_access', 0, 0, 0,
       4000000000 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N})
INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, created_at, expires_at)
SELECT printf('tok-%08d', i), printf('fam-%08d', i), 'bench', printf('user-%08d', i),
       'openid offline_access', 0, 4000000000 FROM n;
";

/// Seeds 1,000,000 users, families and refresh tokens into a SQLite file (`PORTCULLIS_BENCH_ROWS`
/// changes the count) and times three rotations and one purge of dead grants:
/// `cargo test --lib rotation_at_a_million_families -- --ignored --nocapture`
#[tokio::test]
#[ignore = "a measurement: seeds a million rows"]
async fn rotation_at_a_million_families() {
    let n: u32 = std::env::var("PORTCULLIS_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // PORTCULLIS_BENCH_DB keeps the seeded file for a look with the sqlite3 shell.
    let dir = crate::tempdir::tempdir().unwrap();
    let path = std::env::var("PORTCULLIS_BENCH_DB")
        .unwrap_or_else(|_| dir.path().join("bench.db").display().to_string());
    let url = format!("sqlite://{path}");
    let store = DieselStore::connect(&url, 2).await.unwrap();
    store.migrate().await.unwrap();
    let seeded = Instant::now();
    let seed = SEED_SQLITE.replace("{N}", &n.to_string());
    crate::telemetry::spawn_blocking_traced({
        let pool = store.pool();
        move || pool.get().unwrap().batch_execute(&seed).unwrap()
    })
    .await
    .unwrap();
    println!("seeded {n} families in {:?}", seeded.elapsed());

    // The middle, the start and the end of the key range.
    for (i, n) in [n / 2, 7, n].into_iter().enumerate() {
        let (old, fam) = (format!("tok-{n:08}"), format!("fam-{n:08}"));
        let new = RefreshToken {
            token_hash: format!("new-{i}"),
            family_id: fam,
            client_id: "bench".into(),
            user_id: None,
            scope: crate::oauth::scope::Scope::from_tokens(["openid"]),
            created_at: 1,
            expires_at: 4_000_000_000,
            used_at: None,
        };
        let t = Instant::now();
        let out = store.rotate_refresh_token(&old, new, 1, None).await.unwrap();
        println!("rotation {i}: {out:?} in {:?}", t.elapsed());
    }
    let t = Instant::now();
    let purged = store.purge_grants(2, 3_600).await.unwrap();
    println!("purge of dead grants: {purged} rows in {:?}", t.elapsed());
}
