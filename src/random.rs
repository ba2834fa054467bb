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
