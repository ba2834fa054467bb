//! The master key and sealing of private keys at rest (docs/architecture.md, "Secrets at rest"; docs/security.md E.24):
//! AES-256-GCM, a random 96-bit nonce per seal, `base64url(nonce || ciphertext)`, and the key id
//! as associated data so that a sealed key cannot be moved to another row.

use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::ExposeSecret;

use super::KeyError;
use crate::config::KeySettings;

const NONCE_LEN: usize = 12;

/// docs/security.md E.24: the 256-bit key that seals private signing keys. Never stored in the
/// database; never printed (its `Debug` is redacted); overwritten with zeros on drop (best effort).
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(********)")
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.0.fill(0);
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }
}

impl MasterKey {
    /// A master key from raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> MasterKey {
        MasterKey(bytes)
    }

    /// 64 hex characters (surrounding whitespace ignored).
    pub fn from_hex(hex_str: &str) -> Result<MasterKey, KeyError> {
        let s = hex_str.trim();
        let invalid = || KeyError::Invalid("master key must be 64 hex characters (32 bytes)".into());
        if s.len() != 64 {
            return Err(invalid());
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| invalid())?;
        Ok(MasterKey(out))
    }

    /// docs/architecture.md, "Secrets at rest": `keys.master_key` when set (production: `PORTCULLIS_KEYS__MASTER_KEY`);
    /// otherwise the development key file, created with mode 0600 if missing. A key file that
    /// group or others may access is refused.
    pub fn from_settings(settings: &KeySettings) -> Result<MasterKey, KeyError> {
        if let Some(mk) = &settings.master_key {
            return MasterKey::from_hex(mk.expose_secret());
        }
        let path = settings.master_key_file.as_path();
        match read_key_file(path) {
            Ok(key) => Ok(key),
            Err(FileState::Missing) => create_key_file(path),
            Err(FileState::Failed(e)) => Err(e),
        }
    }

    /// docs/security.md E.24: `serve` with an https issuer outside `--dev` refuses to start unless
    /// `keys.master_key` is configured, instead of falling back to a generated key file: a file on
    /// one node's disk is neither in the secret store nor shared by the other nodes.
    pub fn require_configured(settings: &KeySettings) -> Result<(), KeyError> {
        match settings.master_key {
            Some(_) => Ok(()),
            None => Err(KeyError::MasterKeyRequired),
        }
    }

    /// Seals `plaintext` with `aad` bound in: `base64url(nonce || ciphertext || tag)`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<String, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher()?
            .encrypt(GenericArray::from_slice(&nonce), Payload { msg: plaintext, aad })
            .map_err(|_| KeyError::Crypto("sealing failed".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens what [`MasterKey::seal`] produced with the same `aad`; a wrong key, a wrong `aad`
    /// or any modification is an error.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        let raw = URL_SAFE_NO_PAD
            .decode(sealed.trim())
            .map_err(|_| KeyError::Invalid("sealed key is not base64url".into()))?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(KeyError::Invalid("sealed key is too short".into()));
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        self.cipher()?
            .decrypt(GenericArray::from_slice(nonce), Payload { msg: ct, aad })
            .map_err(|_| {
                KeyError::Crypto("sealed key could not be opened (wrong master key, or modified)".into())
            })
    }

    /// A key for one `purpose`, derived from the master key as HMAC-SHA256(master key,
    /// "portcullis:" purpose) (a PRF used as a key-derivation function, NIST SP 800-108), so the
    /// master key itself does nothing but seal, and each purpose has a key of its own.
    pub fn derive(&self, purpose: &str) -> DerivedKey {
        DerivedKey(hmac_sha256(&self.0, format!("portcullis:{purpose}").as_bytes()))
    }

    fn cipher(&self) -> Result<Aes256Gcm, KeyError> {
        Aes256Gcm::new_from_slice(&self.0).map_err(|_| KeyError::Crypto("bad master key length".into()))
    }
}

/// A 256-bit key derived from the master key for one purpose ([`MasterKey::derive`]). Its `Debug`
/// is redacted and it is overwritten with zeros on drop (best effort).
pub struct DerivedKey([u8; 32]);

impl std::fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivedKey(********)")
    }
}

impl Drop for DerivedKey {
    fn drop(&mut self) {
        self.0.fill(0);
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }
}

impl DerivedKey {
    /// RFC 2104: HMAC-SHA256 of `message` under this key.
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.0, message)
    }
}

/// RFC 2104 HMAC-SHA256 with a 32-byte key. A key shorter than SHA-256's 64-byte block is padded
/// with zeros (RFC 2104 §2), which is what the infallible fixed-size constructor takes.
fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac, digest::KeyInit};
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new(GenericArray::from_slice(&block));
    block.fill(0);
    mac.update(message);
    mac.finalize().into_bytes().into()
}

enum FileState {
    Missing,
    Failed(KeyError),
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> KeyError {
    KeyError::Invalid(format!("master key file {}: {e}", path.display()))
}

fn read_key_file(path: &Path) -> Result<MasterKey, FileState> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(FileState::Missing),
        Err(e) => return Err(FileState::Failed(file_err(path, e))),
    };
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(FileState::Failed(file_err(
            path,
            "is accessible by group or others; run chmod 600 on it",
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| FileState::Failed(file_err(path, e)))?;
    MasterKey::from_hex(&text).map_err(|e| FileState::Failed(file_err(path, e)))
}

fn create_key_file(path: &Path) -> Result<MasterKey, KeyError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let key = MasterKey(bytes);
    bytes.fill(0);
    let opened = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    let mut file = match opened {
        Ok(f) => f,
        // Another process created it first: use theirs.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            return read_key_file(path).map_err(|s| match s {
                FileState::Missing => file_err(path, "vanished while being read"),
                FileState::Failed(e) => e,
            });
        }
        Err(e) => return Err(file_err(path, e)),
    };
    file.write_all(hex::encode(key.0).as_bytes())
        .map_err(|e| file_err(path, e))?;
    file.sync_all().map_err(|e| file_err(path, e))?;
    tracing::warn!(
        path = %path.display(),
        "a generated development master key is in use; production must set PORTCULLIS_KEYS__MASTER_KEY"
    );
    Ok(key)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn key() -> MasterKey {
        MasterKey::from_hex(&"42".repeat(32)).unwrap()
    }

    #[test]
    fn seal_open_round_trip() {
        let k = key();
        let sealed = k.seal(b"private jwk", b"kid-1").unwrap();
        assert_eq!(k.open(&sealed, b"kid-1").unwrap(), b"private jwk");
        // Random nonce: sealing twice differs.
        assert_ne!(k.seal(b"private jwk", b"kid-1").unwrap(), sealed);
    }

    #[test]
    fn tampered_or_swapped_seal_is_refused() {
        let k = key();
        let sealed = k.seal(b"private jwk", b"kid-1").unwrap();
        // Moved to another row (other kid as AAD).
        assert!(k.open(&sealed, b"kid-2").is_err());
        // One bit flipped in the ciphertext.
        let mut raw = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert!(k.open(&URL_SAFE_NO_PAD.encode(&raw), b"kid-1").is_err());
        // Another master key.
        let other = MasterKey::from_hex(&"43".repeat(32)).unwrap();
        assert!(other.open(&sealed, b"kid-1").is_err());
        // Garbage.
        assert!(k.open("not base64!", b"kid-1").is_err());
        assert!(k.open("AAAA", b"kid-1").is_err());
    }

    /// RFC 4231 §4.3 (test case 2 has a short key; this checks the padding path against a known
    /// HMAC-SHA256 value) and one key per purpose.
    #[test]
    fn derived_keys_are_hmac_sha256_and_differ_per_purpose() {
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let mac = hmac_sha256(&key, b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let k = super::MasterKey::from_hex(&"42".repeat(32)).unwrap();
        let a = k.derive("a").mac(b"m");
        assert_eq!(a, k.derive("a").mac(b"m"));
        assert_ne!(a, k.derive("b").mac(b"m"));
        let other = super::MasterKey::from_hex(&"43".repeat(32)).unwrap();
        assert_ne!(a, other.derive("a").mac(b"m"));
        assert_eq!(format!("{:?}", k.derive("a")), "DerivedKey(********)");
    }

    #[test]
    fn master_key_from_settings_and_file() {
        let dir = crate::tempdir::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let mut s = KeySettings {
            master_key_file: path.clone(),
            ..KeySettings::default()
        };

        // Created with 0600, then read back to the same key.
        let first = MasterKey::from_settings(&s).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = MasterKey::from_settings(&s).unwrap();
        let sealed = first.seal(b"x", b"k").unwrap();
        assert_eq!(again.open(&sealed, b"k").unwrap(), b"x");

        // Group/other bits: refused.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(MasterKey::from_settings(&s).is_err());

        // The configured key wins over the file.
        s.master_key = Some(SecretString::from("ab".repeat(32)));
        assert!(MasterKey::from_settings(&s).is_ok());
        s.master_key = Some(SecretString::from("zz".repeat(32)));
        assert!(MasterKey::from_settings(&s).is_err());
        assert_eq!(format!("{:?}", key()), "MasterKey(********)");
    }
}
