//! The token endpoint (docs/security.md C.14, C.15, C.17; RFC 6749 §4.3, §4.4, §5): the password and
//! client_credentials grants, the shape of access tokens, grant_type errors and caching headers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis::keys::Alg;
use portcullis::storage::{Client, GrantType};
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn password_grant_is_only_for_clients_that_list_it() {
    let app = spawn_app().await;
    // spa: a public client without the password grant.
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", PUBLIC_ID),
            ("username", USERNAME),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "unauthorized_client").await;
    // partner: confidential, authenticated, but it does not list the password grant.
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(THIRD_PARTY_ID, Some(&app.client_secret))
        .form(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn password_grant_issues_tokens_to_a_client_that_lists_it() {
    let app = spawn_app().await;
    let body = password_tokens(&app, "openid profile offline_access").await;
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["access_token"].is_string());
    assert!(body["refresh_token"].is_string());
    assert!(body["id_token"].is_string());
    assert_eq!(
        jwt_part(body["access_token"].as_str().unwrap(), 1)["sub"],
        app.user_id.as_str()
    );
}

#[tokio::test]
async fn password_grant_with_wrong_password_is_invalid_grant() {
    let app = spawn_app().await;
    let res = app
        .token(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", "not the password"),
        ])
        .await;
    error_body(res, 400, "invalid_grant").await;
    let res = app
        .token(&[
            ("grant_type", "password"),
            ("username", "nobody"),
            ("password", PASSWORD),
        ])
        .await;
    error_body(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn password_grant_locks_out_after_five_failures() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let res = app
            .token(&[
                ("grant_type", "password"),
                ("username", USERNAME),
                ("password", "wrong password"),
            ])
            .await;
        error_body(res, 400, "invalid_grant").await;
    }
    // The right password no longer helps while the account is locked.
    let res = app
        .token(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", PASSWORD),
        ])
        .await;
    error_body(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn client_credentials_grant_issues_a_token_for_the_client_itself() {
    let app = spawn_app().await;
    let res = app
        .token(&[("grant_type", "client_credentials"), ("scope", "api:read")])
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(
        body.get("refresh_token").is_none(),
        "no refresh token without a user: {body}"
    );
    assert!(
        body.get("id_token").is_none(),
        "no ID token without a user: {body}"
    );
    assert_eq!(body["scope"], "api:read");
    let claims = jwt_part(body["access_token"].as_str().unwrap(), 1);
    assert_eq!(
        claims["sub"], CONFIDENTIAL_ID,
        "RFC 9068 §2.2: sub is the client_id"
    );
    assert_eq!(claims["client_id"], CONFIDENTIAL_ID);
}

#[tokio::test]
async fn client_credentials_grant_refuses_user_scopes() {
    let app = spawn_app().await;
    for scope in ["openid", "api:read openid", "offline_access"] {
        let res = app
            .token(&[("grant_type", "client_credentials"), ("scope", scope)])
            .await;
        error_body(res, 400, "invalid_scope").await;
    }
}

#[tokio::test]
async fn client_credentials_grant_refuses_public_clients() {
    let app = spawn_app().await;
    // spa does not list the grant.
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", PUBLIC_ID)])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "unauthorized_client").await;
    // A public client that (wrongly) lists it is refused all the same: it has no secret.
    let public = Client {
        client_id: "public-cc".into(),
        name: "Public CC".into(),
        secret_hash: None,
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        grant_types: vec![GrantType::ClientCredentials],
        scopes: portcullis::oauth::scope::Scope::from_tokens(["api:read"]),
        first_party: true,
        id_token_signed_response_alg: portcullis::keys::Alg::Rs256,
        access_token_alg: None,
        created_at: 0,
        resource_server: false,
        require_pushed_authorization_requests: false,
        require_mfa: false,
        groups: Default::default(),
        backchannel_logout: None,
        upstreams: Vec::new(),
        password_login: true,
        registration: Default::default(),
    };
    app.ctx().store.create_client(public).await.unwrap();
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "public-cc"),
            ("scope", "api:read"),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn access_tokens_are_es256_at_jwt_by_default_with_audience_expiry_and_jti() {
    let app = spawn_app().await;
    let body = password_tokens(&app, "openid api:read").await;
    let token = body["access_token"].as_str().unwrap();
    let header = jwt_part(token, 0);
    assert_eq!(header["typ"], "at+jwt", "RFC 9068 §2.1");
    assert_eq!(
        header["alg"], "ES256",
        "tokens.access_token_alg defaults to ES256"
    );
    let kid = header["kid"].as_str().expect("kid");
    let jwks: Value = app
        .api
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        jwks["keys"].as_array().unwrap().iter().any(|k| k["kid"] == kid),
        "kid is published"
    );

    let claims = jwt_part(token, 1);
    assert_eq!(claims["iss"], app.address.as_str());
    assert_eq!(claims["sub"], app.user_id.as_str());
    assert!(
        claims["aud"].is_string() && !claims["aud"].as_str().unwrap().is_empty(),
        "aud: {claims}"
    );
    assert_eq!(claims["client_id"], CONFIDENTIAL_ID);
    assert!(
        claims["jti"].as_str().is_some_and(|j| j.len() >= 16),
        "jti: {claims}"
    );
    let (iat, exp) = (claims["iat"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
    let now = app.clock.now();
    assert!((now - 5..=now + 5).contains(&iat));
    assert_eq!(exp - iat, body["expires_in"].as_i64().unwrap());
    assert!(exp > now);
    // A second token gets another jti.
    let other = password_tokens(&app, "openid api:read").await;
    assert_ne!(
        jwt_part(other["access_token"].as_str().unwrap(), 1)["jti"],
        claims["jti"]
    );
}

/// C.15 / OpenID Core §15.1: ID tokens stay RS256 by default while access tokens are ES256.
#[tokio::test]
async fn id_tokens_stay_rs256_by_default_while_access_tokens_are_es256() {
    let app = spawn_app().await;
    let body = password_tokens(&app, "openid").await;
    assert_eq!(jwt_part(body["id_token"].as_str().unwrap(), 0)["alg"], "RS256");
    assert_eq!(
        jwt_part(body["access_token"].as_str().unwrap(), 0)["alg"],
        "ES256"
    );
    // Both keys are published, and discovery lists exactly the algorithms that sign.
    let jwks: Value = app
        .api
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["alg"].as_str())
        .collect();
    assert!(algs.contains(&"RS256") && algs.contains(&"ES256"), "{jwks}");
}

/// C.15: a client's `access_token_alg` (`client add --access-token-alg`) overrides
/// `tokens.access_token_alg` for its tokens only; its userinfo and introspection still work.
#[tokio::test]
async fn a_clients_access_token_alg_overrides_the_server_default() {
    let app = spawn_app_with(|s| s.tokens.access_token_alg = Alg::EdDsa).await;
    assert_eq!(jwt_part(&client_token(&app).await, 0)["alg"], "EdDSA");
    let store = &app.ctx().store;
    let mut client = store.client_by_id(CONFIDENTIAL_ID).await.unwrap().unwrap();
    client.access_token_alg = Some(Alg::Rs256);
    assert!(store.update_client(client).await.unwrap());
    let token = client_token(&app).await;
    assert_eq!(jwt_part(&token, 0)["alg"], "RS256");
    assert_eq!(app.introspect(&token).await["active"], true);
    let body = password_tokens(&app, "openid").await;
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(jwt_part(access, 0)["alg"], "RS256");
    assert_eq!(get_userinfo(&app, access).await.status(), 200);
}

/// C.15 / J.3: a client asking for an algorithm the key ring has no active key for gets a
/// `server_error`, never a token silently signed with another algorithm.
#[tokio::test]
async fn a_client_alg_without_an_active_key_is_a_server_error_not_a_fallback() {
    let app = spawn_app().await;
    let store = &app.ctx().store;
    let mut client = store.client_by_id(CONFIDENTIAL_ID).await.unwrap().unwrap();
    client.access_token_alg = Some(Alg::EdDsa);
    assert!(store.update_client(client).await.unwrap());
    let res = app
        .token(&[("grant_type", "client_credentials"), ("scope", "api:read")])
        .await;
    error_body(res, 500, "server_error").await;
}

#[tokio::test]
async fn unsigned_and_hs256_access_tokens_are_refused() {
    let app = spawn_app().await;
    let body = password_tokens(&app, "openid profile").await;
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(
        get_userinfo(&app, token).await.status(),
        200,
        "the genuine token works"
    );
    let header = jwt_part(token, 0);
    let payload = token.split('.').nth(1).unwrap();

    // alg none, with and without the kid, with and without a signature.
    for alg in ["none", "None", "NONE"] {
        let mut h = header.clone();
        h["alg"] = alg.into();
        let forged = format!("{}.{payload}.", b64(&h));
        assert_invalid_token(get_userinfo(&app, &forged).await).await;
        let sig = token.rsplit('.').next().unwrap();
        let forged = format!("{}.{payload}.{sig}", b64(&h));
        assert_invalid_token(get_userinfo(&app, &forged).await).await;
    }
    // HS256 keyed with the public key (the classic algorithm confusion).
    let jwks: Value = app
        .api
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap()
        .clone();
    let mut h = header.clone();
    h["alg"] = "HS256".into();
    let signing_input = format!("{}.{payload}", b64(&h));
    for key in [
        jwk.to_string().into_bytes(),
        // The public key's own bytes: the RSA modulus, or the EC point's x (ES256 by default).
        URL_SAFE_NO_PAD
            .decode(jwk.get("n").or(jwk.get("x")).and_then(Value::as_str).unwrap())
            .unwrap(),
    ] {
        let signer = josekit::jws::HS256.signer_from_bytes(&key).unwrap();
        let sig = josekit::jws::JwsSigner::sign(&signer, signing_input.as_bytes()).unwrap();
        let forged = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig));
        assert_invalid_token(get_userinfo(&app, &forged).await).await;
        let introspected = app.introspect(&forged).await;
        assert_eq!(introspected, serde_json::json!({ "active": false }));
    }
    // A changed payload under the genuine signature.
    let mut claims = jwt_part(token, 1);
    claims["sub"] = "someone-else".into();
    let sig = token.rsplit('.').next().unwrap();
    let forged = format!("{}.{}.{sig}", token.split('.').next().unwrap(), b64(&claims));
    assert_invalid_token(get_userinfo(&app, &forged).await).await;
}

#[tokio::test]
async fn token_responses_are_never_cached() {
    let app = spawn_app().await;
    let ok = app.token(&[("grant_type", "client_credentials")]).await;
    assert_eq!(ok.status(), 200);
    assert_no_store(&ok);
    let bad_grant = app
        .token(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", "nope"),
        ])
        .await;
    assert_eq!(bad_grant.status(), 400);
    assert_no_store(&bad_grant);
    let bad_client = app
        .api
        .post(app.url("/token"))
        .basic_auth(CONFIDENTIAL_ID, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_client.status(), 401);
    assert_no_store(&bad_client);
}

#[tokio::test]
async fn unsupported_grant_type_is_rejected() {
    let app = spawn_app().await;
    for grant in [
        "implicit",
        "urn:ietf:params:oauth:grant-type:saml2-bearer",
        "PASSWORD",
        "token",
    ] {
        let res = app
            .token(&[
                ("grant_type", grant),
                ("username", USERNAME),
                ("password", PASSWORD),
            ])
            .await;
        error_body(res, 400, "unsupported_grant_type").await;
    }
}

#[tokio::test]
async fn missing_grant_type_is_invalid_request() {
    let app = spawn_app().await;
    let res = app.token(&[("username", USERNAME), ("password", PASSWORD)]).await;
    error_body(res, 400, "invalid_request").await;
    let res = app
        .token(&[("grant_type", ""), ("username", USERNAME), ("password", PASSWORD)])
        .await;
    error_body(res, 400, "invalid_request").await;
}
