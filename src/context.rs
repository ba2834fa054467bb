//! What the flows see (docs/architecture.md, "Layers"): the stores, the key ring, the clock and
//! the few settings the protocol needs. Everything below the endpoints takes a `&Context`, never
//! the whole application state, so a flow can be unit-tested with an in-memory store and a test
//! clock.

use std::sync::Arc;

use crate::accounts::password::PasswordHasher;
use crate::clock::Clock;
use crate::config::{
    DeviceSettings, DpopSettings, ParSettings, RateLimitSettings, RegistrationSettings, SessionSettings,
    Settings, TokenSettings,
};
use crate::federation::Upstreams;
use crate::keys::notify::{Publisher, Topic};
use crate::keys::{Alg, KeyRing};
use crate::storage::{DynEphemeral, DynStore};
use crate::tokens::revoked::RevokedJtis;

/// The narrow context of the flow layer (grants, interaction, tokens, OpenID). Cheap to share.
#[derive(Clone)]
pub struct Context {
    /// The system of record.
    pub store: DynStore,
    /// Short-lived shared state (codes, pending requests, sessions, CSRF tokens, counters).
    pub ephemeral: DynEphemeral,
    /// This node's cache of revoked access-token ids (docs/security.md E.30).
    pub revoked: Arc<RevokedJtis>,
    pub keys: Arc<KeyRing>,
    pub clock: Clock,
    /// The issuer identifier (`iss`), without a trailing slash.
    pub issuer: Arc<str>,
    /// `aud` of access tokens when no resource is named: `tokens.audience`, else the issuer.
    pub audience: Arc<str>,
    /// Default algorithm of ID tokens (`keys.default_alg`); access tokens: `tokens.access_token_alg`.
    pub default_alg: Alg,
    pub tokens: TokenSettings,
    pub sessions: SessionSettings,
    /// Limits on password attempts (login form and password grant).
    pub rate_limit: RateLimitSettings,
    /// Argon2id hashing on its own threads.
    pub hasher: PasswordHasher,
    /// Pushed authorization requests (RFC 9126).
    pub par: ParSettings,
    /// DPoP proofs (RFC 9449).
    pub dpop: DpopSettings,
    /// RFC 8628 device authorization.
    pub device: DeviceSettings,
    /// Upstream OpenID providers (docs/guides/federation.md).
    pub upstreams: Arc<Upstreams>,
    /// Clients that register themselves (docs/clients.md).
    pub registration: RegistrationSettings,
    /// Mail to people (docs/guides/email.md): the outbox and its settings.
    pub mail: crate::mail::Outbox,
    pub email: crate::config::EmailSettings,
    /// Self-service sign-up (docs/guides/email.md).
    pub signup: crate::config::SignupSettings,
    /// Rules for new passwords (docs/security.md N.6).
    pub password_policy: crate::config::PasswordPolicySettings,
}

/// What a [`Context`] is built from besides the settings.
pub struct Parts {
    pub store: DynStore,
    pub ephemeral: DynEphemeral,
    pub keys: Arc<KeyRing>,
    pub clock: Clock,
    pub hasher: PasswordHasher,
}

impl Context {
    /// The context for `settings` over already-connected stores. Its revocation cache starts
    /// empty and untrusted: until [`RevokedJtis::sync`] has read the table, checks ask the database.
    pub fn new(settings: &Settings, parts: Parts) -> Context {
        let publisher = Publisher::new(&settings.redis, Topic::Revocations);
        Context {
            store: parts.store,
            ephemeral: parts.ephemeral,
            revoked: Arc::new(RevokedJtis::new(publisher)),
            keys: parts.keys,
            clock: parts.clock,
            issuer: Arc::from(settings.issuer.as_str()),
            audience: Arc::from(settings.audience()),
            default_alg: settings.keys.default_alg,
            tokens: settings.tokens.clone(),
            sessions: settings.sessions.clone(),
            rate_limit: settings.rate_limit.clone(),
            hasher: parts.hasher,
            par: settings.par.clone(),
            dpop: settings.dpop.clone(),
            device: settings.device.clone(),
            upstreams: Arc::new(Upstreams::new(&settings.upstream, &settings.federation)),
            registration: settings.registration.clone(),
            mail: crate::mail::Outbox::from_settings(&settings.email),
            email: settings.email.clone(),
            signup: settings.signup.clone(),
            password_policy: settings.password_policy.clone(),
        }
    }

    /// Now, in whole seconds.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// Facts about the HTTP request that a flow may record (account page, audit log, rate limits);
/// never used for decisions beyond rate limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The client's IP address (the TCP peer, or what a trusted proxy reports; docs/security.md
    /// E.33), or "unknown".
    pub ip: String,
    /// The `User-Agent`, at most 256 characters.
    pub user_agent: Option<String>,
}
