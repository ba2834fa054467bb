//! Signing keys over josekit (docs/security.md C.15, E.24, E.25; docs/operations.md, "Key rotation").
//!
//! - [`seal`]: the master key and AES-256-GCM sealing of private JWKs at rest.
//! - [`generate`]: new RS256 / ES256 / EdDSA key pairs with random key ids.
//! - [`jwks`]: the public JWK members that may be published, and the JWKS document.
//! - [`ring`]: the [`KeyRing`] (signers and verifiers built once per key, JWKS, sign, verify).
//! - [`lifecycle`]: rotation with a publish delay, retirement, expiry, `keys list` rows.

pub mod generate;
pub mod jwks;
pub mod lifecycle;
pub mod notify;
pub mod published;
pub mod ring;
pub mod seal;
#[cfg(test)]
mod tests;
pub mod verified;

pub use generate::{GeneratedKey, generate};
pub use lifecycle::{
    Activation, KeyInfo, KeyState, KeyStore, describe, retire_expired, rotate, rotate_due, seal_row,
};
pub use ring::{JsonMap, KeyRing};
pub use seal::{DerivedKey, MasterKey};

use crate::storage::StorageError;

/// Errors of the key layer. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key storage: {0}")]
    Store(#[from] StorageError),
    #[error("key cryptography: {0}")]
    Crypto(String),
    #[error("no signing key: {0}")]
    NoKey(String),
    #[error("invalid key or token: {0}")]
    Invalid(String),
    /// docs/security.md E.24: an https issuer outside `--dev` without `keys.master_key`.
    #[error(
        "no master key: serving an https issuer needs keys.master_key; set PORTCULLIS_KEYS__MASTER_KEY \
         to 64 hex characters from your secret store (`openssl rand -hex 32`), the same on every node. \
         The generated key file (keys.master_key_file) is for development only (serve --dev)"
    )]
    MasterKeyRequired,
}

impl From<josekit::JoseError> for KeyError {
    fn from(e: josekit::JoseError) -> Self {
        KeyError::Crypto(e.to_string())
    }
}

/// RFC 7518 §3.1 / RFC 8037 §3.1: the JWS algorithms we sign with (the verification allow-list).
/// Named as in the `alg` header everywhere: configuration, the CLI, storage and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
pub enum Alg {
    #[serde(rename = "RS256")]
    #[value(name = "RS256")]
    Rs256,
    #[serde(rename = "ES256")]
    #[value(name = "ES256")]
    Es256,
    #[serde(rename = "EdDSA")]
    #[value(name = "EdDSA")]
    EdDsa,
}

impl Alg {
    pub const ALL: [Alg; 3] = [Alg::Rs256, Alg::Es256, Alg::EdDsa];

    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
        }
    }

    /// Exact, case-sensitive match (RFC 7515 §4.1.1); anything else (`none`, `HS256` ...) is `None`.
    pub fn parse(s: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Like [`Alg::parse`], as a `KeyError::Invalid` when unsupported.
    pub fn require(s: &str) -> Result<Alg, KeyError> {
        Alg::parse(s).ok_or_else(|| KeyError::Invalid(format!("unsupported alg {s:?}")))
    }
}

impl std::fmt::Display for Alg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
