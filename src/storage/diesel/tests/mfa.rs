//! Second factors (docs/guides/mfa.md, docs/security.md G.5): TOTP steps and recovery codes are
//! used at most once, atomically; factors go with their user.

use std::sync::Arc;

use super::{new_user, test_dbs};
use crate::storage::*;

fn totp(user_id: &str, step: i64) -> TotpSecret {
    TotpSecret {
        user_id: user_id.into(),
        secret_sealed: "sealed".into(),
        last_used_step: step,
        created_at: 1_000,
    }
}

fn passkey(id: &str, user_id: &str, at: i64) -> PasskeyCredential {
    PasskeyCredential {
        id: id.into(),
        user_id: user_id.into(),
        name: format!("key {id}"),
        passkey: "{}".into(),
        created_at: at,
        last_used_at: None,
    }
}

/// G.5: a TOTP step counts once, and no earlier step after it; a recovery code works once.
#[tokio::test]
async fn totp_steps_and_recovery_codes_are_used_once() {
    for db in test_dbs().await {
        let s = &db.store;
        let user = s.create_user(new_user("mfa")).await.unwrap();
        assert!(s.totp(&user.id).await.unwrap().is_none());
        s.confirm_totp(totp(&user.id, 10), vec!["h1".into(), "h2".into()])
            .await
            .unwrap();
        assert_eq!(s.totp(&user.id).await.unwrap().unwrap().last_used_step, 10);
        assert!(!s.use_totp_step(&user.id, 10).await.unwrap(), "{}", db.name);
        assert!(s.use_totp_step(&user.id, 11).await.unwrap());
        assert!(!s.use_totp_step(&user.id, 11).await.unwrap(), "replay");
        assert!(!s.use_totp_step(&user.id, 9).await.unwrap(), "older step");
        assert_eq!(s.recovery_codes_left(&user.id).await.unwrap(), 2);
        assert!(s.use_recovery_code(&user.id, "h1", 5).await.unwrap());
        assert!(
            !s.use_recovery_code(&user.id, "h1", 6).await.unwrap(),
            "{}",
            db.name
        );
        assert!(!s.use_recovery_code(&user.id, "nope", 6).await.unwrap());
        assert_eq!(s.recovery_codes_left(&user.id).await.unwrap(), 1);

        // Enrolling again replaces the secret and every recovery code.
        s.confirm_totp(totp(&user.id, 20), vec!["h3".into()])
            .await
            .unwrap();
        assert_eq!(s.recovery_codes_left(&user.id).await.unwrap(), 1);
        assert!(!s.use_recovery_code(&user.id, "h2", 7).await.unwrap());
        assert!(s.delete_totp(&user.id).await.unwrap());
        assert_eq!(s.recovery_codes_left(&user.id).await.unwrap(), 0);
        db.finish().await;
    }
}

/// G.5: of concurrent uses of one TOTP step, exactly one wins.
#[tokio::test]
async fn concurrent_uses_of_one_totp_step_have_one_winner() {
    for db in test_dbs().await {
        let s: Arc<dyn Store> = Arc::new(db.store.clone());
        let user = s.create_user(new_user("race")).await.unwrap();
        s.confirm_totp(totp(&user.id, 1), Vec::new()).await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (s, id) = (s.clone(), user.id.clone());
                tokio::spawn(async move { s.use_totp_step(&id, 2).await.unwrap() })
            })
            .collect();
        let mut winners = 0;
        for t in tasks {
            winners += usize::from(t.await.unwrap());
        }
        assert_eq!(winners, 1, "{}", db.name);
        db.finish().await;
    }
}

/// Passkeys are listed per user, updated after use, removed one by one or all with the user's
/// factors (`portcullis user mfa-reset`), and go with the user.
#[tokio::test]
async fn passkeys_belong_to_their_user() {
    for db in test_dbs().await {
        let s = &db.store;
        let alice = s.create_user(new_user("alice2")).await.unwrap();
        let bob = s.create_user(new_user("bob2")).await.unwrap();
        s.add_passkey(passkey("k2", &alice.id, 2)).await.unwrap();
        s.add_passkey(passkey("k1", &alice.id, 1)).await.unwrap();
        s.add_passkey(passkey("k3", &bob.id, 1)).await.unwrap();
        assert!(matches!(
            s.add_passkey(passkey("k3", &alice.id, 3)).await,
            Err(StorageError::Conflict(_))
        ));
        let ids: Vec<String> = s
            .passkeys(&alice.id)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids, ["k1", "k2"], "{}", db.name);
        assert!(s.update_passkey("k1", "{\"n\":1}", 50).await.unwrap());
        let k1 = s.passkey_by_id("k1").await.unwrap().unwrap();
        assert_eq!((k1.passkey.as_str(), k1.last_used_at), ("{\"n\":1}", Some(50)));
        assert!(!s.delete_passkey(&bob.id, "k1").await.unwrap(), "not bob's");
        assert!(s.delete_passkey(&alice.id, "k2").await.unwrap());
        s.confirm_totp(totp(&alice.id, 1), vec!["h".into()])
            .await
            .unwrap();
        assert_eq!(s.reset_mfa(&alice.id).await.unwrap(), 3, "{}", db.name);
        assert!(s.passkeys(&alice.id).await.unwrap().is_empty());
        assert!(s.totp(&alice.id).await.unwrap().is_none());
        assert!(s.delete_user(&bob.id).await.unwrap());
        assert!(
            s.passkey_by_id("k3").await.unwrap().is_none(),
            "gone with the user"
        );
        db.finish().await;
    }
}
