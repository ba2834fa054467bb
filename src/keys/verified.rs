//! The JWS this key ring verified lately (docs/security.md C.15, E.36). A resource server that
//! introspects, or a client that calls userinfo, presents the same access token again and again;
//! checking its signature each time (ECDSA P-256 verification is about 60 µs) is most of what those
//! endpoints cost. A token whose signature verified is remembered by the SHA-256 digest of its
//! whole compact serialization, with the verified header and payload; the same token again skips
//! only the signature check. Everything else is checked each time, as for a fresh token: the key
//! that signed it must still be published, and the callers check `typ`, issuer, expiry, revocation
//! and the user.
//!
//! The memo belongs to one built state of the key ring: a reload (rotation, retirement, a key
//! removed) starts an empty one. At most [`CAPACITY`] tokens are remembered; past it the memo starts
//! over. Tokens that fail are never remembered.

use std::collections::HashMap;
use std::sync::RwLock;

use sha2::{Digest, Sha256};

use super::ring::JsonMap;

/// At most this many verified tokens are remembered (about 1 KiB each).
pub const CAPACITY: usize = 4096;

/// What a verification established: the protected header, the payload, and the key's id.
#[derive(Debug, Clone)]
pub struct Verified {
    pub kid: String,
    pub header: JsonMap,
    pub payload: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct VerifiedMemo {
    entries: RwLock<HashMap<[u8; 32], Verified>>,
}

/// The memo's key for a token: SHA-256 of its exact bytes.
pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl VerifiedMemo {
    pub fn get(&self, digest: &[u8; 32]) -> Option<Verified> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries.get(digest).cloned()
    }

    pub fn remember(&self, digest: [u8; 32], verified: Verified) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(digest, verified);
    }

    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn verified(kid: &str) -> Verified {
        Verified {
            kid: kid.into(),
            header: JsonMap::new(),
            payload: b"{}".to_vec(),
        }
    }

    #[test]
    fn a_token_differing_in_one_byte_is_another_entry() {
        let memo = VerifiedMemo::default();
        memo.remember(digest("a.b.c"), verified("k1"));
        assert!(memo.get(&digest("a.b.c")).is_some());
        assert!(memo.get(&digest("a.b.d")).is_none());
    }

    #[test]
    fn the_memo_never_grows_past_its_capacity() {
        let memo = VerifiedMemo::default();
        for i in 0..CAPACITY + 5 {
            memo.remember(digest(&format!("t{i}")), verified("k"));
        }
        assert!(memo.len() <= CAPACITY);
    }
}
