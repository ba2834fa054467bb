//! Unit-test support: a [`Context`] over an in-memory SQLite store with a fixed clock, a user
//! and three clients, so flows are tested without HTTP (docs/architecture.md, "Tests").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use secrecy::SecretString;

use crate::accounts::password::PasswordHasher;
use crate::accounts::session::{self, LoginSession};
use crate::clock::Clock;
use crate::config::Settings;
use crate::context::{Context, Parts, RequestMeta};
use crate::digest::sha256_hex;
use crate::keys::{self, Alg, GeneratedKey, KeyRing, MasterKey};
use crate::oauth::authorization_request::{self, AuthorizationRequest};
use crate::oauth::params::ParamMap;
use crate::oauth::pkce::PkcePolicy;
use crate::oauth::scope::Scope;
use crate::random::random_id;
use crate::storage::diesel::DieselStore;
use crate::storage::ephemeral::sql::SqlEphemeral;
use crate::storage::{AuthMethod, Client, DynStore, GrantType, NewUser, Store, User};

/// 2027-01-15 08:00:00 UTC, in milliseconds: where every test clock starts.
pub const T0_MS: i64 = 1_800_000_000_000;
pub const ISSUER: &str = "https://id.example.com";
pub const REDIRECT_URI: &str = "https://app.example.com/cb";
pub const FIRST_PARTY: &str = "web-app";
pub const THIRD_PARTY: &str = "partner";
pub const PUBLIC: &str = "spa";
/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A provider without HTTP: its context, a user and the clients.
pub struct World {
    pub ctx: Context,
    pub user: User,
}

impl World {
    pub async fn client(&self, client_id: &str) -> Client {
        self.ctx.store.client_by_id(client_id).await.unwrap().unwrap()
    }

    /// A login session of the user, started now.
    pub async fn sign_in(&self) -> LoginSession {
        let (_, s) = session::create(&self.ctx, &self.user.id, vec![AuthMethod::Password])
            .await
            .unwrap();
        s
    }

    pub fn advance(&self, secs: u64) {
        self.ctx.clock.advance(Duration::from_secs(secs));
    }

    /// An authorization request of `client_id` with PKCE, validated as `/authorize` would.
    pub async fn request(&self, client_id: &str, extra: &str) -> AuthorizationRequest {
        let q = format!(
            "response_type=code&client_id={client_id}&redirect_uri={}&scope=openid+offline_access\
             &state=st&nonce=n-1&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
            crate::cli::serve::percent_encode(REDIRECT_URI)
        );
        let params = ParamMap::from_urlencoded(q.as_bytes()).unwrap();
        let client = self.client(client_id).await;
        let uri = authorization_request::resolve_redirect_uri(&params, Some(&client)).unwrap();
        authorization_request::validate(&params, &client, uri, PkcePolicy::S256Only).unwrap()
    }
}

pub fn meta() -> RequestMeta {
    RequestMeta {
        ip: "203.0.113.7".into(),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0".into()),
    }
}

/// A fresh in-memory provider at [`T0_MS`]. Its RS256 key is the test process's shared pair
/// ([`RSA_KEY_PAIR`]); its other keys are made at start.
pub async fn world() -> World {
    build_world(true).await
}

/// [`world`], with every signing key made at start as on a new server (for tests of start-up).
pub async fn world_generating_keys() -> World {
    build_world(false).await
}

async fn build_world(shared_rsa_key: bool) -> World {
    let mut settings = Settings {
        issuer: ISSUER.into(),
        ..Settings::default()
    };
    settings.keys.master_key = Some(SecretString::from("ab".repeat(32)));
    settings.argon2.memory_kib = 64;
    settings.argon2.iterations = 1;
    let clock = Clock::fixed(T0_MS);
    let db = DieselStore::connect("sqlite::memory:", 1).await.unwrap();
    db.migrate().await.unwrap();
    let ephemeral = Arc::new(SqlEphemeral::new(db.pool(), clock.clone()));
    let store: DynStore = Arc::new(db);
    if shared_rsa_key {
        seed_rs256_key(&store, &settings, clock.now()).await;
    }
    let keys = KeyRing::load(
        store.clone(),
        &settings.keys,
        settings.tokens.access_token_alg,
        clock.clone(),
    )
    .await
    .unwrap();
    let hasher = PasswordHasher::new(&settings.argon2).unwrap();
    let user = store
        .create_user(NewUser {
            id: random_id(),
            username: "alice".into(),
            email: Some("alice@example.com".into()),
            email_verified: true,
            name: Some("Alice".into()),
            password_hash: hasher.hash_blocking("correct horse").unwrap(),
            created_at: clock.now() - 10,
        })
        .await
        .unwrap();
    for (client_id, first_party, secret) in [
        (FIRST_PARTY, true, Some("secret")),
        (THIRD_PARTY, false, Some("secret")),
        (PUBLIC, true, None),
    ] {
        store
            .create_client(client(client_id, first_party, secret))
            .await
            .unwrap();
    }
    let parts = Parts {
        store,
        ephemeral,
        keys,
        clock,
        hasher,
    };
    World {
        ctx: Context::new(&settings, parts),
        user,
    }
}

/// The RSA key pair behind every world's RS256 key in this test process, under a `kid` of each
/// world's own: a 2048-bit key costs tens of milliseconds to make, and `keys::generate`'s own tests
/// and rotation still make theirs (docs/architecture.md, "Tests").
static RSA_KEY_PAIR: OnceLock<GeneratedKey> = OnceLock::new();

/// Stores the process's RSA pair as the world's active RS256 key, which `KeyRing::load` would
/// otherwise generate.
async fn seed_rs256_key(store: &DynStore, settings: &Settings, now: i64) {
    if settings.keys.default_alg != Alg::Rs256 {
        return;
    }
    let pair = RSA_KEY_PAIR.get_or_init(|| keys::generate(Alg::Rs256).unwrap());
    let key = pair.with_kid(random_id()).unwrap();
    let master = MasterKey::from_settings(&settings.keys).unwrap();
    store
        .insert_key(keys::seal_row(&key, &master, now, now).unwrap())
        .await
        .unwrap();
}

/// A confidential first-party client fixture.
pub fn client_fixture(client_id: &str) -> Client {
    client(client_id, true, Some("secret"))
}

fn client(client_id: &str, first_party: bool, secret: Option<&str>) -> Client {
    Client {
        client_id: client_id.into(),
        name: format!("App {client_id}"),
        secret_hash: secret.map(sha256_hex),
        redirect_uris: vec![REDIRECT_URI.into()],
        post_logout_redirect_uris: Vec::new(),
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: Scope::from_tokens(["openid", "profile", "email", "offline_access"]),
        first_party,
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
    }
}
