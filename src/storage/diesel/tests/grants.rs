//! Refresh-token families and rotation (RFC 6749 §6, RFC 9700 §4.14, docs/security.md C.13).

use std::sync::Arc;

use super::{client, new_user, test_dbs};
use crate::digest::sha256_hex;
use crate::random::{random_id, secret_256};
use crate::storage::*;

fn family(user_id: &str, client_id: &str, now: i64) -> TokenFamily {
    TokenFamily {
        id: random_id(),
        user_id: Some(user_id.into()),
        client_id: client_id.into(),
        scope: crate::oauth::scope::Scope::from_tokens(["openid", "offline_access"]),
        sid: Some("sid-1".into()),
        auth_time: now,
        created_at: now,
        last_used_at: now,
        absolute_expires_at: now + 86_400,
        revoked_at: None,
        device_name: Some("Laptop".into()),
        user_agent: Some("test".into()),
        ip: None,
        lifetime: crate::storage::FamilyLifetime::Offline,
        dpop_jkt: None,
        amr: vec![crate::storage::AuthMethod::Password],
        idp: None,
        resources: Vec::new(),
    }
}

fn token(f: &TokenFamily, now: i64) -> RefreshToken {
    RefreshToken {
        token_hash: sha256_hex(&secret_256()),
        family_id: f.id.clone(),
        client_id: f.client_id.clone(),
        user_id: f.user_id.clone(),
        scope: f.scope.clone(),
        created_at: now,
        expires_at: now + 3_600,
        used_at: None,
    }
}

async fn setup(s: &dyn Store) -> (User, TokenFamily, RefreshToken) {
    let user = s.create_user(new_user("dave")).await.unwrap();
    s.create_client(client("web", "Web")).await.unwrap();
    let fam = family(&user.id, "web", 1_000);
    let first = token(&fam, 1_000);
    s.create_family(fam.clone(), Some(first.clone())).await.unwrap();
    (user, fam, first)
}

#[tokio::test]
async fn rotation_then_reuse_revokes_family() {
    for db in test_dbs().await {
        let s = &db.store;
        let (_, fam, first) = setup(s).await;
        let (t, f) = s.refresh_token(&first.token_hash).await.unwrap().unwrap();
        assert_eq!((t, f), (first.clone(), fam.clone()));

        let second = token(&fam, 1_010);
        let out = s.rotate_refresh_token(&first.token_hash, second.clone(), 1_010, Some("10.0.0.1".into()));
        assert_eq!(out.await.unwrap(), RotateOutcome::Rotated, "{}", db.name);
        let (old, f) = s.refresh_token(&first.token_hash).await.unwrap().unwrap();
        assert_eq!(old.used_at, Some(1_010));
        assert_eq!((f.last_used_at, f.ip.as_deref()), (1_010, Some("10.0.0.1")));
        assert_eq!(
            s.refresh_token(&second.token_hash).await.unwrap().unwrap().0,
            second
        );

        // The rotated token presented again: reuse, and the whole family is revoked.
        let third = token(&fam, 1_020);
        let out = s
            .rotate_refresh_token(&first.token_hash, third.clone(), 1_020, None)
            .await
            .unwrap();
        assert_eq!(
            out,
            RotateOutcome::Reused {
                family_id: fam.id.clone()
            },
            "{}",
            db.name
        );
        assert_eq!(
            s.family_by_id(&fam.id).await.unwrap().unwrap().revoked_at,
            Some(1_020)
        );
        assert_eq!(s.refresh_token(&third.token_hash).await.unwrap(), None);

        // The still-unused second token is dead too: its family is revoked.
        let out = s
            .rotate_refresh_token(&second.token_hash, token(&fam, 1_030), 1_030, None)
            .await
            .unwrap();
        assert_eq!(
            out,
            RotateOutcome::Reused {
                family_id: fam.id.clone()
            }
        );
        assert_eq!(
            s.family_by_id(&fam.id).await.unwrap().unwrap().revoked_at,
            Some(1_020),
            "idempotent"
        );

        let out = s
            .rotate_refresh_token("no-such-hash", token(&fam, 1_040), 1_040, None)
            .await
            .unwrap();
        assert_eq!(out, RotateOutcome::NotFound);
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_rotation_has_exactly_one_winner() {
    for db in test_dbs().await {
        let store = Arc::new(db.store.clone());
        let (_, fam, first) = setup(store.as_ref()).await;
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (store, fam, old) = (store.clone(), fam.clone(), first.token_hash.clone());
            tasks.push(tokio::spawn(async move {
                store
                    .rotate_refresh_token(&old, token(&fam, 2_000), 2_000, None)
                    .await
            }));
        }
        let (mut rotated, mut reused) = (0, 0);
        for task in tasks {
            match task.await.unwrap() {
                Ok(RotateOutcome::Rotated) => rotated += 1,
                Ok(RotateOutcome::Reused { family_id }) if family_id == fam.id => reused += 1,
                other => panic!("{}: unexpected {other:?}", db.name),
            }
        }
        assert_eq!((rotated, reused), (1, 19), "{}", db.name);
        assert!(
            store
                .family_by_id(&fam.id)
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn families_are_listed_revoked_and_purged() {
    for db in test_dbs().await {
        let s = &db.store;
        let (user, fam, first) = setup(s).await;
        let mut newer = family(&user.id, "web", 1_000);
        newer.last_used_at = 1_500;
        s.create_family(newer.clone(), None).await.unwrap();
        let mut expired = family(&user.id, "web", 100);
        expired.absolute_expires_at = 900;
        s.create_family(expired.clone(), Some(token(&expired, 100)))
            .await
            .unwrap();

        let active = s.active_families_for_user(&user.id, 1_000).await.unwrap();
        assert_eq!(
            active.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            [&newer.id, &fam.id]
        );

        assert!(s.revoke_family(&newer.id, 1_600).await.unwrap());
        assert!(s.revoke_family(&newer.id, 1_700).await.unwrap(), "idempotent");
        assert_eq!(
            s.family_by_id(&newer.id).await.unwrap().unwrap().revoked_at,
            Some(1_600)
        );
        assert!(!s.revoke_family("nope", 1_600).await.unwrap());
        assert_eq!(
            s.revoke_user_families(&user.id, 1_800).await.unwrap(),
            2,
            "fam and expired"
        );
        assert!(
            s.active_families_for_user(&user.id, 1_000)
                .await
                .unwrap()
                .is_empty()
        );

        // Tokens of revoked families go at once; families after `keep_secs`.
        let n = s.purge_grants(1_900, 1_000).await.unwrap();
        assert_eq!(n, 2, "{}: two tokens", db.name);
        assert!(s.refresh_token(&first.token_hash).await.unwrap().is_none());
        assert!(s.family_by_id(&fam.id).await.unwrap().is_some());
        let n = s.purge_grants(3_000, 1_000).await.unwrap();
        assert_eq!(n, 3, "{}: three families", db.name);
        assert!(s.family_by_id(&fam.id).await.unwrap().is_none());
        db.finish().await;
    }
}

#[tokio::test]
async fn deleting_a_user_removes_their_grants() {
    for db in test_dbs().await {
        let s = &db.store;
        let (user, fam, first) = setup(s).await;
        s.save_consent(Consent {
            user_id: user.id.clone(),
            client_id: "web".into(),
            scope: crate::oauth::scope::Scope::from_tokens(["openid"]),
            granted_at: 1,
        })
        .await
        .unwrap();
        assert!(s.delete_user(&user.id).await.unwrap());
        assert_eq!(s.family_by_id(&fam.id).await.unwrap(), None);
        assert_eq!(s.refresh_token(&first.token_hash).await.unwrap(), None);
        assert!(s.consents_for_user(&user.id).await.unwrap().is_empty());
        assert!(s.client_by_id("web").await.unwrap().is_some());
        db.finish().await;
    }
}

/// B.8: a grant revoked before its family exists stays revoked: the placeholder bars the id, so
/// creating the family later is a `Conflict`; a grant whose family exists is revoked; a grant of a
/// client that is gone records nothing.
#[tokio::test]
async fn a_grant_revoked_before_its_family_exists_can_never_be_created_live() {
    for db in test_dbs().await {
        let s = &db.store;
        let (user, live, _) = setup(s).await;
        let early = family(&user.id, "web", 1_000);
        s.revoke_grant(early.clone(), 1_100).await.unwrap();
        let barred = s.family_by_id(&early.id).await.unwrap().unwrap();
        assert_eq!(barred.revoked_at, Some(1_100), "{}", db.name);
        let created = s.create_family(early.clone(), Some(token(&early, 1_200))).await;
        assert!(
            matches!(created, Err(StorageError::Conflict(_))),
            "{}: {created:?}",
            db.name
        );
        assert_eq!(
            s.family_by_id(&early.id).await.unwrap().unwrap().revoked_at,
            Some(1_100)
        );
        assert!(s.active_families_for_user(&user.id, 1_200).await.unwrap().len() == 1);

        s.revoke_grant(live.clone(), 1_300).await.unwrap();
        s.revoke_grant(live.clone(), 1_400).await.unwrap();
        assert_eq!(
            s.family_by_id(&live.id).await.unwrap().unwrap().revoked_at,
            Some(1_300),
            "{}: the existing family is revoked once",
            db.name
        );

        let mut orphan = family(&user.id, "gone", 1_000);
        orphan.client_id = "gone".into();
        s.revoke_grant(orphan.clone(), 1_500).await.unwrap();
        assert_eq!(s.family_by_id(&orphan.id).await.unwrap(), None, "{}", db.name);
        db.finish().await;
    }
}

/// B.8: a revocation racing the creation of the same family: whichever runs first, the family
/// ends revoked or is never created.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_grant_revoked_while_its_family_is_created_ends_revoked() {
    for db in test_dbs().await {
        let store = Arc::new(db.store.clone());
        let (user, _, _) = setup(store.as_ref()).await;
        for round in 0..10 {
            let fam = family(&user.id, "web", 1_000);
            let first = token(&fam, 1_000);
            let create = {
                let (store, fam) = (store.clone(), fam.clone());
                tokio::spawn(async move { store.create_family(fam, Some(first)).await })
            };
            let revoke = {
                let (store, fam) = (store.clone(), fam.clone());
                tokio::spawn(async move { store.revoke_grant(fam, 1_001).await })
            };
            let created = create.await.unwrap();
            revoke.await.unwrap().unwrap();
            assert!(
                matches!(created, Ok(()) | Err(StorageError::Conflict(_))),
                "{}: {created:?}",
                db.name
            );
            let stored = store.family_by_id(&fam.id).await.unwrap().unwrap();
            assert_eq!(stored.revoked_at, Some(1_001), "{} round {round}", db.name);
        }
        db.finish().await;
    }
}
