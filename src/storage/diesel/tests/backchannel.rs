//! `GroupStore` and `BackchannelStore` on every backend (SQLite, and PostgreSQL when
//! `DATABASE_URL` names one).

use super::{client, new_user, test_dbs};
use crate::storage::*;

fn with_uri(client_id: &str, uri: Option<&str>, session_required: bool) -> Client {
    Client {
        backchannel_logout: uri.map(|u| BackchannelLogout {
            uri: u.into(),
            session_required,
        }),
        ..client(client_id, client_id)
    }
}

/// Issue 8 part 3: an upstream's groups replace only that upstream's memberships, in one step.
#[tokio::test]
async fn replace_external_groups_keeps_local_and_other_sources_memberships() {
    for db in test_dbs().await {
        let s = &db.store;
        let u = s.create_user(new_user("ext")).await.unwrap();
        s.create_group("local", 1).await.unwrap();
        assert!(
            s.add_group_member("local", &u.id, LOCAL_GROUP_SOURCE, 1)
                .await
                .unwrap()
        );
        assert!(
            !s.add_group_member("missing", &u.id, LOCAL_GROUP_SOURCE, 1)
                .await
                .unwrap()
        );
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        s.replace_external_groups(&u.id, "corp", &names(&["a", "b"]), 2)
            .await
            .unwrap();
        s.replace_external_groups(&u.id, "corp", &names(&["b", "c"]), 3)
            .await
            .unwrap();
        assert_eq!(
            s.user_groups(&u.id).await.unwrap(),
            ["b", "c", "local"],
            "{}",
            db.name
        );
        let listed: Vec<(String, i64)> = s
            .list_groups()
            .await
            .unwrap()
            .into_iter()
            .map(|g| (g.name, g.members))
            .collect();
        let expected: Vec<(String, i64)> = [("a", 0), ("b", 1), ("c", 1), ("local", 1)]
            .iter()
            .map(|(n, m)| (n.to_string(), *m))
            .collect();
        assert_eq!(listed, expected, "{}", db.name);
        assert!(s.delete_group("b").await.unwrap());
        assert_eq!(s.user_groups(&u.id).await.unwrap(), ["c", "local"]);
        assert!(s.delete_user(&u.id).await.unwrap());
        assert!(
            s.group_members("c").await.unwrap().is_empty(),
            "memberships go with the user"
        );
        db.finish().await;
    }
}

/// OpenID Back-Channel Logout 1.0: a session's logout queues its clients with a URI, once; a
/// user-wide one the rest; a session-required client gets nothing for a record without `sid`.
#[tokio::test]
async fn queue_logout_turns_the_ended_sessions_records_into_deliveries_once() {
    for db in test_dbs().await {
        let s = &db.store;
        let u = s.create_user(new_user("bcl")).await.unwrap();
        s.create_client(with_uri("a", Some("https://a.example/bcl"), false))
            .await
            .unwrap();
        s.create_client(with_uri("b", Some("https://b.example/bcl"), true))
            .await
            .unwrap();
        s.create_client(with_uri("plain", None, false)).await.unwrap();
        for (c, sid) in [
            ("a", Some("s1")),
            ("b", Some("s1")),
            ("plain", Some("s1")),
            ("a", Some("s2")),
        ] {
            s.record_backchannel_session(c, &u.id, sid, 10, 1000)
                .await
                .unwrap();
        }
        s.record_backchannel_session("a", &u.id, Some("s1"), 11, 2000)
            .await
            .unwrap();
        s.record_backchannel_session("b", &u.id, None, 10, 1000)
            .await
            .unwrap();
        s.record_backchannel_session("a", &u.id, None, 10, 1000)
            .await
            .unwrap();

        assert_eq!(
            s.queue_logout(&u.id, LogoutScope::Session("s1"), 20)
                .await
                .unwrap(),
            2,
            "{}",
            db.name
        );
        assert_eq!(
            s.queue_logout(&u.id, LogoutScope::Session("s1"), 21)
                .await
                .unwrap(),
            0,
            "once"
        );
        let mut got: Vec<(String, Option<String>)> = s
            .backchannel_deliveries()
            .await
            .unwrap()
            .into_iter()
            .map(|d| (d.client_id, d.sid))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [("a".into(), Some("s1".into())), ("b".into(), Some("s1".into()))]
        );

        // User-wide: a's s2 and sid-less records; b's sid-less record is skipped (session required).
        assert_eq!(
            s.queue_logout(&u.id, LogoutScope::User, 30).await.unwrap(),
            2,
            "{}",
            db.name
        );
        assert_eq!(s.backchannel_deliveries().await.unwrap().len(), 4);

        // Claims: all four due at 30, each claimed once.
        let first = s.claim_backchannel_deliveries(30, 90, 3).await.unwrap();
        let second = s.claim_backchannel_deliveries(30, 90, 10).await.unwrap();
        assert_eq!((first.len(), second.len()), (3, 1), "{}", db.name);
        assert!(
            s.claim_backchannel_deliveries(89, 150, 10)
                .await
                .unwrap()
                .is_empty(),
            "leased"
        );
        let d = &second[0];
        assert!(
            s.retry_backchannel_delivery(&d.id, 1, 200, "refused")
                .await
                .unwrap()
        );
        assert_eq!(
            s.claim_backchannel_deliveries(90, 500, 10).await.unwrap().len(),
            3,
            "lease over"
        );
        let again = s.claim_backchannel_deliveries(200, 260, 10).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(
            (again[0].attempts, again[0].last_error.as_deref()),
            (1, Some("refused"))
        );
        assert!(s.delete_backchannel_delivery(&d.id).await.unwrap());
        assert_eq!(
            s.purge_backchannel_sessions(5000).await.unwrap(),
            0,
            "all consumed"
        );
        db.finish().await;
    }
}
