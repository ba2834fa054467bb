//! `portcullis dev seed` (bench/README.md, "Scale"): many users, token families and live refresh
//! tokens in few transactions, on this run's backend (SQLite, or PostgreSQL with DATABASE_URL).

use crate::cli::Cli;
use crate::helpers::*;

/// Seeded users share one password hash that really verifies; each family is live, offline, for
/// the given client, with one stored refresh token; a second seed adds to the first.
#[tokio::test]
async fn dev_seed_inserts_users_and_live_families_that_work() {
    let app = spawn_app().await;
    let url = secrecy::ExposeSecret::expose_secret(&app.state.settings.database.url).to_string();
    let cli = Cli::with_database(url);
    let out = cli.ok(
        &[
            "dev",
            "seed",
            "--users",
            "25",
            "--families",
            "40",
            "--client",
            CONFIDENTIAL_ID,
            "--batch",
            "7",
            "--password-stdin",
        ],
        Some("seeded-password\n"),
    );
    assert!(
        out.contains("seeded 25 users and 40 token families (105 rows)"),
        "{out}"
    );
    let prefix = out
        .split("usernames ")
        .nth(1)
        .and_then(|s| s.split("<n>").next())
        .unwrap()
        .to_string();

    let store = &app.ctx().store;
    let now = app.clock.now();
    let last = store
        .user_by_username(&format!("{prefix}24"))
        .await
        .unwrap()
        .expect("user 24");
    assert!(
        store
            .user_by_username(&format!("{prefix}25"))
            .await
            .unwrap()
            .is_none()
    );
    // Families go round the users: user 0 has families 0 and 25.
    let first = store
        .user_by_username(&format!("{prefix}0"))
        .await
        .unwrap()
        .unwrap();
    let families = store.active_families_for_user(&first.id, now).await.unwrap();
    assert_eq!(families.len(), 2, "{families:?}");
    assert!(
        families
            .iter()
            .all(|f| f.client_id == CONFIDENTIAL_ID && f.revoked_at.is_none())
    );
    assert_eq!(
        store.active_families_for_user(&last.id, now).await.unwrap().len(),
        1
    );

    // The one hash verifies: a seeded user gets tokens with the password.
    let res = app
        .token(&[
            ("grant_type", "password"),
            ("username", last.username.as_str()),
            ("password", "seeded-password"),
            ("scope", "openid"),
        ])
        .await;
    assert_eq!(res.status(), 200);

    // Another run adds its own rows beside the first one's.
    let again = cli.ok(&["dev", "seed", "--users", "3"], None);
    assert!(
        again.contains("seeded 3 users and 0 token families (3 rows)"),
        "{again}"
    );
    // Families without users make no sense.
    cli.fails(&["dev", "seed", "--families", "3"], None);
}
