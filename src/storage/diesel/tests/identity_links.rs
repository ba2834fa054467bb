//! Linked upstream identities (docs/security.md I.4), on SQLite and, when configured, PostgreSQL.

use super::{client, new_user, test_dbs};
use crate::storage::*;

fn link(user_id: &str, upstream: &str, subject: &str) -> IdentityLink {
    IdentityLink {
        user_id: user_id.into(),
        upstream_id: upstream.into(),
        subject: subject.into(),
        linked_at: 1_700_000_100,
    }
}

/// I.4: (upstream, subject) names one user; a second link of it is a `Conflict`.
#[tokio::test]
async fn an_upstream_identity_links_to_one_user() {
    for db in test_dbs().await {
        let s = &db.store;
        let alice = s.create_user(new_user("alice")).await.unwrap();
        let bob = s.create_user(new_user("bob")).await.unwrap();
        s.link_identity(link(&alice.id, "corp", "sub-1")).await.unwrap();
        let again = s.link_identity(link(&bob.id, "corp", "sub-1")).await;
        assert!(matches!(again, Err(StorageError::Conflict(_))), "{}", db.name);
        s.link_identity(link(&bob.id, "other", "sub-1")).await.unwrap();
        let found = s.linked_user("corp", "sub-1").await.unwrap().unwrap();
        assert_eq!(found.id, alice.id);
        assert!(s.linked_user("corp", "sub-2").await.unwrap().is_none());
        assert_eq!(s.identity_links_for_user(&bob.id).await.unwrap().len(), 1);
        assert_eq!(s.unlink_identity(&alice.id, "corp").await.unwrap(), 1);
        assert!(s.linked_user("corp", "sub-1").await.unwrap().is_none());
        assert!(s.delete_user(&bob.id).await.unwrap());
        assert!(
            s.linked_user("other", "sub-1").await.unwrap().is_none(),
            "gone with the user"
        );
        db.finish().await;
    }
}

/// I.3: provisioning creates the user and its link together or not at all.
#[tokio::test]
async fn provisioning_creates_user_and_link_in_one_transaction() {
    for db in test_dbs().await {
        let s = &db.store;
        let alice = s.create_user(new_user("alice")).await.unwrap();
        s.link_identity(link(&alice.id, "corp", "taken")).await.unwrap();
        let clash = s
            .create_linked_user(new_user("carol"), link("", "corp", "taken"))
            .await;
        assert!(matches!(clash, Err(StorageError::Conflict(_))), "{}", db.name);
        assert!(
            s.user_by_username("carol").await.unwrap().is_none(),
            "no half-made user"
        );
        let carol = s
            .create_linked_user(new_user("carol"), link("", "corp", "c-1"))
            .await
            .unwrap();
        assert_eq!(s.linked_user("corp", "c-1").await.unwrap().unwrap().id, carol.id);
        db.finish().await;
    }
}

#[tokio::test]
async fn users_are_found_by_email_ignoring_case() {
    for db in test_dbs().await {
        let s = &db.store;
        s.create_user(new_user("dora")).await.unwrap();
        assert_eq!(
            s.users_by_email("DORA@Example.com").await.unwrap().len(),
            1,
            "{}",
            db.name
        );
        assert!(s.users_by_email("nobody@example.com").await.unwrap().is_empty());
        db.finish().await;
    }
}

/// Clients keep the upstreams they offer and whether they take passwords (I.6).
#[tokio::test]
async fn clients_keep_their_upstreams_and_password_login() {
    for db in test_dbs().await {
        let s = &db.store;
        let c = Client {
            upstreams: vec!["corp".into()],
            password_login: false,
            ..client("fed", "Fed")
        };
        s.create_client(c.clone()).await.unwrap();
        assert_eq!(s.client_by_id("fed").await.unwrap(), Some(c), "{}", db.name);
        db.finish().await;
    }
}
