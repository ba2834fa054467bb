//! Start-up checks of the settings (docs/configuration.md): an https issuer off loopback,
//! every lifetime within its bounds, a well-formed master key and database URL.

use secrecy::ExposeSecret;

use super::{ConfigError, Settings, is_loopback_host};

type Checked = Result<(), ConfigError>;

fn invalid(message: impl Into<String>) -> Checked {
    Err(ConfigError::Invalid(message.into()))
}

impl Settings {
    /// Refuses settings the server must not start with.
    pub fn validate(&self) -> Checked {
        self.validate_issuer()?;
        self.validate_token_lifetimes()?;
        self.validate_sessions()?;
        self.validate_secrets_and_stores()?;
        self.validate_limits()?;
        self.validate_par_and_dpop()?;
        self.validate_device()?;
        self.registration.validate()?;
        self.branding.validate()?;
        self.email.validate()?;
        self.password_policy.validate()?;
        super::upstream::validate(&self.upstream, &self.federation)
    }

    /// RFC 8628 §3.2, §5.1: a code lives 1 to 30 minutes, polls come 1 to 60 s apart, and some
    /// wrong user codes are allowed before the limit.
    fn validate_device(&self) -> Checked {
        let d = &self.device;
        if !(60..=1800).contains(&d.code_ttl_secs) {
            return invalid("device.code_ttl_secs must be 60..=1800 (RFC 8628 §3.2)");
        }
        if !(1..=60).contains(&d.interval_secs) {
            return invalid("device.interval_secs must be 1..=60 (RFC 8628 §3.2)");
        }
        if !(1..=1000).contains(&d.user_code_failures) {
            return invalid("device.user_code_failures must be 1..=1000 (RFC 8628 §5.1)");
        }
        Ok(())
    }

    /// RFC 8414 §2: an https URL without query or fragment (http only on loopback, for development).
    fn validate_issuer(&self) -> Checked {
        let issuer = url::Url::parse(&self.issuer)
            .map_err(|e| ConfigError::Invalid(format!("issuer {:?} is not a URL: {e}", self.issuer)))?;
        if issuer.query().is_some() || issuer.fragment().is_some() {
            return invalid("issuer must not have a query or fragment (RFC 8414 §2)");
        }
        if self.issuer.ends_with('/') {
            return invalid("issuer must not end with '/'");
        }
        match issuer.scheme() {
            "https" => Ok(()),
            "http" if is_loopback_host(issuer.host_str().unwrap_or_default()) => Ok(()),
            "http" => {
                invalid("issuer must be https unless its host is loopback (127.0.0.1, [::1], localhost)")
            }
            other => invalid(format!("issuer scheme {other} is not https")),
        }
    }

    fn validate_token_lifetimes(&self) -> Checked {
        let t = &self.tokens;
        if !(1..=600).contains(&t.code_ttl_secs) {
            return invalid("tokens.code_ttl_secs must be 1..=600 (RFC 6749 §4.1.2)");
        }
        if !(30..=86_400).contains(&t.access_token_ttl_secs) {
            return invalid("tokens.access_token_ttl_secs must be 30..=86400");
        }
        if !(30..=86_400).contains(&t.id_token_ttl_secs) {
            return invalid("tokens.id_token_ttl_secs must be 30..=86400");
        }
        if t.refresh_idle_ttl_secs == 0 || t.refresh_absolute_ttl_secs == 0 {
            return invalid("tokens.refresh_idle_ttl_secs and refresh_absolute_ttl_secs must be positive");
        }
        if t.refresh_idle_ttl_secs > t.refresh_absolute_ttl_secs {
            return invalid("tokens.refresh_idle_ttl_secs must not exceed refresh_absolute_ttl_secs");
        }
        if !(60..=86_400).contains(&t.auth_request_ttl_secs) {
            return invalid("tokens.auth_request_ttl_secs must be 60..=86400");
        }
        if !(30..=86_400).contains(&t.auth_request_first_ttl_secs) {
            return invalid("tokens.auth_request_first_ttl_secs must be 30..=86400");
        }
        Ok(())
    }

    fn validate_sessions(&self) -> Checked {
        let s = &self.sessions;
        if s.idle_ttl_secs == 0 || s.absolute_ttl_secs == 0 {
            return invalid("sessions.idle_ttl_secs and absolute_ttl_secs must be positive");
        }
        if s.idle_ttl_secs > s.absolute_ttl_secs {
            return invalid("sessions.idle_ttl_secs must not exceed absolute_ttl_secs");
        }
        let plain = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if s.cookie_name.is_empty() || !s.cookie_name.chars().all(plain) {
            return invalid("sessions.cookie_name must be a plain token");
        }
        // docs/security.md E.32: the `__Host-` prefix is added on an https issuer, never configured.
        let lower = s.cookie_name.to_ascii_lowercase();
        if lower.starts_with("__host-") || lower.starts_with("__secure-") {
            return invalid("sessions.cookie_name must not start with __Host- or __Secure- (added on https)");
        }
        Ok(())
    }

    fn validate_secrets_and_stores(&self) -> Checked {
        if let Some(mk) = &self.keys.master_key {
            let mk = mk.expose_secret();
            if mk.len() != 64 || !mk.chars().all(|c| c.is_ascii_hexdigit()) {
                return invalid("keys.master_key must be 64 hex characters (32 bytes)");
            }
        }
        let db = self.database.url.expose_secret();
        if !(db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://")) {
            return invalid("database.url must start with sqlite:// or postgres://");
        }
        if self.database.pool_size == 0 {
            return invalid("database.pool_size must be at least 1");
        }
        if self.redis.key_prefix.is_empty() || self.redis.key_prefix.contains(char::is_whitespace) {
            return invalid("redis.key_prefix must be a non-empty word");
        }
        Ok(())
    }

    fn validate_limits(&self) -> Checked {
        let a = &self.argon2;
        if a.memory_kib < 8 * a.parallelism.max(1) || a.iterations == 0 || a.parallelism == 0 {
            return invalid("argon2 parameters out of range");
        }
        if !(1..=3600).contains(&self.rate_limit.authorize_window_secs) {
            return invalid("rate_limit.authorize_window_secs must be 1..=3600");
        }
        if a.threads > 1024 {
            return invalid("argon2.threads must be 0 (one per core) to 1024");
        }
        if a.queue_limit > 1_000_000 {
            return invalid("argon2.queue_limit must be 0 (four per hashing thread) to 1000000");
        }
        if self.security.max_body_bytes < 1024 {
            return invalid("security.max_body_bytes must be at least 1024");
        }
        self.listen
            .parse::<std::net::SocketAddr>()
            .map_err(|e| ConfigError::Invalid(format!("listen {:?}: {e}", self.listen)))?;
        Ok(())
    }

    /// RFC 9126 §2.2 and RFC 9449 §11.1: short lifetimes, but long enough for a redirect or a
    /// slow client clock.
    fn validate_par_and_dpop(&self) -> Checked {
        if !(5..=600).contains(&self.par.request_uri_ttl_secs) {
            return invalid("par.request_uri_ttl_secs must be 5..=600 (RFC 9126 §2.2)");
        }
        if !(5..=600).contains(&self.dpop.iat_window_secs) {
            return invalid("dpop.iat_window_secs must be 5..=600");
        }
        if !(30..=3600).contains(&self.dpop.nonce_period_secs) {
            return invalid("dpop.nonce_period_secs must be 30..=3600");
        }
        Ok(())
    }
}
