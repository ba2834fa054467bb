//! Settings: defaults -> TOML file (`--config` / `PORTCULLIS_CONFIG`) -> `PORTCULLIS_*`
//! environment (`__` between levels), plus `DATABASE_URL` and `REDIS_URL`
//! (docs/configuration.md explains every setting).

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::keys::Alg;

pub mod branding;
pub mod cidr;
pub mod email;
pub mod registration;
pub mod upstream;
mod validate;

pub use branding::BrandingSettings;
pub use cidr::Cidr;
pub use email::{EmailSettings, PasswordPolicySettings, SignupSettings, TlsMode};
pub use registration::{RegistrationMode, RegistrationSettings};
pub use upstream::{FederationSettings, UpstreamSettings};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The whole configuration. Every field has a safe default; see `portcullis.example.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The issuer identifier (OpenID Discovery §3, RFC 8414 §2): https, no query or fragment.
    /// http is accepted on loopback only, for development.
    pub issuer: String,
    /// Socket address to listen on; port 0 picks a free port.
    pub listen: String,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub tokens: TokenSettings,
    pub sessions: SessionSettings,
    pub argon2: Argon2Settings,
    pub keys: KeySettings,
    pub security: SecuritySettings,
    pub rate_limit: RateLimitSettings,
    pub log: LogSettings,
    /// `/metrics` (docs/operations.md, "Monitoring").
    pub metrics: MetricsSettings,
    pub par: ParSettings,
    pub dpop: DpopSettings,
    /// RFC 8628 device authorization (docs/guides/device.md).
    pub device: DeviceSettings,
    /// How Portcullis talks to upstream OpenID providers (docs/guides/federation.md).
    pub federation: FederationSettings,
    /// Clients that register themselves (docs/clients.md): RFC 7591/7592, Client ID Metadata
    /// Documents.
    pub registration: RegistrationSettings,
    /// How the sign-in pages look (docs/configuration.md, "Branding").
    pub branding: BrandingSettings,
    /// Mail to people: password reset, email verification (docs/guides/email.md).
    pub email: EmailSettings,
    /// Self-service sign-up, off by default (docs/guides/email.md).
    pub signup: SignupSettings,
    /// Rules for new passwords (docs/security.md N).
    pub password_policy: PasswordPolicySettings,
    /// `[[upstream]]`: OpenID providers users may sign in through (docs/guides/federation.md).
    /// Last: TOML writes arrays of tables after every plain table.
    pub upstream: Vec<UpstreamSettings>,
    /// Set by `serve --dev` (never from configuration): serves the demo client's landing page.
    #[serde(skip)]
    pub dev_mode: bool,
}

/// How requests reach the server (docs/security.md E.33).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Proxies and load balancers whose `X-Forwarded-For` / `Forwarded` (RFC 7239) headers, and
    /// `X-Request-Id`, are believed. Empty: the client address is always the TCP peer.
    #[serde(deserialize_with = "cidr::deserialize_list")]
    pub trusted_proxies: Vec<Cidr>,
    /// On SIGTERM or SIGINT: how long requests under way may take to finish (docs/operations.md).
    pub shutdown_timeout_secs: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            trusted_proxies: Vec::new(),
            shutdown_timeout_secs: 30,
        }
    }
}

/// `/metrics` in the Prometheus text format (docs/operations.md, "Monitoring").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Whether `/metrics` is served at all.
    pub enabled: bool,
    /// Client addresses (as `http.trusted_proxies` determines them) that may read `/metrics`;
    /// anyone else gets 404. Default: loopback and private networks, where scrapers live.
    #[serde(deserialize_with = "cidr::deserialize_list")]
    pub allow: Vec<Cidr>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        let allow = [
            "127.0.0.0/8",
            "::1/128",
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "fc00::/7",
        ];
        MetricsSettings {
            enabled: true,
            allow: allow.iter().filter_map(|c| c.parse().ok()).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path` (embedded default) or `postgres://...`. `DATABASE_URL` overrides it.
    #[serde(serialize_with = "ser_secret")]
    pub url: SecretString,
    /// Connections in the pool.
    pub pool_size: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// When set, short-lived state lives in Redis (many nodes, one issuer). `REDIS_URL` overrides it.
    #[serde(serialize_with = "ser_opt_secret")]
    pub url: Option<SecretString>,
    /// Prefix of every key and channel (`<prefix>:code:...`): every node of one issuer uses the
    /// same prefix; another issuer sharing the Redis server uses another.
    pub key_prefix: String,
}

/// Token lifetimes in seconds (RFC 9700 §2.2: short-lived access tokens; §4.14 refresh limits).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenSettings {
    /// RFC 6749 §4.1.2 recommends at most 10 minutes for codes; 60 s leaves no room for replay.
    pub code_ttl_secs: u64,
    /// Access tokens cannot be recalled from resource servers that verify them offline: keep them short.
    pub access_token_ttl_secs: u64,
    pub id_token_ttl_secs: u64,
    /// A refresh token unused this long expires (idle lifetime).
    pub refresh_idle_ttl_secs: u64,
    /// No refresh beyond this since the login that began the family (absolute lifetime).
    pub refresh_absolute_ttl_secs: u64,
    /// `aud` of access tokens (RFC 9068 §3); defaults to the issuer.
    pub audience: Option<String>,
    /// How long a pending authorization request waits for login and consent.
    pub auth_request_ttl_secs: u64,
    /// How long a new pending authorization request waits until its login form is submitted
    /// (at most `auth_request_ttl_secs`); then it waits `auth_request_ttl_secs`. Keeps what
    /// unauthenticated requests can park short-lived (docs/security.md A.7).
    pub auth_request_first_ttl_secs: u64,
    /// RFC 8693: a token exchange may also issue a refresh token (never for a delegated token,
    /// docs/security.md J.8). Off: the client exchanges again.
    pub exchange_refresh_tokens: bool,
    /// Algorithm of access tokens (RFC 9068) unless a client or an API asks for another
    /// (docs/security.md C.15): ES256 signs about fifteen times cheaper than RS256.
    pub access_token_alg: Alg,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    pub cookie_name: String,
    /// A login session unused this long ends (docs/security.md D.21).
    pub idle_ttl_secs: u64,
    /// A login session ends this long after login, however active.
    pub absolute_ttl_secs: u64,
}

/// Argon2id parameters (RFC 9106; OWASP: m=19456 KiB, t=2, p=1).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2Settings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hashing threads; 0 means one per core. Each holds `memory_kib` while it hashes.
    pub threads: usize,
    /// Password checks waiting for a hashing thread; past it the answer is 503 with `Retry-After`.
    /// 0 means four per hashing thread.
    pub queue_limit: usize,
}

impl Argon2Settings {
    /// The number of hashing threads: `threads`, or one per core.
    pub fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }

    /// How many password checks may wait for a thread: `queue_limit`, or four per thread.
    pub fn queue_bound(&self) -> usize {
        match self.queue_limit {
            0 => 4 * self.thread_count(),
            n => n,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeySettings {
    /// 32-byte master key (64 hex chars) that seals private signing keys at rest.
    /// Never stored in the database. `PORTCULLIS_KEYS__MASTER_KEY`.
    #[serde(serialize_with = "ser_opt_secret")]
    pub master_key: Option<SecretString>,
    /// Without `master_key`: a key file created with 0600 permissions (development only).
    pub master_key_file: PathBuf,
    /// Automatic rotation period in days; 0 turns automatic rotation off.
    pub rotation_days: u64,
    /// A new key is published this long before it signs, so cached JWKS learn it first.
    pub publish_delay_secs: u64,
    /// Default algorithm of ID tokens (a client may register another): RS256 (OpenID Core's
    /// default), ES256, EdDSA. Access tokens follow `tokens.access_token_alg`.
    pub default_alg: Alg,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecuritySettings {
    /// RFC 7636 `plain` is refused unless this is set (RFC 9700 §2.1.1).
    pub allow_plain_pkce: bool,
    /// RFC 6750 §2.3 query-string bearer tokens: off (RFC 9700 §4.3.2 / docs/security.md C.16).
    pub allow_query_bearer: bool,
    /// Largest request body accepted, in bytes (docs/security.md E.28).
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Failed logins per username within the window before the account is locked for the window.
    pub failures_per_user: u64,
    /// Failed logins and password grants per client address (an IPv6 /64) within the window
    /// before that address is locked for the window (docs/security.md E.33).
    pub attempts_per_ip: u64,
    pub window_secs: u64,
    /// Requests to `/authorize` per client IP within `authorize_window_secs`; beyond it, 429 with
    /// `Retry-After` (docs/security.md A.7). 0 turns the limit off.
    pub authorize_per_ip: u64,
    /// The counting window of `authorize_per_ip`.
    pub authorize_window_secs: u64,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Compact, human-readable lines (a terminal).
    Pretty,
    /// One JSON object per line (log collectors).
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    /// An `EnvFilter` directive; `RUST_LOG` overrides it.
    pub level: String,
}

/// RFC 9126: pushed authorization requests (docs/security.md F.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParSettings {
    /// RFC 9126 §5: every client must push its authorization requests; plain ones are refused.
    pub required: bool,
    /// Lifetime of a `request_uri` (RFC 9126 §2.2 `expires_in`): long enough for one redirect.
    pub request_uri_ttl_secs: u64,
}

/// RFC 8628: the device authorization grant (docs/guides/device.md, docs/security.md L).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceSettings {
    /// `/device_authorization`, `/device` and the `device_code` grant are served and advertised.
    pub enabled: bool,
    /// RFC 8628 §3.2 `expires_in`: how long the user has to enter the code and approve.
    pub code_ttl_secs: u64,
    /// RFC 8628 §3.2 `interval`: the least number of seconds between two polls of the device.
    pub interval_secs: u64,
    /// RFC 8628 §5.1: wrong user codes per client address, and per signed-in user, within
    /// `rate_limit.window_secs` before `/device` refuses further codes for the rest of the window.
    pub user_code_failures: u64,
}

/// RFC 9449: DPoP proofs (docs/security.md F.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DpopSettings {
    /// RFC 9449 §11.1: a proof's `iat` may be this far from now, either way; its `jti` is
    /// remembered about twice as long.
    pub iat_window_secs: u64,
    /// RFC 9449 §8: proofs must carry a nonce the server issued (`DPoP-Nonce`).
    pub require_nonce: bool,
    /// How often the server nonce changes; a nonce is accepted for about two periods.
    pub nonce_period_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            issuer: "http://127.0.0.1:8080".into(),
            listen: "127.0.0.1:8080".into(),
            workers: 0,
            http: HttpSettings::default(),
            database: DatabaseSettings::default(),
            redis: RedisSettings::default(),
            tokens: TokenSettings::default(),
            sessions: SessionSettings::default(),
            argon2: Argon2Settings::default(),
            keys: KeySettings::default(),
            security: SecuritySettings::default(),
            rate_limit: RateLimitSettings::default(),
            log: LogSettings::default(),
            metrics: MetricsSettings::default(),
            par: ParSettings::default(),
            dpop: DpopSettings::default(),
            device: DeviceSettings::default(),
            federation: FederationSettings::default(),
            registration: RegistrationSettings::default(),
            branding: BrandingSettings::default(),
            email: EmailSettings::default(),
            signup: SignupSettings::default(),
            password_policy: PasswordPolicySettings::default(),
            upstream: Vec::new(),
            dev_mode: false,
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: SecretString::from("sqlite://portcullis.db"),
            pool_size: 8,
        }
    }
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            url: None,
            key_prefix: "pc".into(),
        }
    }
}

impl Default for TokenSettings {
    fn default() -> Self {
        TokenSettings {
            code_ttl_secs: 60,
            access_token_ttl_secs: 15 * 60,
            id_token_ttl_secs: 60 * 60,
            refresh_idle_ttl_secs: 14 * 24 * 3600,
            refresh_absolute_ttl_secs: 90 * 24 * 3600,
            audience: None,
            auth_request_ttl_secs: 30 * 60,
            auth_request_first_ttl_secs: 10 * 60,
            exchange_refresh_tokens: false,
            access_token_alg: Alg::Es256,
        }
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            cookie_name: "portcullis_session".into(),
            idle_ttl_secs: 8 * 3600,
            absolute_ttl_secs: 7 * 24 * 3600,
        }
    }
}

impl Default for Argon2Settings {
    fn default() -> Self {
        Argon2Settings {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
            threads: 0,
            queue_limit: 0,
        }
    }
}

impl Default for KeySettings {
    fn default() -> Self {
        KeySettings {
            master_key: None,
            master_key_file: PathBuf::from("portcullis.master.key"),
            rotation_days: 90,
            publish_delay_secs: 600,
            default_alg: Alg::Rs256,
        }
    }
}

impl Default for SecuritySettings {
    fn default() -> Self {
        SecuritySettings {
            allow_plain_pkce: false,
            allow_query_bearer: false,
            max_body_bytes: 64 * 1024,
        }
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            failures_per_user: 5,
            attempts_per_ip: 50,
            window_secs: 15 * 60,
            authorize_per_ip: 120,
            authorize_window_secs: 60,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::Pretty,
            level: "info,portcullis=info".into(),
        }
    }
}

impl Default for ParSettings {
    fn default() -> Self {
        ParSettings {
            required: false,
            request_uri_ttl_secs: 60,
        }
    }
}

impl Default for DeviceSettings {
    fn default() -> Self {
        DeviceSettings {
            enabled: true,
            code_ttl_secs: 600,
            interval_secs: 5,
            user_code_failures: 10,
        }
    }
}

impl Default for DpopSettings {
    fn default() -> Self {
        DpopSettings {
            iat_window_secs: 60,
            require_nonce: false,
            nonce_period_secs: 300,
        }
    }
}

/// Database URLs are shown with their password masked.
fn ser_secret<S: serde::Serializer>(v: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&mask_url(v.expose_secret()))
}

fn mask_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("********"));
            u.to_string()
        }
        Ok(_) => raw.to_string(),
        Err(_) => "********".to_string(),
    }
}

pub(crate) fn ser_opt_secret<S: serde::Serializer>(
    v: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_some("********"),
        None => s.serialize_none(),
    }
}

impl Settings {
    /// Loads defaults, then `file` (or `PORTCULLIS_CONFIG`), then the environment, and validates.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("PORTCULLIS_CONFIG").map(PathBuf::from));
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Invalid(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        // `PORTCULLIS_UPSTREAM` (the whole list, TOML/JSON) goes through figment; the per-upstream
        // `PORTCULLIS_UPSTREAM__<ID>__<FIELD>` are applied below (figment cannot index arrays).
        figment = figment.merge(
            Env::prefixed("PORTCULLIS_")
                .split("__")
                .ignore(&["config"])
                .filter(|k| !k.as_str().to_ascii_lowercase().starts_with("upstream.")),
        );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(("database.url", url));
        }
        if let Ok(url) = std::env::var("REDIS_URL") {
            figment = figment.merge(("redis.url", url));
        }
        let mut settings: Settings = figment.extract().map_err(|e| ConfigError::Load(Box::new(e)))?;
        upstream::apply_env(&mut settings.upstream, std::env::vars())?;
        settings.validate()?;
        Ok(settings)
    }

    /// True when the issuer is https: cookies get `Secure`, pages get HSTS.
    pub fn is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// `aud` of access tokens.
    pub fn audience(&self) -> &str {
        self.tokens.audience.as_deref().unwrap_or(&self.issuer)
    }

    /// The effective configuration as TOML with secrets masked (`portcullis config check`).
    pub fn to_masked_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# could not render: {e}"))
    }
}

/// RFC 8252 §7.3 loopback hosts. `localhost` counts for the issuer (development) only.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(change: impl FnOnce(&mut Settings)) -> Settings {
        let mut s = Settings::default();
        change(&mut s);
        s
    }

    #[test]
    fn every_lifetime_is_validated() {
        let bad = [
            with(|s| s.tokens.refresh_absolute_ttl_secs = 0),
            with(|s| s.tokens.refresh_idle_ttl_secs = 0),
            with(|s| s.tokens.refresh_idle_ttl_secs = s.tokens.refresh_absolute_ttl_secs + 1),
            with(|s| s.tokens.auth_request_ttl_secs = 0),
            with(|s| s.tokens.auth_request_ttl_secs = 86_401),
            with(|s| s.tokens.code_ttl_secs = 0),
            with(|s| s.tokens.access_token_ttl_secs = 0),
            with(|s| s.tokens.id_token_ttl_secs = 0),
            with(|s| s.sessions.idle_ttl_secs = 0),
            with(|s| s.sessions.absolute_ttl_secs = 0),
            with(|s| s.sessions.idle_ttl_secs = s.sessions.absolute_ttl_secs + 1),
            with(|s| s.tokens.auth_request_first_ttl_secs = 0),
            with(|s| s.tokens.auth_request_first_ttl_secs = 86_401),
            with(|s| s.rate_limit.authorize_window_secs = 0),
            with(|s| s.rate_limit.authorize_window_secs = 3601),
            with(|s| s.par.request_uri_ttl_secs = 4),
            with(|s| s.par.request_uri_ttl_secs = 601),
            with(|s| s.dpop.iat_window_secs = 4),
            with(|s| s.dpop.iat_window_secs = 601),
            with(|s| s.dpop.nonce_period_secs = 29),
            with(|s| s.dpop.nonce_period_secs = 3601),
            with(|s| s.device.code_ttl_secs = 59),
            with(|s| s.device.code_ttl_secs = 1801),
            with(|s| s.device.interval_secs = 0),
            with(|s| s.device.interval_secs = 61),
            with(|s| s.device.user_code_failures = 0),
        ];
        for (i, s) in bad.iter().enumerate() {
            assert!(s.validate().is_err(), "case {i} must be refused");
        }
    }

    /// docs/security.md E.32: the `__Host-` prefix is added on https; a configured prefix is refused.
    #[test]
    fn cookie_names_with_a_prefix_are_refused() {
        for name in ["__Host-sid", "__secure-sid", "__HOST-x", "a b", ""] {
            assert!(
                with(|s| s.sessions.cookie_name = name.into()).validate().is_err(),
                "{name}"
            );
        }
        assert!(
            with(|s| s.sessions.cookie_name = "host_sid".into())
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn algorithms_and_log_formats_are_typed() {
        let toml = "[keys]\ndefault_alg = \"ES256\"\n[log]\nformat = \"json\"\n";
        let s: Settings = toml::from_str(toml).unwrap_or_default();
        assert_eq!(s.keys.default_alg, Alg::Es256);
        assert_eq!(s.log.format, LogFormat::Json);
        assert!(toml::from_str::<Settings>("[keys]\ndefault_alg = \"HS256\"\n").is_err());
        assert!(toml::from_str::<Settings>("[log]\nformat = \"xml\"\n").is_err());
    }

    /// docs/security.md C.15: access tokens default to ES256, ID tokens to RS256 (OpenID Core
    /// §15.1); `tokens.access_token_alg` is typed like `keys.default_alg`.
    #[test]
    fn access_tokens_default_to_es256_and_id_tokens_to_rs256() {
        let s = Settings::default();
        assert_eq!(s.tokens.access_token_alg, Alg::Es256);
        assert_eq!(s.keys.default_alg, Alg::Rs256);
        let s: Settings = toml::from_str("[tokens]\naccess_token_alg = \"EdDSA\"\n").unwrap_or_default();
        assert_eq!(s.tokens.access_token_alg, Alg::EdDsa);
        assert!(toml::from_str::<Settings>("[tokens]\naccess_token_alg = \"HS256\"\n").is_err());
    }

    #[test]
    fn http_issuer_off_loopback_is_refused() {
        let s = Settings {
            issuer: "http://id.example.com".into(),
            ..Settings::default()
        };
        assert!(s.validate().is_err());
        let s = Settings {
            issuer: "https://id.example.com".into(),
            ..Settings::default()
        };
        assert!(s.validate().is_ok());
        let s = Settings {
            issuer: "http://[::1]:8080".into(),
            ..Settings::default()
        };
        assert!(s.validate().is_ok());
    }

    #[test]
    fn defaults_are_valid_and_secrets_are_masked() {
        let mut s = Settings::default();
        s.keys.master_key = Some(SecretString::from("ab".repeat(32)));
        s.database.url = SecretString::from("postgres://app:hunter2@db.internal/portcullis");
        assert!(s.validate().is_ok());
        let out = s.to_masked_toml();
        assert!(out.contains("********"));
        assert!(!out.contains("abab"));
        assert!(!out.contains("hunter2"));
        assert!(out.contains("db.internal"));
    }
}
