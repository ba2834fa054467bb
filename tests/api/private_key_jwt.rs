//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID Core §9; docs/security.md
//! K.1) at every endpoint that authenticates clients: token, introspection, revocation, PAR.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jwk::alg::ec::EcCurve;
use josekit::jws::{self, ES256, HS256, JwsHeader, JwsSigner, RS256};
use portcullis::random::random_id;
use portcullis::storage::{Client, ClientKeys, GrantType, Registration};
use serde_json::{Value, json};

use crate::docserver::{Answer, DocServer};
use crate::helpers::*;

pub const JWT_CLIENT: &str = "jwt-app";
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client key pair: the signer and the public JWK (with `kid`).
pub struct ClientKey {
    pub signer: Box<dyn JwsSigner>,
    pub public: Jwk,
    pub kid: String,
}

impl ClientKey {
    pub fn es256(kid: &str) -> ClientKey {
        let mut private = Jwk::generate_ec_key(EcCurve::P256).unwrap();
        private.set_key_id(kid);
        let mut public = private.to_public_key().unwrap();
        public.set_key_id(kid);
        ClientKey {
            signer: Box::new(ES256.signer_from_jwk(&private).unwrap()),
            public,
            kid: kid.into(),
        }
    }

    pub fn rs256(kid: &str) -> ClientKey {
        let mut private = Jwk::generate_rsa_key(2048).unwrap();
        private.set_key_id(kid);
        let mut public = private.to_public_key().unwrap();
        public.set_key_id(kid);
        ClientKey {
            signer: Box::new(RS256.signer_from_jwk(&private).unwrap()),
            public,
            kid: kid.into(),
        }
    }

    /// The JWK Set of these keys (josekit's `to_public_key` drops `kid`, so it is set again).
    pub fn jwks(keys: &[&ClientKey]) -> Value {
        json!({ "keys": keys.iter().map(|k| serde_json::to_value(k.public.as_ref()).unwrap()).collect::<Vec<_>>() })
    }

    /// An assertion with these claims, the header naming this key.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        header.set_key_id(&self.kid);
        jws::serialize_compact(claims.to_string().as_bytes(), &header, self.signer.as_ref()).unwrap()
    }
}

/// RFC 7523 §3 claims for `client_id` at `app`, `aud` the issuer, living one minute.
pub fn claims(app: &TestApp, client_id: &str) -> Value {
    let now = app.clock.now();
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": app.state.settings.issuer,
        "iat": now,
        "exp": now + 60,
        "jti": random_id(),
    })
}

/// Registers `client_id` for private_key_jwt with `keys`, allowed every grant.
pub async fn add_jwt_client(app: &TestApp, client_id: &str, keys: ClientKeys) {
    let base = app
        .ctx()
        .store
        .client_by_id(CONFIDENTIAL_ID)
        .await
        .unwrap()
        .unwrap();
    let client = Client {
        client_id: client_id.into(),
        name: "JWT App".into(),
        secret_hash: None,
        grant_types: GrantType::ALL.to_vec(),
        registration: Registration {
            keys: Some(keys),
            ..Registration::default()
        },
        ..base
    };
    app.ctx().store.create_client(client).await.unwrap();
}

async fn setup() -> (TestApp, ClientKey) {
    let app = spawn_app().await;
    let key = ClientKey::es256("k1");
    add_jwt_client(
        &app,
        JWT_CLIENT,
        ClientKeys::Jwks(ClientKey::jwks(&[&key]).to_string()),
    )
    .await;
    (app, key)
}

/// POST `path` with `form` plus the assertion.
async fn post_with(app: &TestApp, path: &str, assertion: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let mut f: Vec<(&str, &str)> = form.to_vec();
    f.push(("client_assertion_type", ASSERTION_TYPE));
    f.push(("client_assertion", assertion));
    app.api.post(app.url(path)).form(&f).send().await.unwrap()
}

async fn client_credentials(app: &TestApp, assertion: &str) -> reqwest::Response {
    post_with(
        app,
        "/token",
        assertion,
        &[("grant_type", "client_credentials"), ("scope", "api:read")],
    )
    .await
}

#[tokio::test]
async fn private_key_jwt_is_accepted_at_the_token_endpoint() {
    let (app, key) = setup().await;
    let res = client_credentials(&app, &key.sign(&claims(&app, JWT_CLIENT))).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        jwt_part(body["access_token"].as_str().unwrap(), 1)["client_id"],
        JWT_CLIENT
    );
    // With client_id in the body too, and aud the token endpoint's URL.
    let mut c = claims(&app, JWT_CLIENT);
    c["aud"] = json!(app.url("/token"));
    let res = post_with(
        &app,
        "/token",
        &key.sign(&c),
        &[("grant_type", "client_credentials"), ("client_id", JWT_CLIENT)],
    )
    .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn private_key_jwt_is_accepted_at_introspection_revocation_and_par() {
    let (app, key) = setup().await;
    let res = client_credentials(&app, &key.sign(&claims(&app, JWT_CLIENT))).await;
    let token: Value = res.json().await.unwrap();
    let access = token["access_token"].as_str().unwrap();

    let mut c = claims(&app, JWT_CLIENT);
    c["aud"] = json!(app.url("/introspect"));
    let res = post_with(&app, "/introspect", &key.sign(&c), &[("token", access)]).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["active"], true, "its own token: {body}");

    let res = post_with(
        &app,
        "/revoke",
        &key.sign(&claims(&app, JWT_CLIENT)),
        &[("token", access)],
    )
    .await;
    assert_eq!(res.status(), 200);

    let (_, challenge) = pkce_pair();
    let res = post_with(
        &app,
        "/par",
        &key.sign(&claims(&app, JWT_CLIENT)),
        &[
            ("response_type", "code"),
            ("client_id", JWT_CLIENT),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn replayed_jti_is_refused() {
    let (app, key) = setup().await;
    let assertion = key.sign(&claims(&app, JWT_CLIENT));
    assert_eq!(client_credentials(&app, &assertion).await.status(), 200);
    error_body(client_credentials(&app, &assertion).await, 401, "invalid_client").await;
    // At another endpoint too: the jti is spent for the client, not per endpoint.
    let res = post_with(&app, "/revoke", &assertion, &[("token", "x")]).await;
    error_body(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn replayed_jti_is_refused_by_a_second_node() {
    let (app, key) = setup().await;
    let second = spawn_second_node(&app).await;
    let assertion = key.sign(&claims(&app, JWT_CLIENT));
    assert_eq!(client_credentials(&app, &assertion).await.status(), 200);
    error_body(
        client_credentials(&second, &assertion).await,
        401,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn assertion_with_a_wrong_aud_is_refused() {
    let (app, key) = setup().await;
    for aud in [
        json!("https://other.example"),
        json!([app.state.settings.issuer, "https://other.example"]),
        json!(app.url("/userinfo")),
    ] {
        let mut c = claims(&app, JWT_CLIENT);
        c["aud"] = aud.clone();
        let res = client_credentials(&app, &key.sign(&c)).await;
        error_body(res, 401, "invalid_client").await;
    }
}

#[tokio::test]
async fn expired_or_long_lived_assertion_is_refused() {
    let (app, key) = setup().await;
    let assertion = key.sign(&claims(&app, JWT_CLIENT));
    // The test clock moves past exp (60 s) and the leeway.
    app.clock.advance(std::time::Duration::from_secs(120));
    error_body(client_credentials(&app, &assertion).await, 401, "invalid_client").await;
    let mut c = claims(&app, JWT_CLIENT);
    c["exp"] = json!(app.clock.now() + 3600);
    error_body(
        client_credentials(&app, &key.sign(&c)).await,
        401,
        "invalid_client",
    )
    .await;
    let mut c = claims(&app, JWT_CLIENT);
    c.as_object_mut().unwrap().remove("exp");
    error_body(
        client_credentials(&app, &key.sign(&c)).await,
        401,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn assertion_whose_iss_is_not_its_sub_is_refused() {
    let (app, key) = setup().await;
    let mut c = claims(&app, JWT_CLIENT);
    c["iss"] = json!(CONFIDENTIAL_ID);
    let res = post_with(
        &app,
        "/token",
        &key.sign(&c),
        &[("grant_type", "client_credentials"), ("client_id", JWT_CLIENT)],
    )
    .await;
    error_body(res, 401, "invalid_client").await;
    // A sub naming another client is refused against the body's client_id.
    let mut c = claims(&app, JWT_CLIENT);
    c["sub"] = json!(CONFIDENTIAL_ID);
    let res = post_with(
        &app,
        "/token",
        &key.sign(&c),
        &[("grant_type", "client_credentials"), ("client_id", JWT_CLIENT)],
    )
    .await;
    error_body(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn assertion_with_alg_none_or_hs256_is_refused() {
    let (app, _) = setup().await;
    let c = claims(&app, JWT_CLIENT);
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": "k1"}).to_string()),
        URL_SAFE_NO_PAD.encode(c.to_string())
    );
    error_body(client_credentials(&app, &unsigned).await, 401, "invalid_client").await;
    let hs = HS256.signer_from_bytes([7u8; 32]).unwrap();
    let mut header = JwsHeader::new();
    header.set_key_id("k1");
    let mac = jws::serialize_compact(claims(&app, JWT_CLIENT).to_string().as_bytes(), &header, &hs).unwrap();
    error_body(client_credentials(&app, &mac).await, 401, "invalid_client").await;
}

#[tokio::test]
async fn assertion_signed_by_a_key_not_in_the_clients_jwks_is_refused() {
    let (app, _) = setup().await;
    // Same kid, another key.
    let impostor = ClientKey::es256("k1");
    error_body(
        client_credentials(&app, &impostor.sign(&claims(&app, JWT_CLIENT))).await,
        401,
        "invalid_client",
    )
    .await;
    let unknown = ClientKey::es256("k9");
    error_body(
        client_credentials(&app, &unknown.sign(&claims(&app, JWT_CLIENT))).await,
        401,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn secret_auth_by_a_private_key_jwt_client_is_refused() {
    let (app, _) = setup().await;
    for secret in ["", "anything"] {
        let res = app
            .api
            .post(app.url("/token"))
            .basic_auth(JWT_CLIENT, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        error_body(res, 401, "invalid_client").await;
    }
    // Nor as a public client (client_id alone).
    let res = app
        .api
        .post(app.url("/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", JWT_CLIENT)])
        .send()
        .await
        .unwrap();
    error_body(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn assertion_by_a_secret_client_is_refused() {
    let (app, key) = setup().await;
    let res = client_credentials(&app, &key.sign(&claims(&app, CONFIDENTIAL_ID))).await;
    error_body(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn keys_from_jwks_uri_are_fetched_and_a_new_kid_fetches_again() {
    let docs = DocServer::start().await;
    let app = spawn_app_with(|s| s.registration.cimd_allow_http_loopback = true).await;
    let first = ClientKey::rs256("r1");
    docs.set("/jwks", Answer::json(&ClientKey::jwks(&[&first])));
    add_jwt_client(&app, JWT_CLIENT, ClientKeys::JwksUri(docs.url("/jwks"))).await;
    assert_eq!(
        client_credentials(&app, &first.sign(&claims(&app, JWT_CLIENT)))
            .await
            .status(),
        200
    );
    assert_eq!(
        client_credentials(&app, &first.sign(&claims(&app, JWT_CLIENT)))
            .await
            .status(),
        200
    );
    assert_eq!(docs.hits(), 1, "the JWK Set is cached");
    // The client rotates: the new kid is not in the cached set, so it is fetched again.
    let second = ClientKey::es256("e2");
    docs.set("/jwks", Answer::json(&ClientKey::jwks(&[&first, &second])));
    assert_eq!(
        client_credentials(&app, &second.sign(&claims(&app, JWT_CLIENT)))
            .await
            .status(),
        200
    );
    assert_eq!(docs.hits(), 2);
}

#[tokio::test]
async fn jwks_uri_on_http_loopback_is_refused_without_the_switch() {
    let docs = DocServer::start().await;
    let app = spawn_app().await;
    let key = ClientKey::es256("k1");
    docs.set("/jwks", Answer::json(&ClientKey::jwks(&[&key])));
    add_jwt_client(&app, JWT_CLIENT, ClientKeys::JwksUri(docs.url("/jwks"))).await;
    error_body(
        client_credentials(&app, &key.sign(&claims(&app, JWT_CLIENT))).await,
        401,
        "invalid_client",
    )
    .await;
    assert_eq!(docs.hits(), 0, "never fetched");
}

#[tokio::test]
async fn discovery_lists_private_key_jwt() {
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
    for list in [
        "token_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
    ] {
        let methods = doc[list].as_array().unwrap();
        assert!(methods.contains(&json!("private_key_jwt")), "{list}: {doc}");
    }
    assert_eq!(
        doc["token_endpoint_auth_signing_alg_values_supported"],
        json!(["RS256", "PS256", "ES256", "EdDSA"])
    );
}

/// `client add --auth-method private_key_jwt --jwks FILE` makes a client with no secret that
/// authenticates with its key; `--jwks-uri` must be https; a secret cannot be rotated onto it.
#[tokio::test]
async fn cli_made_private_key_jwt_client_authenticates_with_its_key() {
    let cli = crate::cli::Cli::new();
    let key = ClientKey::es256("cli-key");
    let dir = crate::tempdir::tempdir().unwrap();
    let jwks_file = dir.path().join("jwks.json");
    std::fs::write(&jwks_file, ClientKey::jwks(&[&key]).to_string()).unwrap();
    let made = cli.json(
        &[
            "client",
            "add",
            "Report builder",
            "--grant-type",
            "client_credentials",
            "--auth-method",
            "private_key_jwt",
            "--jwks",
            jwks_file.to_str().unwrap(),
            "--scope",
            "api:read",
            "--json",
        ],
        None,
    );
    assert!(made.get("client_secret").is_none(), "{made}");
    assert_eq!(made["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(made["public"], false);
    let id = made["client_id"].as_str().unwrap().to_string();
    let err = cli.fails(&["client", "rotate-secret", &id], None);
    assert!(err.contains("private_key_jwt"), "{err}");
    let err = cli.fails(
        &[
            "client",
            "add",
            "Bad",
            "--grant-type",
            "client_credentials",
            "--auth-method",
            "private_key_jwt",
            "--jwks-uri",
            "http://keys.example/jwks",
        ],
        None,
    );
    assert!(err.contains("jwks_uri"), "{err}");
    cli.fails(
        &[
            "client",
            "add",
            "Keyless",
            "--grant-type",
            "client_credentials",
            "--auth-method",
            "private_key_jwt",
        ],
        None,
    );

    let dir = crate::tempdir::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    settings.database.url = secrecy::SecretString::from(cli.db_url.clone());
    settings.keys.master_key = Some(secrecy::SecretString::from(cli.master_key.clone()));
    let app = spawn_with_settings(settings, dir).await;
    let res = client_credentials(&app, &key.sign(&claims(&app, &id))).await;
    assert_eq!(res.status(), 200);
}
