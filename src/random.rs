//! Random values from the operating system's CSPRNG: opaque secrets (codes, refresh tokens,
//! client secrets, session ids) and identifiers (users, families, key ids, `jti`s).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// `n` random bytes, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A new client_id: 128 random bits, base64url, never beginning with `-` (such an id would be
/// read as an option by every `portcullis client` command that takes it).
pub fn client_id() -> String {
    loop {
        let id = random_token(16);
        if !id.starts_with('-') {
            return id;
        }
    }
}

/// `N` random bytes (RFC 8628 user codes are drawn from them, `oauth/device.rs`).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf
}

/// A 256-bit random opaque value (codes, refresh tokens, secrets, session ids): 43 characters.
pub fn secret_256() -> String {
    random_token(32)
}

/// A 128-bit random identifier, lower-case hex (user ids, family ids, kids, `jti`s).
pub fn random_id() -> String {
    let mut buf = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

#[cfg(test)]
mod tests {

    #[test]
    fn client_ids_never_begin_with_a_dash() {
        for _ in 0..2000 {
            let id = client_id();
            assert!(!id.starts_with('-'), "{id}");
            assert_eq!(id.len(), 22);
        }
    }

    use super::*;

    #[test]
    fn secrets_have_256_bits() {
        let s = secret_256();
        assert_eq!(URL_SAFE_NO_PAD.decode(&s).map(|b| b.len()).ok(), Some(32));
        assert_ne!(secret_256(), s);
    }

    #[test]
    fn ids_are_128_bit_hex() {
        let id = random_id();
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
