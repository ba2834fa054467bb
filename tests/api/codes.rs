//! docs/security.md B: authorization codes and PKCE (RFC 6749 §4.1.3, §10.5, RFC 7636 §4.5-4.6,
//! RFC 9700 §2.1.1, conformance `oidcc-codereuse-30seconds`).

use crate::authorize::{assert_login_page, redirect_params, spa_request, token_error};
use crate::helpers::*;

/// B.7: a code works exactly once.
#[tokio::test]
async fn authorization_code_is_single_use() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid").await;
    let tokens = app.exchange(&code, &verifier).await;
    assert!(tokens["access_token"].is_string());

    let res = exchange_raw(&app, &code, Some(REDIRECT_URI), Some(&verifier)).await;
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));
}

/// B.8: the second use of a code is `invalid_grant` and revokes the access and refresh tokens the
/// first use issued.
#[tokio::test]
async fn reused_authorization_code_revokes_tokens_issued_from_it() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    let tokens = app.exchange(&code, &verifier).await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(app.introspect(&access).await["active"], true);
    assert_eq!(app.introspect(&refresh).await["active"], true);

    let res = exchange_raw(&app, &code, Some(REDIRECT_URI), Some(&verifier)).await;
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));

    assert_eq!(
        app.introspect(&access).await["active"],
        false,
        "access token revoked"
    );
    assert_eq!(
        app.introspect(&refresh).await["active"],
        false,
        "refresh token revoked"
    );
    let res = app
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .await;
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));
    let res = app
        .api
        .get(app.url("/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "userinfo refuses the revoked access token");
}

/// B.8: 20 concurrent redemptions of one code: at most one succeeds, none is a 5xx, and afterwards
/// no refresh token from the code works and no access token from it validates, even when a reuse
/// lands between the first redemption's consume and the creation of its family.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redemptions_of_one_code_leave_no_live_token() {
    let app = spawn_app().await;
    for round in 0..5 {
        let (code, verifier) = app.login_for_code("openid offline_access").await;
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (api, url, secret) = (app.api.clone(), app.url("/token"), app.client_secret.clone());
            let (code, verifier) = (code.clone(), verifier.clone());
            tasks.push(tokio::spawn(async move {
                let res = api
                    .post(url)
                    .basic_auth(CONFIDENTIAL_ID, Some(secret))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code.as_str()),
                        ("redirect_uri", REDIRECT_URI),
                        ("code_verifier", verifier.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                (status, res.json::<serde_json::Value>().await.unwrap())
            }));
        }
        let mut issued = Vec::new();
        for task in tasks {
            let (status, body) = task.await.unwrap();
            match status {
                200 => issued.push(body),
                400 => assert_eq!(body["error"], "invalid_grant", "{body}"),
                _ => panic!("round {round}: {status} {body}"),
            }
        }
        assert!(
            issued.len() <= 1,
            "round {round}: {} redemptions succeeded",
            issued.len()
        );
        for body in &issued {
            let access = body["access_token"].as_str().unwrap();
            let refresh = body["refresh_token"].as_str().unwrap();
            assert_eq!(app.introspect(access).await["active"], false, "round {round}");
            assert_eq!(app.introspect(refresh).await["active"], false, "round {round}");
            let res = app
                .token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
                .await;
            assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));
        }
    }
}

/// B.7: a code expires (`code_ttl_secs`).
#[tokio::test]
async fn expired_authorization_code_is_refused() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid").await;
    let ttl = app.state.settings.tokens.code_ttl_secs;
    app.clock.advance(std::time::Duration::from_secs(ttl + 1));
    let res = exchange_raw(&app, &code, Some(REDIRECT_URI), Some(&verifier)).await;
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));
}

/// B.7: a code is bound to the client it was issued to.
#[tokio::test]
async fn authorization_code_is_bound_to_its_client() {
    let app = spawn_app().await;
    // Another confidential client (partner has the same secret in the test setup).
    let (code, verifier) = app.login_for_code("openid").await;
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(THIRD_PARTY_ID, Some(&app.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));

    // A public client.
    let (code, verifier) = app.login_for_code("openid").await;
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC_ID),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));
}

/// B.10: the token request's redirect_uri must equal the authorization request's, and must be
/// repeated when it was sent.
#[tokio::test]
async fn redirect_uri_at_token_endpoint_must_match_authorization_request() {
    let app = spawn_app().await;
    let (code, verifier) = app.login_for_code("openid").await;
    let res = exchange_raw(
        &app,
        &code,
        Some("https://app.example.com/other"),
        Some(&verifier),
    )
    .await;
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));

    let (code, verifier) = app.login_for_code("openid").await;
    let res = exchange_raw(&app, &code, Some("https://app.example.com/cb/"), Some(&verifier)).await;
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));

    let (code, verifier) = app.login_for_code("openid").await;
    let res = exchange_raw(&app, &code, None, Some(&verifier)).await;
    assert_eq!(token_error(res).await, (400, "invalid_request".to_string()));

    // The loopback port leniency does not extend to the token endpoint: the exact URI is required.
    let (verifier, challenge) = pkce_pair();
    let used = "http://127.0.0.1:51234/callback";
    let res = app.authorize(&spa_request(used, &challenge)).await;
    let params = redirect_params(&res, used);
    let code = param(&params, "code").unwrap();
    let res = spa_exchange(&app, &code, SPA_REDIRECT, &verifier).await;
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));
}

/// B.9, RFC 7636 §4.6: a wrong verifier is `invalid_grant`.
#[tokio::test]
async fn wrong_code_verifier_is_invalid_grant() {
    let app = spawn_app().await;
    let (code, _) = app.login_for_code("openid").await;
    let (other_verifier, _) = pkce_pair();
    let res = exchange_raw(&app, &code, Some(REDIRECT_URI), Some(&other_verifier)).await;
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));

    // For a public client as well.
    let (_, challenge) = pkce_pair();
    let res = app.authorize(&spa_request(SPA_REDIRECT, &challenge)).await;
    let code = param(&redirect_params(&res, SPA_REDIRECT), "code").unwrap();
    let res = spa_exchange(&app, &code, SPA_REDIRECT, &other_verifier).await;
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));
}

/// B.9: a code issued with a challenge needs the verifier.
#[tokio::test]
async fn missing_code_verifier_is_invalid_grant() {
    let app = spawn_app().await;
    let (code, _) = app.login_for_code("openid").await;
    let res = exchange_raw(&app, &code, Some(REDIRECT_URI), None).await;
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));
}

/// B.9, RFC 9700 §2.1.1: a verifier sent for a code issued without a challenge is refused (PKCE
/// downgrade).
#[tokio::test]
async fn code_verifier_for_code_issued_without_challenge_is_refused() {
    let app = spawn_app().await;
    let request = [
        ("response_type", "code"),
        ("client_id", CONFIDENTIAL_ID),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("state", "st"),
    ];
    let res = app.authorize(&request).await;
    let page = assert_login_page(res).await;
    let res = app.submit_login(&page, USERNAME, PASSWORD).await;
    let code = param(&redirect_params(&res, REDIRECT_URI), "code").unwrap();
    let (verifier, _) = pkce_pair();
    let res = exchange_raw(&app, &code, Some(REDIRECT_URI), Some(&verifier)).await;
    assert_eq!(token_error(res).await, (400, "invalid_grant".to_string()));

    // Control: such a code without a verifier is fine for a confidential client.
    let res = app.authorize(&request).await;
    let code = param(&redirect_params(&res, REDIRECT_URI), "code").unwrap();
    let res = exchange_raw(&app, &code, Some(REDIRECT_URI), None).await;
    assert_eq!(res.status(), 200);
}

/// B.9, RFC 7636 §4.1: a verifier shorter than 43 characters, or with characters outside the
/// unreserved set, is refused.
#[tokio::test]
async fn malformed_code_verifier_is_refused() {
    let app = spawn_app().await;
    for bad in [
        "short-verifier",
        &format!("{}+/", "a".repeat(43)),
        &"a".repeat(129),
    ] {
        let (code, _) = app.login_for_code("openid").await;
        let res = exchange_raw(&app, &code, Some(REDIRECT_URI), Some(bad)).await;
        assert_eq!(
            token_error(res).await,
            (400, "invalid_request".to_string()),
            "{bad}"
        );
    }
    // A plain-method challenge equal to a short verifier cannot even be requested (plain is off),
    // and an S256 challenge computed from a short verifier still refuses the short verifier.
    use base64::Engine;
    use sha2::Digest;
    let short = "abc";
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(short.as_bytes()));
    let request = app.code_request("st", "n", &challenge, "openid");
    let res = app.authorize(&request).await;
    let code = param(&redirect_params(&res, REDIRECT_URI), "code").unwrap();
    let res = exchange_raw(&app, &code, Some(REDIRECT_URI), Some(short)).await;
    assert_eq!(token_error(res).await, (400, "invalid_request".to_string()));
}

// support

/// POST /token for the web-app with optional redirect_uri and code_verifier.
async fn exchange_raw(
    app: &TestApp,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("grant_type", "authorization_code"), ("code", code)];
    if let Some(r) = redirect_uri {
        form.push(("redirect_uri", r));
    }
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    app.token(&form).await
}

async fn spa_exchange(app: &TestApp, code: &str, redirect_uri: &str, verifier: &str) -> reqwest::Response {
    app.api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC_ID),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
}
