//! `spawn_app()`: a Portcullis server on port 0 with a fresh database (a temp SQLite file, or a
//! fresh PostgreSQL database when `DATABASE_URL` names one), a user and two clients, and an HTTP
//! client with a cookie jar and redirects off (docs/architecture.md).

use std::net::TcpListener;
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis::accounts::password::PasswordHasher;
use portcullis::config::Settings;
use portcullis::digest::sha256_hex;
use portcullis::keys::{self, Alg, GeneratedKey};
use portcullis::oauth::scope::Scope;
use portcullis::random::{random_id, secret_256};
use portcullis::state::AppState;
use portcullis::storage::diesel::DieselStore;
use portcullis::storage::{Client, GrantType, KeyStore as _, NewUser, Store};
use portcullis::{Application, Clock, Context};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const USERNAME: &str = "alice";
pub const PASSWORD: &str = "correct horse battery staple";
pub const CONFIDENTIAL_ID: &str = "web-app";
pub const PUBLIC_ID: &str = "spa";
pub const THIRD_PARTY_ID: &str = "partner";
pub const REDIRECT_URI: &str = "https://app.example.com/cb";
pub const SPA_REDIRECT: &str = "http://127.0.0.1:3000/callback";
pub const LOGOUT_REDIRECT: &str = "https://app.example.com/logged-out";

/// An issuer a test may choose: the server stays on 127.0.0.1, its issuer is `http://localhost:<port>`
/// (WebAuthn needs a domain name; requests still go to `address`).
pub const LOCALHOST_ISSUER: &str = "http://localhost";

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub state: AppState,
    /// A browser: cookie jar, no redirects followed.
    pub browser: reqwest::Client,
    /// A back-channel client: no cookies.
    pub api: reqwest::Client,
    pub client_secret: String,
    pub user_id: String,
    /// The per-test PostgreSQL database, dropped with the app.
    pub pg_database: Option<(String, String)>,
    /// The server's clock: real time plus an offset the test can advance (expiry without sleeping).
    pub clock: Clock,
    _dir: crate::tempdir::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg_database.take() {
            // Off the async runtime: a blocking connection on its own thread.
            let _ = std::thread::spawn(move || {
                use diesel::{Connection, RunQueryDsl};
                if let Ok(mut conn) = diesel::PgConnection::establish(&admin_url) {
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn);
                }
            })
            .join();
        }
    }
}

/// The RSA key pair behind every test server's first RS256 key in this process, each server
/// holding it under a `kid` of its own. A server on an empty database makes its signing keys at
/// start, and a 2048-bit RSA key costs tens of milliseconds of CPU (hundreds on a slow machine):
/// made once per test it was a large part of the suite's time. Key generation itself is tested
/// by `keys::generate`, by rotation and by the CLI tests, which still make their own.
static RSA_KEY_PAIR: OnceLock<GeneratedKey> = OnceLock::new();

/// Stores the process's RSA key pair as the new server's active RS256 key, under a fresh `kid`
/// and sealed with its master key, when it would make one at start: its ID tokens default to
/// RS256 and its database has no RS256 key yet. ES256 and EdDSA keys are cheap and left to it.
async fn seed_rs256_key(settings: &Settings, clock: &Clock) {
    if settings.keys.default_alg != Alg::Rs256 {
        return;
    }
    let db = DieselStore::connect(settings.database.url.expose_secret(), 1)
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    if db
        .list_keys()
        .await
        .expect("keys")
        .iter()
        .any(|k| k.alg == Alg::Rs256)
    {
        return;
    }
    let pair = RSA_KEY_PAIR.get_or_init(|| keys::generate(Alg::Rs256).expect("RSA key"));
    let master = keys::MasterKey::from_settings(&settings.keys).expect("master key");
    let now = clock.now();
    let key = pair.with_kid(random_id()).expect("rename the key");
    db.insert_key(keys::seal_row(&key, &master, now, now).expect("seal"))
        .await
        .expect("insert key");
}

pub fn http_client(cookies: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(cookies)
        .build()
        .expect("http client")
}

/// A database URL for one test: a temp SQLite file, or a fresh PostgreSQL database.
pub fn test_database_url(dir: &std::path::Path) -> String {
    match std::env::var("DATABASE_URL") {
        Ok(base) if base.starts_with("postgres") => {
            use diesel::{Connection, RunQueryDsl};
            let name = format!("pc_test_{}", &random_id()[..16]);
            let mut conn = diesel::PgConnection::establish(&base).expect("connect to DATABASE_URL");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create database");
            // libpq's default `sslmode=prefer` negotiates TLS when the server offers it, as in
            // production: the tests must run the connection code users run.
            match base.rsplit_once('/') {
                Some((prefix, _)) => format!("{prefix}/{name}"),
                None => panic!("DATABASE_URL has no database name"),
            }
        }
        _ => format!("sqlite://{}", dir.join("portcullis.db").display()),
    }
}

/// (admin URL, database name) when `url` is a per-test PostgreSQL database.
fn pg_database_of(url: &str) -> Option<(String, String)> {
    let base = std::env::var("DATABASE_URL").ok()?;
    let (prefix, name) = url.rsplit_once('/')?;
    let name = name.split('?').next().unwrap_or_default();
    (url.starts_with("postgres") && name.starts_with("pc_test_") && base.starts_with(prefix))
        .then(|| (base.clone(), name.to_string()))
}

pub fn test_settings(dir: &std::path::Path) -> Settings {
    let mut settings = Settings::default();
    settings.database.url = SecretString::from(test_database_url(dir));
    settings.database.pool_size = 4;
    settings.keys.master_key = Some(SecretString::from(hex::encode(rand_bytes())));
    settings.argon2.memory_kib = 64;
    settings.argon2.iterations = 1;
    settings.workers = 2;
    settings.redis.url = std::env::var("REDIS_URL").ok().map(SecretString::from);
    // Each test is its own issuer on the shared Redis, as each has its own database.
    settings.redis.key_prefix = format!("pc-test-{}", random_id());
    settings
}

fn rand_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    for chunk in b.chunks_mut(16) {
        chunk.copy_from_slice(&hex::decode(random_id()).expect("hex")[..]);
    }
    b
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = crate::tempdir::tempdir().expect("temp dir");
    let mut settings = test_settings(dir.path());
    configure(&mut settings);
    spawn_with_settings(settings, dir).await
}

pub async fn spawn_with_settings(settings: Settings, dir: crate::tempdir::TempDir) -> TestApp {
    spawn_with_clock(settings, dir, Clock::shifted()).await
}

/// Like [`spawn_with_settings`], with the clock the server reads.
pub async fn spawn_with_clock(settings: Settings, dir: crate::tempdir::TempDir, clock: Clock) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    spawn_on(settings, dir, clock, listener).await
}

/// Like [`spawn_with_clock`], on a listener the test bound (a port known before the server exists).
pub async fn spawn_on(
    mut settings: Settings,
    dir: crate::tempdir::TempDir,
    clock: Clock,
    listener: TcpListener,
) -> TestApp {
    let database_url = settings.database.url.expose_secret().to_string();
    let port = listener.local_addr().expect("addr").port();
    let address = format!("http://127.0.0.1:{port}");
    // An https issuer chosen by the test stays (as behind a TLS-terminating proxy); otherwise the
    // issuer is the server's own http address.
    if settings.issuer == LOCALHOST_ISSUER {
        // Passkeys need a domain name as the relying party id: the server's port on `localhost`.
        settings.issuer = format!("{LOCALHOST_ISSUER}:{port}");
    } else if !settings.issuer.starts_with("https://") {
        settings.issuer = address.clone();
    }
    settings.listen = format!("127.0.0.1:{port}");
    seed_rs256_key(&settings, &clock).await;
    let app = Application::build_with(settings, listener, clock.clone())
        .await
        .expect("build app");
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());

    let client_secret = secret_256();
    let hasher = PasswordHasher::new(&state.settings.argon2).expect("hasher");
    let user = state
        .ctx
        .store
        .create_user(NewUser {
            id: random_id(),
            username: USERNAME.into(),
            email: Some("alice@example.com".into()),
            email_verified: true,
            name: Some("Alice Liddell".into()),
            password_hash: hasher.hash(PASSWORD.into()).await.expect("hash"),
            created_at: clock.now() - 10,
        })
        .await
        .expect("create user");
    let standard = Scope::from_tokens([
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
        "api:read",
    ]);
    let confidential = Client {
        client_id: CONFIDENTIAL_ID.into(),
        name: "Web App".into(),
        secret_hash: Some(sha256_hex(&client_secret)),
        redirect_uris: vec![REDIRECT_URI.into()],
        post_logout_redirect_uris: vec![LOGOUT_REDIRECT.into()],
        grant_types: GrantType::ALL.to_vec(),
        scopes: standard.clone(),
        first_party: true,
        id_token_signed_response_alg: Alg::Rs256,
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
    state
        .ctx
        .store
        .create_client(confidential.clone())
        .await
        .expect("client");
    let public = Client {
        client_id: PUBLIC_ID.into(),
        name: "Single Page App".into(),
        secret_hash: None,
        redirect_uris: vec![SPA_REDIRECT.into()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        ..confidential.clone()
    };
    state.ctx.store.create_client(public).await.expect("client");
    let partner = Client {
        client_id: THIRD_PARTY_ID.into(),
        name: "Partner <Corp>".into(),
        first_party: false,
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        ..confidential
    };
    state.ctx.store.create_client(partner).await.expect("client");

    TestApp {
        address,
        port,
        state,
        browser: http_client(true),
        api: http_client(false),
        client_secret,
        user_id: user.id,
        pg_database: pg_database_of(&database_url),
        clock,
        _dir: dir,
    }
}

/// A PKCE pair (RFC 7636 §4.1-4.2): (verifier, S256 challenge).
pub fn pkce_pair() -> (String, String) {
    let verifier = secret_256();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// Query parameters of a Location header.
pub fn location_params(res: &reqwest::Response) -> Vec<(String, String)> {
    let loc = location(res);
    let url = url::Url::parse(&loc).expect("absolute Location");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// docs/security.md O.1: a refused form (login, second-factor code, first TOTP code) answers 303 to
/// the GET of the same step, whose `notice` names the refusal; this GETs it with `browser`, as a
/// browser would. Any other answer is returned as it is.
pub async fn follow_refused(
    app: &TestApp,
    browser: &reqwest::Client,
    res: reqwest::Response,
) -> reqwest::Response {
    if res.status() != 303 {
        return res;
    }
    let next = location(&res);
    if !next.contains("-refused") {
        return res;
    }
    browser
        .get(app.url(&next))
        .send()
        .await
        .expect("refused form's page")
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .expect("Location header")
        .to_str()
        .expect("ascii")
        .to_string()
}

pub fn param(params: &[(String, String)], name: &str) -> Option<String> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// Hidden input `name`'s value in an HTML page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name} in page:\n{html}"));
    let tag_start = html[..at].rfind('<').expect("tag start");
    let tag_end = at + html[at..].find('>').expect("tag end");
    let tag = &html[tag_start..tag_end];
    let v = tag
        .find("value=\"")
        .unwrap_or_else(|| panic!("no value in {tag}"))
        + 7;
    let end = tag[v..].find('"').expect("value end");
    tag[v..v + end]
        .replace("&#x2f;", "/")
        .replace("&#x2b;", "+")
        .replace("&#x3d;", "=")
}

impl TestApp {
    /// What the server's flows see: its stores, key ring and clock.
    pub fn ctx(&self) -> &Context {
        &self.state.ctx
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// GET /authorize with the browser.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        self.browser
            .get(self.url("/authorize"))
            .query(params)
            .send()
            .await
            .expect("authorize")
    }

    /// Submits the login form found in `page`, and follows a 303 to the request's next step
    /// (`/login/continue`) as a browser would (docs/security.md O.1).
    pub async fn submit_login(&self, page: &str, username: &str, password: &str) -> reqwest::Response {
        let res = self.post_login(page, username, password).await;
        self.follow_continue(res).await
    }

    /// Submits the login form found in `page`; the raw answer.
    pub async fn post_login(&self, page: &str, username: &str, password: &str) -> reqwest::Response {
        let form = [
            ("request_id", hidden(page, "request_id")),
            ("csrf_token", hidden(page, "csrf_token")),
            ("username", username.to_string()),
            ("password", password.to_string()),
        ];
        self.browser
            .post(self.url("/login"))
            .form(&form)
            .send()
            .await
            .expect("login")
    }

    /// docs/security.md O.1: a form POST answers 303 to `GET /login/continue`; this GETs it with
    /// the browser. Any other answer is returned as it is.
    pub async fn follow_continue(&self, res: reqwest::Response) -> reqwest::Response {
        if res.status() != 303 {
            return res;
        }
        let next = location(&res);
        if !next.starts_with("/login/continue?") {
            return res;
        }
        self.browser.get(self.url(&next)).send().await.expect("continue")
    }

    /// docs/security.md O.1: a refused form answers 303 to the GET of the same step; this GETs it
    /// with the app's browser. Any other answer is returned as it is.
    pub async fn follow_refused(&self, res: reqwest::Response) -> reqwest::Response {
        follow_refused(self, &self.browser, res).await
    }

    /// Submits the consent form found in `page` with `decision` (allow | deny).
    pub async fn submit_consent(&self, page: &str, decision: &str) -> reqwest::Response {
        let form = [
            ("request_id", hidden(page, "request_id")),
            ("csrf_token", hidden(page, "csrf_token")),
            ("decision", decision.to_string()),
        ];
        let res = self
            .browser
            .post(self.url("/consent"))
            .form(&form)
            .send()
            .await
            .expect("consent");
        self.follow_continue(res).await
    }

    /// The confidential client's authorization request parameters with PKCE.
    pub fn code_request<'a>(
        &self,
        state: &'a str,
        nonce: &'a str,
        challenge: &'a str,
        scope: &'a str,
    ) -> Vec<(&'a str, &'a str)> {
        vec![
            ("response_type", "code"),
            ("client_id", CONFIDENTIAL_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", scope),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ]
    }

    /// Runs authorize -> login (-> consent) for the confidential client; returns (code, verifier).
    pub async fn login_for_code(&self, scope: &str) -> (String, String) {
        let (verifier, challenge) = pkce_pair();
        let res = self
            .authorize(&self.code_request("st", "n-0S6_WzA2Mj", &challenge, scope))
            .await;
        let res = if res.status() == 200 {
            let page = res.text().await.expect("page");
            self.submit_login(&page, USERNAME, PASSWORD).await
        } else {
            res
        };
        assert_eq!(res.status(), 303, "expected redirect to client");
        let params = location_params(&res);
        (param(&params, "code").expect("code in redirect"), verifier)
    }

    /// POST /token with client_secret_basic for the confidential client.
    pub async fn token(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.api
            .post(self.url("/token"))
            .basic_auth(CONFIDENTIAL_ID, Some(&self.client_secret))
            .form(form)
            .send()
            .await
            .expect("token")
    }

    /// Exchanges a code for the confidential client; returns the JSON body (asserts 200).
    pub async fn exchange(&self, code: &str, verifier: &str) -> serde_json::Value {
        let res = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier),
            ])
            .await;
        assert_eq!(res.status(), 200, "token exchange failed");
        res.json().await.expect("json")
    }

    pub async fn introspect(&self, token: &str) -> serde_json::Value {
        let res = self
            .api
            .post(self.url("/introspect"))
            .basic_auth(CONFIDENTIAL_ID, Some(&self.client_secret))
            .form(&[("token", token)])
            .send()
            .await
            .expect("introspect");
        assert_eq!(res.status(), 200);
        res.json().await.expect("json")
    }
}

/// A second node serving the same issuer on the same database (and Redis, when configured): no
/// seeding, its own port, the same clock. Node-local state must not matter.
pub async fn spawn_second_node(first: &TestApp) -> TestApp {
    let mut settings = (*first.state.settings).clone();
    spawn_node(&mut settings, first).await
}

/// Like [`spawn_second_node`], with the settings adjusted first.
pub async fn spawn_node(settings: &mut Settings, first: &TestApp) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    settings.listen = format!("127.0.0.1:{port}");
    settings.issuer = first.address.clone();
    let app = Application::build_with(settings.clone(), listener, first.clock.clone())
        .await
        .expect("build node");
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        state,
        browser: http_client(true),
        api: http_client(false),
        client_secret: first.client_secret.clone(),
        user_id: first.user_id.clone(),
        pg_database: None,
        clock: first.clock.clone(),
        _dir: crate::tempdir::tempdir().expect("temp dir"),
    }
}

impl TestApp {
    /// POST /introspect as the confidential client, without asserting the status.
    pub async fn introspect_raw(&self, token: &str) -> reqwest::Response {
        self.api
            .post(self.url("/introspect"))
            .basic_auth(CONFIDENTIAL_ID, Some(&self.client_secret))
            .form(&[("token", token)])
            .send()
            .await
            .expect("introspect")
    }
}

// Shared by the back-channel test files (client_auth, refresh, userinfo, ...).

/// Password grant for the confidential client; asserts 200 and returns the JSON body.
pub async fn password_tokens(app: &TestApp, scope: &str) -> Value {
    let res = app
        .token(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", PASSWORD),
            ("scope", scope),
        ])
        .await;
    assert_eq!(res.status(), 200, "password grant failed");
    res.json().await.unwrap()
}

/// A client_credentials access token of the confidential client (no user, no openid).
pub async fn client_token(app: &TestApp) -> String {
    let res = app
        .token(&[("grant_type", "client_credentials"), ("scope", "api:read")])
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// `grant_type=refresh_token` for the confidential client.
pub async fn refresh(app: &TestApp, token: &str, scope: Option<&str>) -> reqwest::Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    app.token(&form).await
}

/// Asserts an RFC 6749 §5.2 error: the status, the exact `error`, and that no token was issued.
pub async fn error_body(res: reqwest::Response, status: u16, error: &str) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "status, body {body}");
    assert_eq!(body["error"], error, "error code, body {body}");
    for field in ["access_token", "refresh_token", "id_token"] {
        assert!(body.get(field).is_none(), "{field} issued with an error: {body}");
    }
    body
}

/// GET /userinfo with the token in the Authorization header.
pub async fn get_userinfo(app: &TestApp, token: &str) -> reqwest::Response {
    app.api
        .get(app.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// RFC 6750 §3.1: 401 with `WWW-Authenticate: Bearer ... error="invalid_token"`.
pub async fn assert_invalid_token(res: reqwest::Response) {
    assert_eq!(res.status(), 401);
    let challenge = header(&res, "www-authenticate");
    assert!(challenge.starts_with("Bearer "), "challenge: {challenge}");
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "challenge: {challenge}"
    );
}

/// RFC 6749 §5.1 / docs/security.md C.17.
pub fn assert_no_store(res: &reqwest::Response) {
    assert_eq!(header(res, "cache-control"), "no-store", "{}", res.url());
    assert_eq!(header(res, "pragma"), "no-cache", "{}", res.url());
}

/// A response header as text ("" when absent).
pub fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Part `i` (0 header, 1 payload) of a compact JWS, decoded as JSON.
pub fn jwt_part(token: &str, i: usize) -> Value {
    let part = token.split('.').nth(i).expect("JWS part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// base64url(JSON) without padding.
pub fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

/// Overwrites one column of a stored client with raw SQL (an operator editing the row), then drops
/// the server's cached clients, as the one-second bound of docs/security.md E.35 would: an edit that
/// bypasses the store is not announced. `value` is the column's stored JSON text.
pub fn set_client_column(app: &TestApp, client_id: &str, column: &str, value: &str) {
    use diesel::{Connection, RunQueryDsl};
    let url = app.state.settings.database.url.expose_secret().to_string();
    let sql = format!(
        "UPDATE clients SET {column} = '{}' WHERE client_id = '{client_id}'",
        value.replace('\'', "''")
    );
    let n = if url.starts_with("postgres") {
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        diesel::sql_query(sql).execute(&mut conn).unwrap()
    } else {
        let path = url.strip_prefix("sqlite://").unwrap();
        let mut conn = diesel::SqliteConnection::establish(path).unwrap();
        diesel::sql_query("PRAGMA busy_timeout = 5000")
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query(sql).execute(&mut conn).unwrap()
    };
    assert_eq!(n, 1, "client {client_id} updated");
    if let Some(cache) = app.state.ctx.store.client_cache() {
        cache.clear();
    }
}
