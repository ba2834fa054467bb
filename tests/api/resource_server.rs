//! docs/guides/resource-server.md: the guide's verification code is `examples/verify_access_token.rs`
//! word for word, and it does what the guide says against a live Portcullis: a token for the API
//! passes; another audience, an ID token (`typ`), an expired token and a missing scope do not.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::apis::{CALENDAR, GALLERY, PHOTOS, ok_json, setup, token_as};
use crate::helpers::*;

/// The example API code of the guide, compiled into the tests as it is.
#[allow(dead_code)]
#[path = "../../examples/verify_access_token.rs"]
pub(crate) mod verify_example;

use verify_example::{Expected, verify_access_token};

const GUIDE: &str = include_str!("../../docs/guides/resource-server.md");
const EXAMPLE: &str = include_str!("../../examples/verify_access_token.rs");

/// The guide shows the example file verbatim: the first ```rust block after the marker line.
#[test]
fn guide_shows_the_example_verbatim() {
    let marker = "<!-- examples/verify_access_token.rs -->";
    let (_, after) = GUIDE.split_once(marker).expect("the marker in the guide");
    let after = after.trim_start();
    let block = after
        .strip_prefix("```rust\n")
        .expect("a rust block after the marker");
    let (code, _) = block.split_once("\n```\n").expect("the end of the block");
    assert_eq!(
        format!("{code}\n"),
        EXAMPLE,
        "docs/guides/resource-server.md and the example differ"
    );
}

fn at(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs as u64)
}

/// J.3, RFC 9068 §4: the guide's checks against real tokens of a live server.
#[tokio::test]
async fn guide_verification_accepts_the_apis_tokens_and_refuses_the_rest() {
    let app = spawn_app().await;
    let secret = setup(&app).await;
    let jwks = app
        .api
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let issuer = app.state.settings.issuer.clone();
    let expected = |audience, scope| Expected {
        issuer: &issuer,
        audience,
        scope,
    };
    let now = at(app.clock.now());

    let cc = [
        ("grant_type", "client_credentials"),
        ("resource", PHOTOS),
        ("scope", "photos:read"),
    ];
    let body = ok_json(token_as(&app, GALLERY, &secret, &cc).await).await;
    let token = body["access_token"].as_str().unwrap();
    let claims = verify_access_token(token, &jwks, &expected(PHOTOS, Some("photos:read")), now).unwrap();
    assert_eq!(claims.claim("client_id"), Some(&Value::from(GALLERY)));

    let wrong_aud = verify_access_token(token, &jwks, &expected(CALENDAR, None), now);
    assert_eq!(wrong_aud.unwrap_err(), "not meant for this API (aud)");
    let scope = verify_access_token(token, &jwks, &expected(PHOTOS, Some("photos:write")), now);
    assert!(scope.unwrap_err().starts_with("insufficient_scope"));
    let ttl = body["expires_in"].as_i64().unwrap();
    let later = at(app.clock.now() + ttl + 61);
    let expired = verify_access_token(token, &jwks, &expected(PHOTOS, None), later);
    assert_eq!(expired.unwrap_err(), "expired");
    let other_issuer = Expected {
        issuer: "https://elsewhere.example",
        audience: PHOTOS,
        scope: None,
    };
    assert_eq!(
        verify_access_token(token, &jwks, &other_issuer, now).unwrap_err(),
        "wrong issuer"
    );

    // An ID token is signed by the same keys, for the client as audience: refused by `typ`.
    let (code, verifier) = app.login_for_code("openid").await;
    let tokens = app.exchange(&code, &verifier).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let wrong_typ = verify_access_token(id_token, &jwks, &expected(CONFIDENTIAL_ID, None), now);
    assert_eq!(wrong_typ.unwrap_err(), "not an access token (typ)");

    // A tampered token fails the signature.
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = b64(&serde_json::json!({"iss": issuer, "aud": PHOTOS, "exp": app.clock.now() + 600}));
    parts[1] = &forged;
    let tampered = parts.join(".");
    assert!(verify_access_token(&tampered, &jwks, &expected(PHOTOS, None), now).is_err());
}
