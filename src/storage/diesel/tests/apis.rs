//! APIs and client API policies (docs/security.md J.4), on SQLite and, when configured, PostgreSQL.

use super::{client, test_dbs};
use crate::keys::Alg;
use crate::storage::*;

fn api(identifier: &str) -> Api {
    Api {
        identifier: identifier.into(),
        name: "Photos".into(),
        scopes: vec![
            ApiScope {
                name: "photos:read".into(),
                description: "See your photos".into(),
            },
            ApiScope {
                name: "photos:write".into(),
                description: "Change your photos".into(),
            },
        ],
        access_token_ttl_secs: Some(300),
        alg: Some(Alg::Es256),
        introspect_client: Some("backend".into()),
        created_at: 1_700_000_000,
    }
}

/// An API keeps its scopes, lifetime, algorithm and introspecting client; scopes change one at a
/// time; removing it removes the policies naming it.
#[tokio::test]
async fn apis_round_trip_with_their_scopes_and_policies() {
    for db in test_dbs().await {
        let s = &db.store;
        s.create_client(client("backend", "Backend")).await.unwrap();
        s.create_client(client("app", "App")).await.unwrap();
        let photos = api("https://photos.example/api");
        s.create_api(photos.clone()).await.unwrap();
        let again = s.create_api(photos.clone()).await;
        assert!(matches!(again, Err(StorageError::Conflict(_))), "{}", db.name);
        assert_eq!(
            s.api_by_identifier(&photos.identifier).await.unwrap(),
            Some(photos.clone())
        );
        assert!(
            s.api_by_identifier("https://other.example")
                .await
                .unwrap()
                .is_none()
        );
        let share = ApiScope {
            name: "photos:share".into(),
            description: "Share".into(),
        };
        assert!(s.put_api_scope(&photos.identifier, share).await.unwrap());
        assert!(
            s.delete_api_scope(&photos.identifier, "photos:write")
                .await
                .unwrap()
        );
        assert!(
            !s.delete_api_scope(&photos.identifier, "photos:write")
                .await
                .unwrap()
        );
        let listed = s.list_apis().await.unwrap();
        let names: Vec<&str> = listed[0].scopes.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["photos:read", "photos:share"], "{}", db.name);
        assert_eq!(
            s.apis_introspected_by("backend").await.unwrap(),
            vec![photos.identifier.clone()]
        );

        let policy = ClientApiPolicy {
            default_api: Some(photos.identifier.clone()),
            exchange_to: vec![photos.identifier.clone()],
        };
        s.set_client_api_policy("app", policy.clone()).await.unwrap();
        assert_eq!(s.client_api_policy("app").await.unwrap(), policy);
        assert!(s.delete_api(&photos.identifier).await.unwrap());
        assert_eq!(
            s.client_api_policy("app").await.unwrap(),
            ClientApiPolicy::default()
        );
        assert!(!s.delete_api(&photos.identifier).await.unwrap());
        db.finish().await;
    }
}

/// J.4: a removed client leaves no policy and introspects no API; one made later with its id
/// inherits nothing.
#[tokio::test]
async fn a_removed_client_leaves_no_api_policy() {
    for db in test_dbs().await {
        let s = &db.store;
        s.create_client(client("backend", "Backend")).await.unwrap();
        s.create_api(api("https://photos.example/api")).await.unwrap();
        let policy = ClientApiPolicy {
            default_api: Some("https://photos.example/api".into()),
            exchange_to: Vec::new(),
        };
        s.set_client_api_policy("backend", policy).await.unwrap();
        assert!(s.delete_client("backend").await.unwrap());
        s.create_client(client("backend", "Backend again")).await.unwrap();
        assert_eq!(
            s.client_api_policy("backend").await.unwrap(),
            ClientApiPolicy::default()
        );
        assert!(s.apis_introspected_by("backend").await.unwrap().is_empty());
        let kept = s
            .api_by_identifier("https://photos.example/api")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.introspect_client, None);
        db.finish().await;
    }
}
