//! docs/guides/gateway.md: the guide's gateway code is `examples/gateway_keys.rs` word for word, and
//! it does what the guide says against a live Portcullis: keys by `kid`, one fetch for an unknown
//! `kid` and at most one a minute, and claims forwarded without the caller's own `x-auth-*` headers.

use std::cell::Cell;
use std::time::{Duration, SystemTime};

use crate::helpers::*;
use crate::resource_server::verify_example::{Expected, verify_access_token};

/// The example gateway code of the guide, compiled into the tests as it is.
#[allow(dead_code)]
#[path = "../../examples/gateway_keys.rs"]
mod gateway_code;

use gateway_code::{KeyCache, REFETCH_INTERVAL, forwarded_headers};

const GUIDE: &str = include_str!("../../docs/guides/gateway.md");
const EXAMPLE: &str = include_str!("../../examples/gateway_keys.rs");

/// The guide shows the example verbatim: the first ```rust block after the marker line.
#[test]
fn gateway_guide_shows_the_example_verbatim() {
    let marker = "<!-- examples/gateway_keys.rs -->";
    let (_, after) = GUIDE.split_once(marker).expect("the marker in the guide");
    let block = after
        .trim_start()
        .strip_prefix("```rust\n")
        .expect("a rust block after the marker");
    let (code, _) = block.split_once("\n```\n").expect("the end of the block");
    assert_eq!(
        format!("{code}\n"),
        EXAMPLE,
        "docs/guides/gateway.md and the example differ"
    );
}

/// RFC 7517 §4.5 / RFC 9068 §4: the issuer's keys found by `kid` after one fetch; an unknown `kid`
/// fetches again, but not twice within [`REFETCH_INTERVAL`]; a token verified with the cached set
/// is forwarded with its claims as headers, and the caller's `x-auth-*` headers are dropped.
#[tokio::test]
async fn gateway_example_caches_keys_by_kid_and_forwards_verified_claims() {
    let app = spawn_app().await;
    let jwks = app
        .api
        .get(app.url("/jwks"))
        .send()
        .await
        .expect("jwks")
        .bytes()
        .await
        .expect("body")
        .to_vec();
    let token = client_token(&app).await;
    let kid = jwt_part(&token, 0)["kid"].as_str().expect("kid").to_string();

    let fetches = Cell::new(0);
    let mut cache = KeyCache::new(|| {
        fetches.set(fetches.get() + 1);
        Ok(jwks.clone())
    });
    let t0 = SystemTime::now();
    let set = cache
        .jwks_for(&kid, t0)
        .expect("fetch")
        .expect("the kid is published")
        .to_vec();
    assert_eq!(fetches.get(), 1);
    assert!(cache.jwks_for(&kid, t0).expect("cached").is_some());
    assert_eq!(fetches.get(), 1, "a known kid needs no fetch");

    assert!(
        cache
            .jwks_for("rotated-key", t0 + Duration::from_secs(1))
            .expect("ok")
            .is_none()
    );
    assert!(
        cache
            .jwks_for("rotated-key", t0 + Duration::from_secs(30))
            .expect("ok")
            .is_none()
    );
    assert_eq!(fetches.get(), 1, "no fetch within a minute of the last");
    let later = t0 + REFETCH_INTERVAL + Duration::from_secs(1);
    assert!(cache.jwks_for("rotated-key", later).expect("ok").is_none());
    assert_eq!(fetches.get(), 2, "an unknown kid fetches again after a minute");

    let audience = app.state.settings.issuer.clone();
    let expected = Expected {
        issuer: &app.state.settings.issuer,
        audience: &audience,
        scope: Some("api:read"),
    };
    let claims = verify_access_token(&token, &set, &expected, SystemTime::now()).expect("valid");
    let incoming = vec![
        ("accept".to_string(), "application/json".to_string()),
        ("X-Auth-Subject".to_string(), "admin".to_string()),
    ];
    let headers = forwarded_headers(&incoming, &claims);
    let get = |name: &str| {
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        get("x-auth-subject"),
        [CONFIDENTIAL_ID],
        "the caller's own header is dropped"
    );
    assert_eq!(get("x-auth-client"), [CONFIDENTIAL_ID]);
    assert_eq!(get("x-auth-scope"), ["api:read"]);
    assert_eq!(get("x-auth-audience"), [audience.as_str()]);
    assert_eq!(get("accept"), ["application/json"]);
}
