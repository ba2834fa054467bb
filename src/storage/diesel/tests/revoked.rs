//! Revoked access-token ids (RFC 7009 §2.1, docs/security.md C.18, E.30).

use std::sync::Arc;

use super::test_dbs;
use crate::storage::*;

/// E.30: a revocation is a row; rows are numbered in order, a repeated revocation changes nothing,
/// and the newest row survives the purge so that numbers are never given twice.
#[tokio::test]
async fn revocations_are_numbered_in_order_and_numbers_are_never_reused() {
    for db in test_dbs().await {
        let s = &db.store;
        s.revoke_token("a", 1_100, 1_000).await.unwrap();
        s.revoke_token("b", 1_200, 1_001).await.unwrap();
        s.revoke_token("a", 9_999, 1_002).await.unwrap();
        let rows = s.revoked_after(0, 10).await.unwrap();
        let seen: Vec<_> = rows
            .iter()
            .map(|r| (r.jti.as_str(), r.expires_at, r.seq))
            .collect();
        assert_eq!(seen, [("a", 1_100, 1), ("b", 1_200, 2)], "{}", db.name);
        assert_eq!(s.revoked_after(1, 10).await.unwrap().len(), 1);
        assert_eq!(s.revoked_after(0, 1).await.unwrap().len(), 1, "limit");

        assert!(s.is_token_revoked("a", 1_099).await.unwrap());
        assert!(
            !s.is_token_revoked("a", 1_100).await.unwrap(),
            "expired with its token"
        );
        assert!(!s.is_token_revoked("c", 1_000).await.unwrap());

        // Both expired: the older goes, the newest stays and numbers the next.
        assert_eq!(s.purge_revoked_tokens(5_000).await.unwrap(), 1, "{}", db.name);
        assert_eq!(s.purge_revoked_tokens(5_000).await.unwrap(), 0);
        s.revoke_token("c", 9_000, 5_000).await.unwrap();
        let rows = s.revoked_after(2, 10).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].jti.as_str(), rows[0].seq), ("c", 3), "{}", db.name);
        db.finish().await;
    }
}

/// E.30: concurrent revocations on many connections get distinct numbers, and a reader that follows
/// the watermark sees every one of them exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_revocations_get_distinct_numbers_in_commit_order() {
    for db in test_dbs().await {
        let store = Arc::new(db.store.clone());
        let reader = {
            let store = store.clone();
            tokio::spawn(async move {
                let (mut watermark, mut seen) = (0, Vec::new());
                while seen.len() < 40 {
                    for row in store.revoked_after(watermark, 7).await.unwrap() {
                        assert!(row.seq > watermark, "numbers only grow");
                        watermark = row.seq;
                        seen.push(row.jti);
                    }
                    tokio::task::yield_now().await;
                }
                seen
            })
        };
        let mut tasks = Vec::new();
        for i in 0..40 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.revoke_token(&format!("jti-{i}"), 9_000, 1_000).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let mut seen = tokio::time::timeout(std::time::Duration::from_secs(20), reader)
            .await
            .expect("the reader saw every revocation")
            .unwrap();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 40, "{}", db.name);
        let seqs: Vec<_> = store
            .revoked_after(0, 100)
            .await
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect();
        assert_eq!(seqs, (1..=40).collect::<Vec<_>>(), "{}", db.name);
        db.finish().await;
    }
}
