//! docs/security.md D.22, OpenID RP-Initiated Logout 1.0: a verified `id_token_hint`, a registered
//! `post_logout_redirect_uri` or no redirect at all, `state` echoed, and the session really ends.

use crate::authorize::{SESSION_COOKIE, assert_error_page, has_session, redirect_params, set_cookie};
use crate::helpers::*;

/// D.22: a valid hint and a registered post-logout URI: 303 there with `state`; afterwards
/// `prompt=none` is `login_required`.
#[tokio::test]
async fn logout_with_valid_hint_redirects_to_registered_uri_with_state() {
    let app = spawn_app().await;
    let id_token = signed_in_id_token(&app).await;
    assert!(has_session(&app, &app.browser).await);

    let res = logout(
        &app,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", LOGOUT_REDIRECT),
            ("state", "bye-1"),
        ],
    )
    .await;
    let params = redirect_params(&res, LOGOUT_REDIRECT);
    assert_eq!(params, vec![("state".to_string(), "bye-1".to_string())]);
    let cleared = set_cookie(&res, SESSION_COOKIE).expect("session cookie cleared");
    assert!(cleared.starts_with(&format!("{SESSION_COOKIE}=;")), "{cleared}");

    assert!(
        !has_session(&app, &app.browser).await,
        "prompt=none after logout: login_required"
    );
}

/// D.22: a hint whose signature was modified is the error page: no redirect, no logout.
#[tokio::test]
async fn tampered_id_token_hint_is_refused_without_redirect() {
    let app = spawn_app().await;
    let id_token = signed_in_id_token(&app).await;
    let tampered = flip_signature_char(&id_token);

    let res = logout(
        &app,
        &[
            ("id_token_hint", &tampered),
            ("post_logout_redirect_uri", LOGOUT_REDIRECT),
            ("state", "bye"),
        ],
    )
    .await;
    assert!(
        set_cookie(&res, SESSION_COOKIE).is_none(),
        "the session cookie is kept"
    );
    assert_error_page(res, "invalid_request").await;
    assert!(has_session(&app, &app.browser).await, "still signed in");

    // An unsigned hint (alg none) with the same claims is refused as well.
    let mut parts = id_token.split('.');
    let _ = parts.next();
    let payload = parts.next().unwrap();
    let unsigned = format!("{}.{payload}.", b64(r#"{"alg":"none","typ":"JWT"}"#));
    let res = logout(
        &app,
        &[
            ("id_token_hint", &unsigned),
            ("post_logout_redirect_uri", LOGOUT_REDIRECT),
        ],
    )
    .await;
    assert_error_page(res, "invalid_request").await;
    assert!(has_session(&app, &app.browser).await, "still signed in");
}

/// D.22: a post_logout_redirect_uri not registered for the hinted client is the error page.
#[tokio::test]
async fn unregistered_post_logout_redirect_uri_is_never_redirected() {
    let app = spawn_app().await;
    let id_token = signed_in_id_token(&app).await;
    for bad in [
        "https://evil.example.com/logged-out",
        "https://app.example.com/logged-out/",
        "https://app.example.com/logged-out?x=1",
        REDIRECT_URI,
    ] {
        let res = logout(
            &app,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", bad),
                ("state", "s"),
            ],
        )
        .await;
        assert!(set_cookie(&res, SESSION_COOKIE).is_none(), "{bad}");
        assert_error_page(res, "invalid_request").await;
    }
    // Without any hint or client_id there is no client to check it against: refused too.
    let res = logout(&app, &[("post_logout_redirect_uri", LOGOUT_REDIRECT)]).await;
    assert_error_page(res, "invalid_request").await;
    assert!(has_session(&app, &app.browser).await, "still signed in");
}

/// D.22: without a hint a signed-in user confirms; only `decision=logout` ends the session.
#[tokio::test]
async fn logout_without_hint_asks_for_confirmation() {
    let app = spawn_app().await;
    let _ = signed_in_id_token(&app).await;

    let res = logout(&app, &[]).await;
    assert_eq!(res.status(), 200, "the confirmation page");
    assert!(res.headers().get("location").is_none());
    assert!(set_cookie(&res, SESSION_COOKIE).is_none());
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"action="/logout/confirm""#), "{page}");
    assert!(
        has_session(&app, &app.browser).await,
        "not signed out before confirming"
    );

    // Cancelling keeps the session (303 to the "still signed in" page, docs/security.md O.3).
    let res = confirm(&app, &page, "cancel").await;
    assert_eq!(res.status(), 303);
    assert!(set_cookie(&res, SESSION_COOKIE).is_none());
    assert!(
        has_session(&app, &app.browser).await,
        "still signed in after cancel"
    );

    // The confirmation form is bound to the browser: another browser cannot use it.
    let page = logout(&app, &[]).await.text().await.unwrap();
    let other = http_client(true);
    let form = [
        ("logout_id", hidden(&page, "logout_id")),
        ("csrf_token", hidden(&page, "csrf_token")),
        ("decision", "logout".to_string()),
    ];
    let res = other
        .post(app.url("/logout/confirm"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_error_page(res, "invalid_request").await;
    assert!(has_session(&app, &app.browser).await, "still signed in");

    let page = logout(&app, &[]).await.text().await.unwrap();
    let res = confirm(&app, &page, "logout").await;
    assert_eq!(
        res.status(),
        303,
        "to the signed-out page (no registered URI to go to; docs/security.md O.1)"
    );
    assert!(
        location(&res).starts_with("/logout/done?id="),
        "{}",
        location(&res)
    );
    let cleared = set_cookie(&res, SESSION_COOKIE).expect("session cookie cleared");
    assert!(cleared.starts_with(&format!("{SESSION_COOKIE}=;")), "{cleared}");
    assert!(!has_session(&app, &app.browser).await, "signed out");
}

/// D.22: an `id_token_hint` must be an ID token of one of our clients: an access token (`typ:
/// at+jwt`) or a token for an unknown audience is the error page at `/logout` and an error back to
/// the client at `/authorize`; an expired ID token is still a hint at `/logout`.
#[tokio::test]
async fn id_token_hint_must_be_an_id_token_of_one_of_our_clients() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid").await;
    let tokens = app.exchange(&code, &verifier).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let mut claims = jwt_part(id_token, 1).as_object().unwrap().clone();
    claims.insert("aud".into(), "no-such-client".into());
    let ctx = app.ctx();
    let foreign_aud = ctx.keys.sign(ctx.default_alg, None, &claims).unwrap();

    for hint in [access_token, foreign_aud.as_str()] {
        let res = logout(
            &app,
            &[
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", LOGOUT_REDIRECT),
            ],
        )
        .await;
        assert!(set_cookie(&res, SESSION_COOKIE).is_none());
        assert_error_page(res, "invalid_request").await;
        assert!(has_session(&app, &app.browser).await, "still signed in");

        let (_, challenge) = pkce_pair();
        let mut request = app.code_request("st-h", "n", &challenge, "openid");
        request.push(("id_token_hint", hint));
        let res = app.authorize(&request).await;
        crate::authorize::assert_redirect_error(&app, &res, REDIRECT_URI, "invalid_request", "st-h");
    }

    // Expired, the ID token is still a hint for logout (RP-Initiated Logout 1.0 §2).
    let ttl = app.state.settings.tokens.id_token_ttl_secs;
    app.clock.advance(std::time::Duration::from_secs(ttl + 60));
    let res = logout(
        &app,
        &[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", LOGOUT_REDIRECT),
        ],
    )
    .await;
    redirect_params(&res, LOGOUT_REDIRECT);
    assert!(!has_session(&app, &app.browser).await, "signed out");
}

// support

/// Signs alice in (web-app) and returns the ID token of that login.
async fn signed_in_id_token(app: &TestApp) -> String {
    let (code, verifier) = app.login_for_code("openid").await;
    let tokens = app.exchange(&code, &verifier).await;
    tokens["id_token"].as_str().unwrap().to_string()
}

async fn logout(app: &TestApp, params: &[(&str, &str)]) -> reqwest::Response {
    app.browser
        .get(app.url("/logout"))
        .query(params)
        .send()
        .await
        .unwrap()
}

async fn confirm(app: &TestApp, page: &str, decision: &str) -> reqwest::Response {
    let form = [
        ("logout_id", hidden(page, "logout_id")),
        ("csrf_token", hidden(page, "csrf_token")),
        ("decision", decision.to_string()),
    ];
    app.browser
        .post(app.url("/logout/confirm"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Changes one character in the middle of the JWS signature.
fn flip_signature_char(jwt: &str) -> String {
    let sig_start = jwt.rfind('.').unwrap() + 1;
    let at = sig_start + (jwt.len() - sig_start) / 2;
    let mut bytes = jwt.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}
