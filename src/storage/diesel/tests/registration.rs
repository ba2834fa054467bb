//! Clients that register themselves (docs/security.md K.2, K.3), on SQLite and, when configured,
//! PostgreSQL: initial access tokens counted atomically, whole-client updates and upserts.

use std::sync::Arc;

use super::{client, test_dbs};
use crate::storage::*;

fn token(hash: &str, expires_at: Option<i64>, max_uses: Option<i64>) -> RegistrationToken {
    RegistrationToken {
        token_hash: hash.into(),
        created_at: 1_700_000_000,
        expires_at,
        max_uses,
        uses: 0,
    }
}

/// K.2: of many concurrent uses of a token with three uses, exactly three succeed; an expired or
/// unknown token never does.
#[tokio::test]
async fn initial_access_tokens_are_used_at_most_max_uses_times() {
    for db in test_dbs().await {
        let s = Arc::new(db.store.clone());
        s.create_registration_token(token("three", None, Some(3)))
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.use_registration_token("three", 1_700_000_010).await.unwrap()
            }));
        }
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.unwrap());
        }
        assert_eq!(ok, 3, "{}", db.name);
        s.create_registration_token(token("soon", Some(1_700_000_100), None))
            .await
            .unwrap();
        assert!(s.use_registration_token("soon", 1_700_000_099).await.unwrap());
        assert!(!s.use_registration_token("soon", 1_700_000_100).await.unwrap());
        assert!(!s.use_registration_token("nope", 1_700_000_000).await.unwrap());
        drop(s);
        db.finish().await;
    }
}

/// RFC 7592 §2.2 and metadata documents: an update replaces every property but `created_at`; an
/// upsert inserts a new client or updates an existing one, keeping its consents.
#[tokio::test]
async fn clients_are_updated_and_upserted_whole() {
    for db in test_dbs().await {
        let s = &db.store;
        let mut c = client("dyn", "Dynamic");
        c.registration.source = ClientSource::Dynamic;
        c.registration.access_token_hash = Some("digest".into());
        s.create_client(c.clone()).await.unwrap();
        let mut changed = c.clone();
        changed.name = "Renamed".into();
        changed.redirect_uris = vec!["https://new.example/cb".into()];
        changed.registration.keys = Some(ClientKeys::JwksUri("https://new.example/jwks".into()));
        changed.created_at = 42;
        assert!(s.update_client(changed.clone()).await.unwrap());
        let got = s.client_by_id("dyn").await.unwrap().unwrap();
        assert_eq!(
            got,
            Client {
                created_at: c.created_at,
                ..changed.clone()
            },
            "{}",
            db.name
        );
        assert!(!s.update_client(client("ghost", "Ghost")).await.unwrap());

        let mut doc = client("https://agent.example/c.json", "Agent");
        doc.registration.source = ClientSource::MetadataDocument;
        doc.registration.refresh_at = Some(1_700_000_300);
        s.upsert_client(doc.clone()).await.unwrap();
        assert_eq!(s.client_by_id(&doc.client_id).await.unwrap().unwrap(), doc);
        doc.name = "Agent 2".into();
        s.upsert_client(doc.clone()).await.unwrap();
        assert_eq!(
            s.client_by_id(&doc.client_id).await.unwrap().unwrap().name,
            "Agent 2"
        );
        db.finish().await;
    }
}
