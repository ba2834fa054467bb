//! `portcullis serve [--dev]`: runs the server; with `--dev` on an empty database, first creates a
//! demo user and a demo public client and prints a ready-to-open authorization request
//! (RFC 6749 §4.1.1 with RFC 7636 S256 PKCE, OpenID Core §3.1.2.1).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::{CliError, open_store, output};
use crate::accounts::password::PasswordHasher;
use crate::clock::Clock;
use crate::config::Settings;
use crate::keys::seal::MasterKey;
use crate::oauth::scope::STANDARD_SCOPES;
use crate::oauth::scope::Scope;
use crate::random::{random_id, random_token};
use crate::startup::Application;
use crate::storage::{Client, DynStore, GrantType, NewUser};

/// The demo client's client_id.
pub const DEMO_CLIENT_ID: &str = "demo-app";
/// The demo user's username.
pub const DEMO_USERNAME: &str = "demo";
const DEMO_SCOPE: &str = "openid profile email offline_access";

/// What `--dev` prints once the server is up.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    pub password: String,
    pub code_verifier: String,
    pub state: String,
    pub nonce: String,
}

pub async fn run(mut settings: Settings, dev: bool) -> Result<(), CliError> {
    settings.dev_mode = dev;
    require_master_key(&settings)?;
    if settings.registration.cimd_allow_http_loopback {
        // docs/security.md K.3: a switch for tests; never in production.
        tracing::warn!(
            "!!! registration.cimd_allow_http_loopback is ON: client metadata documents and jwks_uri \
             are fetched over plain http from 127.0.0.1. This is for tests only; turn it off in production !!!"
        );
    }
    let seed = if dev {
        let store = open_store(&settings).await?;
        seed_demo(&store, &settings).await?
    } else {
        None
    };
    let app = Application::build(settings).await?;
    if dev {
        match seed {
            Some(seed) => output::line(&demo_instructions(app.issuer(), &seed))?,
            None => output::line(
                "dev mode: the demo data was not created because the database already has users or clients",
            )?,
        }
    }
    app.run_until_stopped().await?;
    Ok(())
}

/// docs/security.md E.24: outside `--dev`, an https issuer needs a configured master key; checked
/// before anything is opened or created.
pub fn require_master_key(settings: &Settings) -> Result<(), CliError> {
    if settings.dev_mode || !settings.is_https() {
        return Ok(());
    }
    Ok(MasterKey::require_configured(&settings.keys)?)
}

/// Creates the demo user and client, only when the database has no users and no clients.
pub async fn seed_demo(store: &DynStore, settings: &Settings) -> Result<Option<DemoSeed>, CliError> {
    if store.count_users().await? > 0 || store.count_clients().await? > 0 {
        return Ok(None);
    }
    let password = random_token(12);
    let hasher = PasswordHasher::new(&settings.argon2)?;
    let t = Clock::system().now();
    store
        .create_user(NewUser {
            id: random_id(),
            username: DEMO_USERNAME.into(),
            email: Some("demo@example.com".into()),
            email_verified: false,
            name: Some("Demo User".into()),
            password_hash: hasher.hash(password.clone()).await?,
            created_at: t,
        })
        .await?;
    store
        .create_client(Client {
            client_id: DEMO_CLIENT_ID.into(),
            name: "Demo app".into(),
            secret_hash: None,
            redirect_uris: vec![dev_redirect_uri(&settings.issuer)],
            post_logout_redirect_uris: Vec::new(),
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            scopes: Scope::from_tokens(STANDARD_SCOPES),
            first_party: true,
            id_token_signed_response_alg: settings.keys.default_alg,
            access_token_alg: None,
            created_at: t,
            resource_server: false,
            require_pushed_authorization_requests: false,
            require_mfa: false,
            groups: Default::default(),
            backchannel_logout: None,
            upstreams: Vec::new(),
            password_login: true,
            registration: Default::default(),
        })
        .await?;
    Ok(Some(DemoSeed {
        password,
        code_verifier: random_token(32),
        state: random_token(16),
        nonce: random_token(16),
    }))
}

/// The demo client's redirect URI: the `/dev/callback` page of this server.
pub fn dev_redirect_uri(issuer: &str) -> String {
    format!("{issuer}/dev/callback")
}

/// RFC 7636 §4.2: `BASE64URL(SHA256(ASCII(code_verifier)))`.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 3986 §2.3: percent-encodes everything but unreserved characters (spaces become `%20`).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// RFC 6749 §4.1.1 + RFC 7636 §4.3 + OpenID Core §3.1.2.1: the demo authorization request.
pub fn dev_authorization_url(issuer: &str, seed: &DemoSeed) -> String {
    let params = [
        ("response_type", "code".to_string()),
        ("client_id", DEMO_CLIENT_ID.to_string()),
        ("redirect_uri", dev_redirect_uri(issuer)),
        ("scope", DEMO_SCOPE.to_string()),
        ("state", seed.state.clone()),
        ("nonce", seed.nonce.clone()),
        ("code_challenge", s256_challenge(&seed.code_verifier)),
        ("code_challenge_method", "S256".to_string()),
    ];
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    format!("{issuer}/authorize?{}", query.join("&"))
}

/// RFC 6749 §4.1.3 + RFC 7636 §4.5: the curl command that exchanges the code (a public client).
pub fn dev_token_curl(issuer: &str, code_verifier: &str) -> String {
    dev_token_curl_for(issuer, code_verifier, "PASTE_THE_CODE_HERE")
}

/// [`dev_token_curl`] with the code filled in (the `/dev/callback` page).
pub fn dev_token_curl_for(issuer: &str, code_verifier: &str, code: &str) -> String {
    format!(
        "curl -s -X POST '{issuer}/token' \\\n  -d grant_type=authorization_code -d client_id={DEMO_CLIENT_ID} \\\n  \
         --data-urlencode 'redirect_uri={}' \\\n  -d code_verifier={code_verifier} -d code={code}",
        dev_redirect_uri(issuer)
    )
}

/// The text `serve --dev` prints after seeding.
pub fn demo_instructions(issuer: &str, seed: &DemoSeed) -> String {
    format!(
        "\n== Portcullis development mode ==\n\
         Demo user:      {DEMO_USERNAME}\n\
         Password:       {}\n\
         Demo client:    {DEMO_CLIENT_ID} (public, first-party)\n\
         code_verifier:  {}\n\n\
         1. Open this URL and sign in:\n{}\n\n\
         2. Copy the code shown on the callback page, then exchange it:\n{}\n",
        seed.password,
        seed.code_verifier,
        dev_authorization_url(issuer, seed),
        dev_token_curl(issuer, &seed.code_verifier),
    )
}
