//! RFC 9449 DPoP (docs/security.md F.2), with a client side written here with josekit: keys,
//! proofs, the code flow with PKCE, refresh, userinfo, introspection, revocation and nonces.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jwk::alg::ec::EcCurve;
use josekit::jws::{self, ES256, HS256, JwsHeader, JwsSigner};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::authorize::{redirect_params, spa_request};
use crate::helpers::*;

/// A client's DPoP key (ES256) and the proofs it makes.
struct DpopKey {
    private: Jwk,
}

/// What one proof claims; the defaults are a POST to /token now.
struct Claims<'a> {
    htm: &'a str,
    path: &'a str,
    access_token: Option<&'a str>,
    nonce: Option<&'a str>,
    iat_offset: i64,
}

impl Default for Claims<'_> {
    fn default() -> Self {
        Claims {
            htm: "POST",
            path: "/token",
            access_token: None,
            nonce: None,
            iat_offset: 0,
        }
    }
}

impl DpopKey {
    fn new() -> DpopKey {
        DpopKey {
            private: Jwk::generate_ec_key(EcCurve::P256).unwrap(),
        }
    }

    fn public(&self) -> Jwk {
        self.private.to_public_key().unwrap()
    }

    /// RFC 7638 thumbprint of the public key, computed on the client side.
    fn jkt(&self) -> String {
        let p = self.public();
        let m = |n: &str| p.parameter(n).and_then(Value::as_str).unwrap().to_string();
        let canonical = format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            m("crv"),
            m("x"),
            m("y")
        );
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// A proof for `app` as `c` says, signed with this key.
    fn proof(&self, app: &TestApp, c: Claims<'_>) -> String {
        let mut payload = json!({
            "jti": portcullis::random::random_id(),
            "htm": c.htm,
            "htu": format!("{}{}", app.address, c.path),
            "iat": app.clock.now() + c.iat_offset,
        });
        if let Some(token) = c.access_token {
            payload["ath"] = json!(URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes())));
        }
        if let Some(n) = c.nonce {
            payload["nonce"] = json!(n);
        }
        let signer = ES256.signer_from_jwk(&self.private).unwrap();
        self.sign(&signer, &self.public(), &payload)
    }

    fn sign(&self, signer: &dyn JwsSigner, jwk: &Jwk, payload: &Value) -> String {
        self.sign_typed("dpop+jwt", signer, jwk, payload)
    }

    fn sign_typed(&self, typ: &str, signer: &dyn JwsSigner, jwk: &Jwk, payload: &Value) -> String {
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_jwk(jwk.clone());
        jws::serialize_compact(payload.to_string().as_bytes(), &header, signer).unwrap()
    }

    /// A proof for /token as a resource would see it at userinfo.
    fn userinfo_proof(&self, app: &TestApp, access_token: &str) -> String {
        self.proof(
            app,
            Claims {
                htm: "GET",
                path: "/userinfo",
                access_token: Some(access_token),
                ..Claims::default()
            },
        )
    }
}

/// POST /token for the public client, with a proof when given.
async fn spa_token(app: &TestApp, form: &[(&str, &str)], proof: Option<&str>) -> reqwest::Response {
    let mut req = app.api.post(app.url("/token")).form(form);
    if let Some(p) = proof {
        req = req.header("DPoP", p);
    }
    req.send().await.unwrap()
}

/// POST /token for the confidential client (client_secret_basic), with a proof when given.
async fn web_token(app: &TestApp, form: &[(&str, &str)], proof: Option<&str>) -> reqwest::Response {
    let mut req = app
        .api
        .post(app.url("/token"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(form);
    if let Some(p) = proof {
        req = req.header("DPoP", p);
    }
    req.send().await.unwrap()
}

/// The public client's code (signing in first); returns (code, verifier).
async fn spa_code(app: &TestApp) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let res = app.authorize(&spa_request(SPA_REDIRECT, &challenge)).await;
    let res = if res.status() == 200 {
        let page = res.text().await.unwrap();
        app.submit_login(&page, USERNAME, PASSWORD).await
    } else {
        res
    };
    let code = param(&redirect_params(&res, SPA_REDIRECT), "code").unwrap();
    (code, verifier)
}

/// The public client's code exchanged with a proof of `key`; returns the token response.
async fn spa_bound_tokens(app: &TestApp, key: &DpopKey) -> Value {
    let (code, verifier) = spa_code(app).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", PUBLIC_ID),
        ("code", &code),
        ("redirect_uri", SPA_REDIRECT),
        ("code_verifier", &verifier),
    ];
    let res = spa_token(app, &form, Some(&key.proof(app, Claims::default()))).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// A DPoP-bound password-grant token of the confidential client.
async fn web_bound_token(app: &TestApp, key: &DpopKey) -> String {
    let form = [
        ("grant_type", "password"),
        ("username", USERNAME),
        ("password", PASSWORD),
        ("scope", "openid profile"),
    ];
    let res = web_token(app, &form, Some(&key.proof(app, Claims::default()))).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");
    body["access_token"].as_str().unwrap().to_string()
}

async fn userinfo_dpop(app: &TestApp, token: &str, proof: Option<&str>) -> reqwest::Response {
    let mut req = app
        .api
        .get(app.url("/userinfo"))
        .header("Authorization", format!("DPoP {token}"));
    if let Some(p) = proof {
        req = req.header("DPoP", p);
    }
    req.send().await.unwrap()
}

fn refresh_form(token: &str) -> [(&'static str, &str); 3] {
    [
        ("grant_type", "refresh_token"),
        ("client_id", PUBLIC_ID),
        ("refresh_token", token),
    ]
}

/// RFC 9449 §7.1: a 401 with the `DPoP` challenge carrying `error` and `algs`.
fn assert_dpop_challenge(res: &reqwest::Response, error: &str) {
    assert_eq!(res.status(), 401, "{}", header(res, "www-authenticate"));
    let challenge = header(res, "www-authenticate");
    assert!(challenge.starts_with("DPoP "), "{challenge}");
    assert!(challenge.contains(&format!(r#"error="{error}""#)), "{challenge}");
    assert!(challenge.contains(r#"algs="ES256"#), "{challenge}");
}

/// F.2, RFC 9449 §5-7: a public client's code exchange with a proof yields a DPoP-bound access
/// token (`cnf.jkt`, `token_type: DPoP`) and a refresh token bound to the same key: userinfo and
/// refresh work with proofs of that key, and a proof of another key, or none, is refused without
/// using the refresh token up.
#[tokio::test]
async fn public_client_code_flow_binds_access_and_refresh_tokens_to_its_key() {
    let app = spawn_app().await;
    let key = DpopKey::new();
    let tokens = spa_bound_tokens(&app, &key).await;
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(jwt_part(access, 1)["cnf"]["jkt"], key.jkt());
    let res = userinfo_dpop(&app, access, Some(&key.userinfo_proof(&app, access))).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["sub"], app.user_id);

    let refresh = tokens["refresh_token"].as_str().unwrap();
    let thief = DpopKey::new();
    let res = spa_token(
        &app,
        &refresh_form(refresh),
        Some(&thief.proof(&app, Claims::default())),
    )
    .await;
    error_body(res, 400, "invalid_grant").await;
    let res = spa_token(&app, &refresh_form(refresh), None).await;
    error_body(res, 400, "invalid_grant").await;

    let res = spa_token(
        &app,
        &refresh_form(refresh),
        Some(&key.proof(&app, Claims::default())),
    )
    .await;
    assert_eq!(
        res.status(),
        200,
        "the refresh token was not used up by the refused attempts"
    );
    let next: Value = res.json().await.unwrap();
    assert_eq!(next["token_type"], "DPoP");
    let next_access = next["access_token"].as_str().unwrap();
    assert_eq!(jwt_part(next_access, 1)["cnf"]["jkt"], key.jkt());
    let next_refresh = next["refresh_token"].as_str().unwrap();
    let res = spa_token(
        &app,
        &refresh_form(next_refresh),
        Some(&thief.proof(&app, Claims::default())),
    )
    .await;
    error_body(res, 400, "invalid_grant").await;
}

/// F.2, RFC 9449 §5: a confidential client's refresh tokens are not bound; its access tokens are
/// bound whenever a proof comes with the request.
#[tokio::test]
async fn confidential_client_refresh_tokens_are_not_bound() {
    let app = spawn_app().await;
    let key = DpopKey::new();
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", &verifier),
    ];
    let res = web_token(&app, &form, Some(&key.proof(&app, Claims::default()))).await;
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP");
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let res = web_token(
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let next: Value = res.json().await.unwrap();
    assert_eq!(next["token_type"], "Bearer");
    assert!(
        jwt_part(next["access_token"].as_str().unwrap(), 1)
            .get("cnf")
            .is_none()
    );
}

/// F.2, RFC 9449 §7: at userinfo a bound token needs the DPoP scheme and a proof of its key with
/// `ath`; as a bearer token it is refused with the DPoP challenge; an unbound token is refused
/// under the DPoP scheme.
#[tokio::test]
async fn userinfo_checks_the_proof_of_a_bound_token() {
    let app = spawn_app().await;
    let key = DpopKey::new();
    let token = web_bound_token(&app, &key).await;
    assert_dpop_challenge(&get_userinfo(&app, &token).await, "invalid_token");
    assert_dpop_challenge(&userinfo_dpop(&app, &token, None).await, "invalid_dpop_proof");
    let no_ath = key.proof(
        &app,
        Claims {
            htm: "GET",
            path: "/userinfo",
            ..Claims::default()
        },
    );
    assert_dpop_challenge(
        &userinfo_dpop(&app, &token, Some(&no_ath)).await,
        "invalid_dpop_proof",
    );
    let wrong_ath = key.userinfo_proof(&app, "another-token");
    assert_dpop_challenge(
        &userinfo_dpop(&app, &token, Some(&wrong_ath)).await,
        "invalid_dpop_proof",
    );
    let other_key = DpopKey::new().userinfo_proof(&app, &token);
    assert_dpop_challenge(
        &userinfo_dpop(&app, &token, Some(&other_key)).await,
        "invalid_token",
    );
    let post = key.proof(
        &app,
        Claims {
            htm: "POST",
            path: "/userinfo",
            access_token: Some(&token),
            ..Claims::default()
        },
    );
    assert_dpop_challenge(
        &userinfo_dpop(&app, &token, Some(&post)).await,
        "invalid_dpop_proof",
    );
    let res = userinfo_dpop(&app, &token, Some(&key.userinfo_proof(&app, &token))).await;
    assert_eq!(res.status(), 200);
    assert_no_store(&res);

    let bearer = password_tokens(&app, "openid").await;
    let bearer = bearer["access_token"].as_str().unwrap();
    let res = userinfo_dpop(&app, bearer, Some(&key.userinfo_proof(&app, bearer))).await;
    assert_dpop_challenge(&res, "invalid_token");

    let res = app.api.get(app.url("/userinfo")).send().await.unwrap();
    let challenges: Vec<_> = res.headers().get_all("www-authenticate").iter().collect();
    assert!(
        challenges
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("DPoP algs=")),
        "no token: the DPoP challenge too, {challenges:?}"
    );
}

/// F.2, RFC 9449 §11.1: a proof is good once; the same proof again is refused.
#[tokio::test]
async fn replayed_proof_is_refused() {
    let app = spawn_app().await;
    let key = DpopKey::new();
    let proof = key.proof(&app, Claims::default());
    let form = [("grant_type", "client_credentials"), ("scope", "api:read")];
    assert_eq!(web_token(&app, &form, Some(&proof)).await.status(), 200);
    let res = web_token(&app, &form, Some(&proof)).await;
    error_body(res, 400, "invalid_dpop_proof").await;

    let token = web_bound_token(&app, &key).await;
    let proof = key.userinfo_proof(&app, &token);
    assert_eq!(userinfo_dpop(&app, &token, Some(&proof)).await.status(), 200);
    assert_dpop_challenge(
        &userinfo_dpop(&app, &token, Some(&proof)).await,
        "invalid_dpop_proof",
    );
}

/// F.2, RFC 9449 §4.3: `htm` and `htu` must be this request's, `htu` compared after RFC 3986
/// normalisation.
#[tokio::test]
async fn proof_for_another_method_or_endpoint_is_refused() {
    let app = spawn_app().await;
    let key = DpopKey::new();
    let form = [("grant_type", "client_credentials"), ("scope", "api:read")];
    for (htm, path) in [("GET", "/token"), ("POST", "/userinfo"), ("POST", "/token/")] {
        let proof = key.proof(
            &app,
            Claims {
                htm,
                path,
                ..Claims::default()
            },
        );
        let res = web_token(&app, &form, Some(&proof)).await;
        error_body(res, 400, "invalid_dpop_proof").await;
    }
    let mut payload = json!({
        "jti": portcullis::random::random_id(),
        "htm": "POST",
        "htu": format!("HTTP://127.0.0.1:{}/%74oken?ignored=1", app.port),
        "iat": app.clock.now(),
    });
    let signer = ES256.signer_from_jwk(&key.private).unwrap();
    let normalised = key.sign(&signer, &key.public(), &payload);
    assert_eq!(web_token(&app, &form, Some(&normalised)).await.status(), 200);
    payload["jti"] = json!("another");
    payload["htu"] = json!(format!("http://127.0.0.1:{}/token", app.port + 1));
    let other_port = key.sign(&signer, &key.public(), &payload);
    error_body(
        web_token(&app, &form, Some(&other_port)).await,
        400,
        "invalid_dpop_proof",
    )
    .await;
}

/// F.2, RFC 9449 §11.1: `iat` must be within `dpop.iat_window_secs` of the server's clock.
#[tokio::test]
async fn stale_or_future_proof_is_refused() {
    let app = spawn_app().await;
    let key = DpopKey::new();
    let form = [("grant_type", "client_credentials"), ("scope", "api:read")];
    for iat_offset in [-61, 61] {
        let proof = key.proof(
            &app,
            Claims {
                iat_offset,
                ..Claims::default()
            },
        );
        error_body(
            web_token(&app, &form, Some(&proof)).await,
            400,
            "invalid_dpop_proof",
        )
        .await;
    }
    let proof = key.proof(&app, Claims::default());
    app.clock.advance(std::time::Duration::from_secs(61));
    error_body(
        web_token(&app, &form, Some(&proof)).await,
        400,
        "invalid_dpop_proof",
    )
    .await;
}

/// F.2, RFC 9449 §4.3 steps 4-7: a MAC, a private key in the header, another `typ`, two proofs, or
/// garbage are `invalid_dpop_proof`, never a 5xx.
#[tokio::test]
async fn malformed_or_symmetric_proofs_are_refused() {
    let app = spawn_app().await;
    let key = DpopKey::new();
    let form = [("grant_type", "client_credentials"), ("scope", "api:read")];
    let payload = json!({
        "jti": "j1", "htm": "POST", "htu": app.url("/token"), "iat": app.clock.now(),
    });
    let hmac = HS256.signer_from_bytes([9u8; 32]).unwrap();
    let signer = ES256.signer_from_jwk(&key.private).unwrap();
    let proofs = [
        key.sign(&hmac, &key.public(), &payload),
        key.sign(&signer, &key.private, &payload),
        key.sign_typed("JWT", &signer, &key.public(), &payload),
        "not-a-jwt".to_string(),
        format!(
            "{}.e30.",
            URL_SAFE_NO_PAD.encode(r#"{"typ":"dpop+jwt","alg":"none"}"#)
        ),
    ];
    for proof in proofs {
        error_body(
            web_token(&app, &form, Some(&proof)).await,
            400,
            "invalid_dpop_proof",
        )
        .await;
    }
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .header("DPoP", key.proof(&app, Claims::default()))
        .header("DPoP", key.proof(&app, Claims::default()))
        .form(&form)
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_dpop_proof").await;
    for (authorization, proof) in [
        ("DPoP", "x"),
        ("DPoP ", ""),
        ("dpop a.b.c", "a.b.c"),
        ("DPoP x", "\t"),
    ] {
        let mut req = app
            .api
            .get(app.url("/userinfo"))
            .header("Authorization", authorization);
        if !proof.is_empty() {
            req = req.header("DPoP", proof);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        assert!(
            [400, 401].contains(&status),
            "{authorization:?} {proof:?}: {status}"
        );
    }
}

/// F.2, RFC 9449 §6.2: introspection reports `token_type: DPoP` and `cnf`; revocation ends a
/// bound token like any other.
#[tokio::test]
async fn introspection_reports_the_binding_and_revocation_ends_a_bound_token() {
    let app = spawn_app().await;
    let key = DpopKey::new();
    let token = web_bound_token(&app, &key).await;
    let info = app.introspect(&token).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["token_type"], "DPoP");
    assert_eq!(info["cnf"]["jkt"], key.jkt());
    let res = app
        .api
        .post(app.url("/revoke"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.introspect(&token).await["active"], false);
    let res = userinfo_dpop(&app, &token, Some(&key.userinfo_proof(&app, &token))).await;
    assert_dpop_challenge(&res, "invalid_token");
}

/// F.2, RFC 9449 §8: with `dpop.require_nonce`, a proof without the server's nonce gets
/// `use_dpop_nonce` and a `DPoP-Nonce`; with it the request succeeds; every node accepts the
/// nonce; a nonce two periods old is refused.
#[tokio::test]
async fn nonces_are_required_when_configured() {
    let app = spawn_app_with(|s| s.dpop.require_nonce = true).await;
    let key = DpopKey::new();
    let form = [("grant_type", "client_credentials"), ("scope", "api:read")];
    let res = web_token(&app, &form, Some(&key.proof(&app, Claims::default()))).await;
    let nonce = header(&res, "dpop-nonce");
    assert!(!nonce.is_empty(), "DPoP-Nonce with the error");
    assert!(header(&res, "access-control-expose-headers").contains("DPoP-Nonce"));
    error_body(res, 400, "use_dpop_nonce").await;
    let with_nonce = |n: &str| {
        key.proof(
            &app,
            Claims {
                nonce: Some(n),
                ..Claims::default()
            },
        )
    };
    let res = web_token(&app, &form, Some(&with_nonce(&nonce))).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "dpop-nonce"),
        nonce,
        "the current nonce with the answer"
    );
    let res = web_token(&app, &form, None).await;
    assert_eq!(res.status(), 200, "bearer requests need no nonce");

    // Every node serves the one issuer, so proofs name the issuer's URL.
    let second = spawn_second_node(&app).await;
    let mut on_second = web_token(&second, &form, Some(&with_nonce(&nonce))).await;
    assert_eq!(on_second.status(), 200, "another node accepts the nonce");
    let password = [
        ("grant_type", "password"),
        ("username", USERNAME),
        ("password", PASSWORD),
        ("scope", "openid"),
    ];
    on_second = web_token(&second, &password, Some(&with_nonce(&nonce))).await;
    let token = on_second.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let res = userinfo_dpop(&app, &token, Some(&key.userinfo_proof(&app, &token))).await;
    assert_dpop_challenge(&res, "use_dpop_nonce");
    assert_eq!(header(&res, "dpop-nonce"), nonce);
    let proof = key.proof(
        &app,
        Claims {
            htm: "GET",
            path: "/userinfo",
            access_token: Some(&token),
            nonce: Some(&nonce),
            ..Claims::default()
        },
    );
    assert_eq!(userinfo_dpop(&app, &token, Some(&proof)).await.status(), 200);

    app.clock.advance(std::time::Duration::from_secs(2 * 300));
    let res = web_token(&app, &form, Some(&with_nonce(&nonce))).await;
    assert_ne!(header(&res, "dpop-nonce"), nonce, "the nonce rotated");
    error_body(res, 400, "use_dpop_nonce").await;
}

/// F.2, RFC 9449 §5.1: discovery lists the proof algorithms, none of them `none` or HMAC.
#[tokio::test]
async fn discovery_advertises_dpop_signing_algs() {
    let app = spawn_app().await;
    let doc: Value = app
        .api
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let algs: Vec<&str> = doc["dpop_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for alg in ["ES256", "EdDSA", "RS256"] {
        assert!(algs.contains(&alg), "{alg} in {algs:?}");
    }
    assert!(algs.iter().all(|a| *a != "none" && !a.starts_with("HS")));
}
