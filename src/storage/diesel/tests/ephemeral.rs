//! The SQL `Ephemeral` (docs/architecture.md, "State"): expiry, atomic take and consume, counters.

use std::sync::Arc;
use std::time::Duration;

use super::test_dbs;
use crate::storage::{Consumed, Ephemeral, Kind};

const MIN: Duration = Duration::from_secs(60);

#[tokio::test]
async fn put_get_take_and_namespaces() {
    for db in test_dbs().await {
        let e = db.ephemeral();
        e.put(Kind::Code, "k", "v1", MIN).await.unwrap();
        assert_eq!(e.get(Kind::Code, "k").await.unwrap().as_deref(), Some("v1"));
        assert_eq!(
            e.get(Kind::Csrf, "k").await.unwrap(),
            None,
            "kinds are separate namespaces"
        );
        e.put(Kind::Code, "k", "v2", MIN).await.unwrap();
        assert_eq!(
            e.get(Kind::Code, "k").await.unwrap().as_deref(),
            Some("v2"),
            "put replaces"
        );
        assert_eq!(e.take(Kind::Code, "k").await.unwrap().as_deref(), Some("v2"));
        assert_eq!(e.take(Kind::Code, "k").await.unwrap(), None);
        assert_eq!(e.get(Kind::Code, "k").await.unwrap(), None);

        e.put(Kind::Session, "s", "x", MIN).await.unwrap();
        e.delete(Kind::Session, "s").await.unwrap();
        e.delete(Kind::Session, "s").await.unwrap();
        assert_eq!(e.get(Kind::Session, "s").await.unwrap(), None);
        e.ping().await.unwrap();
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_takes_have_one_winner() {
    for db in test_dbs().await {
        let e = Arc::new(db.ephemeral());
        for round in 0..5 {
            let key = format!("code-{round}");
            e.put(Kind::Code, &key, "grant", MIN).await.unwrap();
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let (e, key) = (e.clone(), key.clone());
                    tokio::spawn(async move { e.take(Kind::Code, &key).await })
                })
                .collect();
            let mut winners = 0;
            for t in tasks {
                if t.await.unwrap().unwrap().is_some() {
                    winners += 1;
                }
            }
            assert_eq!(winners, 1, "{} round {round}", db.name);
        }
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn consume_first_then_again() {
    for db in test_dbs().await {
        let e = Arc::new(db.ephemeral());
        e.put(Kind::Code, "c", "grant", MIN).await.unwrap();
        assert_eq!(
            e.consume(Kind::Code, "c").await.unwrap(),
            Consumed::First("grant".into())
        );
        assert_eq!(
            e.consume(Kind::Code, "c").await.unwrap(),
            Consumed::Again("grant".into())
        );
        assert_eq!(
            e.get(Kind::Code, "c").await.unwrap().as_deref(),
            Some("grant"),
            "stays until TTL"
        );
        assert_eq!(e.consume(Kind::Code, "none").await.unwrap(), Consumed::Missing);

        e.put(Kind::Code, "race", "grant", MIN).await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let e = e.clone();
                tokio::spawn(async move { e.consume(Kind::Code, "race").await })
            })
            .collect();
        let mut firsts = 0;
        for t in tasks {
            match t.await.unwrap().unwrap() {
                Consumed::First(_) => firsts += 1,
                Consumed::Again(v) => assert_eq!(v, "grant"),
                Consumed::Missing => panic!("{}: missing", db.name),
            }
        }
        assert_eq!(firsts, 1, "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn entries_expire() {
    for db in test_dbs().await {
        let clock = crate::clock::Clock::fixed(crate::clock::Clock::system().now_ms());
        let e = db.ephemeral_at(clock.clone());
        // 1 ns rounds up to 1 s.
        e.put(Kind::Csrf, "short", "v", Duration::from_nanos(1))
            .await
            .unwrap();
        e.put(Kind::Code, "used", "v", Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(
            e.consume(Kind::Code, "used").await.unwrap(),
            Consumed::First("v".into())
        );
        e.put(Kind::Csrf, "long", "v", MIN).await.unwrap();
        clock.advance(Duration::from_secs(2));
        assert_eq!(e.get(Kind::Csrf, "short").await.unwrap(), None, "{}", db.name);
        assert_eq!(e.take(Kind::Csrf, "short").await.unwrap(), None);
        assert_eq!(e.consume(Kind::Code, "used").await.unwrap(), Consumed::Missing);
        assert_eq!(e.purge_expired().await.unwrap(), 2, "{}", db.name);
        assert_eq!(e.get(Kind::Csrf, "long").await.unwrap().as_deref(), Some("v"));
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn incr_counts_within_a_window() {
    for db in test_dbs().await {
        // A fixed clock, advanced by the test: with the real one, on a loaded machine, a 1 s window
        // could end between the first two calls (seen once on PostgreSQL + Redis).
        let clock = crate::clock::Clock::fixed(crate::clock::Clock::system().now_ms());
        let e = Arc::new(db.ephemeral_at(clock.clone()));
        assert_eq!(
            e.incr(Kind::RateLimit, "ip", Duration::from_secs(1))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            e.incr(Kind::RateLimit, "ip", Duration::from_secs(1))
                .await
                .unwrap(),
            2
        );
        assert_eq!(e.incr(Kind::RateLimit, "other", MIN).await.unwrap(), 1);
        clock.advance(Duration::from_secs(2));
        assert_eq!(
            e.incr(Kind::RateLimit, "ip", MIN).await.unwrap(),
            1,
            "{}: a new window",
            db.name
        );

        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let e = e.clone();
                tokio::spawn(async move { e.incr(Kind::RateLimit, "burst", MIN).await })
            })
            .collect();
        let mut seen = Vec::new();
        for t in tasks {
            seen.push(t.await.unwrap().unwrap());
        }
        seen.sort_unstable();
        assert_eq!(seen, (1..=10).collect::<Vec<u64>>(), "{}", db.name);
        db.finish().await;
    }
}
