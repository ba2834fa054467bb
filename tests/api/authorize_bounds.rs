//! docs/security.md A.7: what unauthenticated authorization requests can make the server keep is
//! bounded: per-address rate limit, bounded `state`, `nonce` and hints, and a short life for a
//! pending request until its login form is submitted.

use std::time::Duration;

use crate::authorize::{assert_error_page, assert_login_page, assert_redirect_error, redirect_params};
use crate::helpers::*;

/// A.7: past `rate_limit.authorize_per_ip` requests in a window, `/authorize` answers the error
/// page with 429 and `Retry-After` (never a redirect), until the window ends.
#[tokio::test]
async fn authorize_is_rate_limited_per_address_with_429_and_retry_after() {
    let app = spawn_app_with(|s| s.rate_limit.authorize_per_ip = 3).await;
    let (_, challenge) = pkce_pair();
    let request = app.code_request("st", "n", &challenge, "openid");
    // Start at the beginning of a window, so that the three fit in one.
    let now = app.clock.now();
    app.clock
        .advance(Duration::from_secs((60 - now.rem_euclid(60)) as u64));
    for _ in 0..3 {
        assert_login_page(app.authorize(&request).await).await;
    }
    let res = app.authorize(&request).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("location").is_none());
    let retry_after: u64 = header(&res, "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After: {retry_after}");
    assert!(header(&res, "content-type").starts_with("text/html"));
    assert!(res.text().await.unwrap().contains("Too many requests"));

    app.clock.advance(Duration::from_secs(retry_after));
    assert_login_page(app.authorize(&request).await).await;
}

/// A.7, A.3: `state` over 2 KiB, `nonce` or `login_hint` over 1 KiB, or `id_token_hint` over 4 KiB
/// is `invalid_request` back to the registered redirect URI (without the over-long `state`); with an
/// unknown client it is the error page.
#[tokio::test]
async fn over_long_state_nonce_and_hints_are_invalid_request_by_redirect() {
    let app = spawn_app().await;
    let (_, challenge) = pkce_pair();
    let long = |n: usize| "x".repeat(n);
    let at_limit = [
        ("nonce", long(1024)),
        ("login_hint", long(1024)),
        ("state", long(2048)),
    ];
    let mut request = app.code_request("st", "n", &challenge, "openid");
    request.retain(|(k, _)| !["nonce", "state"].contains(k));
    let mut ok = request.clone();
    ok.extend(at_limit.iter().map(|(k, v)| (*k, v.as_str())));
    assert_login_page(app.authorize(&ok).await).await;

    for (name, len) in [("nonce", 1025), ("login_hint", 1025), ("id_token_hint", 4097)] {
        let value = long(len);
        let mut bad = request.clone();
        bad.extend([("state", "st"), (name, value.as_str())]);
        let res = app.authorize(&bad).await;
        assert_redirect_error(&app, &res, REDIRECT_URI, "invalid_request", "st");
    }

    let state = long(2049);
    let mut bad = request.clone();
    bad.push(("state", &state));
    let params = redirect_params(&app.authorize(&bad).await, REDIRECT_URI);
    assert_eq!(param(&params, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&params, "state"), None, "an over-long state is not echoed");

    bad.retain(|(k, _)| *k != "client_id");
    bad.push(("client_id", "no-such-client"));
    assert_error_page(app.authorize(&bad).await, "invalid_request").await;
}

/// A.7: a pending request nobody answers is gone after `tokens.auth_request_first_ttl_secs`; once
/// its login form is submitted (even with a wrong password) it waits `tokens.auth_request_ttl_secs`.
#[tokio::test]
async fn pending_request_is_short_lived_until_its_login_form_is_submitted() {
    let app = spawn_app().await;
    let first = app.state.settings.tokens.auth_request_first_ttl_secs;
    let full = app.state.settings.tokens.auth_request_ttl_secs;
    assert!(first + 120 < full);
    let (_, challenge) = pkce_pair();
    let request = app.code_request("st", "n", &challenge, "openid");

    let page = assert_login_page(app.authorize(&request).await).await;
    app.clock.advance(Duration::from_secs(first + 1));
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert_error_page(res, "invalid_request").await;

    let page = assert_login_page(app.authorize(&request).await).await;
    app.clock.advance(Duration::from_secs(first - 30));
    let res = app.submit_login(&page, USERNAME, "not the password").await;
    assert_eq!(res.status(), 401);
    let page = res.text().await.unwrap();
    app.clock.advance(Duration::from_secs(first + 60));
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    assert!(
        param(&redirect_params(&res, REDIRECT_URI), "code").is_some(),
        "kept past the first lifetime once its login form was submitted"
    );
}
