//! `[registration]`: clients that register themselves (docs/configuration.md, "Registration";
//! docs/security.md K): dynamic registration (RFC 7591/7592), Client ID Metadata Documents and the
//! fetches they need.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// Who may use `POST /register` (RFC 7591 §3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// No `/register` (404), not in discovery.
    #[default]
    Off,
    /// Only with an initial access token from `portcullis registration token` (RFC 7591 §3).
    Token,
    /// Anyone (RFC 7591 §3: open registration), limited per address.
    Open,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrationSettings {
    /// `PORTCULLIS_REGISTRATION__MODE`: `off`, `token` or `open`.
    pub mode: RegistrationMode,
    /// Registrations per client address (an IPv6 /64) within `window_secs`; beyond it, 429.
    pub per_ip: u64,
    /// The counting window of `per_ip`.
    pub window_secs: u64,
    /// The scopes a client that registers itself may ask for (RFC 7591 §2 `scope`); `portcullis:*`
    /// (administration) scopes are refused whatever this says.
    pub allowed_scopes: Vec<String>,
    /// draft-ietf-oauth-client-id-metadata-document: a client_id that is an https URL with a path
    /// is resolved by fetching it.
    pub client_id_metadata_documents: bool,
    /// Tests only: plain http metadata documents and `jwks_uri`s on 127.0.0.1 are fetched.
    /// `serve` logs a loud warning when it is on.
    pub cimd_allow_http_loopback: bool,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        RegistrationSettings {
            mode: RegistrationMode::Off,
            per_ip: 10,
            window_secs: 3600,
            allowed_scopes: crate::oauth::scope::STANDARD_SCOPES
                .iter()
                .chain(&[crate::groups::SCOPE])
                .map(|s| s.to_string())
                .collect(),
            client_id_metadata_documents: true,
            cimd_allow_http_loopback: false,
        }
    }
}

impl RegistrationSettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.per_ip == 0 {
            return Err(ConfigError::Invalid(
                "registration.per_ip must be at least 1".into(),
            ));
        }
        if !(60..=86_400).contains(&self.window_secs) {
            return Err(ConfigError::Invalid(
                "registration.window_secs must be 60..=86400".into(),
            ));
        }
        if let Some(s) = self
            .allowed_scopes
            .iter()
            .find(|s| s.starts_with(ADMIN_SCOPE_PREFIX))
        {
            return Err(ConfigError::Invalid(format!(
                "registration.allowed_scopes must not hold the administration scope {s}"
            )));
        }
        Ok(())
    }
}

/// Administration scopes: never for a client that registers itself (docs/security.md K.2).
pub const ADMIN_SCOPE_PREFIX: &str = "portcullis:";
