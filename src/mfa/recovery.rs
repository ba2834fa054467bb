//! One-time recovery codes (docs/guides/mfa.md): ten per TOTP enrolment, each 80 random bits shown
//! once as `xxxx-xxxx-xxxx-xxxx` (base32), stored only as SHA-256 digests (a code too random to
//! guess needs no slow hash, docs/architecture.md "Secrets at rest"), and usable once.

use rand::RngCore;

use crate::digest::sha256_hex;
use crate::mfa::totp::base32_encode;

/// How many codes an enrolment gives.
pub const COUNT: usize = 10;

/// A new set of codes, as shown to the user, and their digests, as stored.
pub fn generate() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..COUNT).map(|_| one()).collect();
    let hashes = codes.iter().map(|c| digest(c)).collect();
    (codes, hashes)
}

fn one() -> String {
    let mut bytes = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let raw = base32_encode(&bytes).to_lowercase();
    let groups: Vec<&str> = (0..4).filter_map(|i| raw.get(i * 4..i * 4 + 4)).collect();
    groups.join("-")
}

/// A code as typed, normalised: case, spaces and dashes do not matter.
pub fn normalise(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The stored digest of a code (shown or typed).
pub fn digest(code: &str) -> String {
    sha256_hex(&format!("recovery:{}", normalise(code)))
}

/// Whether `typed` looks like a recovery code rather than a TOTP code.
pub fn looks_like_recovery_code(typed: &str) -> bool {
    normalise(typed).len() == 16
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_and_typed_loosely() {
        let (codes, hashes) = generate();
        assert_eq!(codes.len(), COUNT);
        let unique: std::collections::HashSet<_> = hashes.iter().collect();
        assert_eq!(unique.len(), COUNT);
        let c = &codes[0];
        assert_eq!(c.len(), 19, "{c}");
        assert!(looks_like_recovery_code(c));
        assert_eq!(digest(&c.to_uppercase().replace('-', " ")), hashes[0]);
        assert!(!looks_like_recovery_code("123456"));
    }
}
