//! RFC 8628 user codes (§3.2, §6.1): eight characters from an alphabet of twenty consonants with no
//! look-alikes and no vowels (so no words), shown as `BCDF-GHJK`, typed in either case, with or
//! without the dash or spaces (docs/security.md L.2). Pure: no I/O.

use crate::random::random_bytes;

/// RFC 8628 §6.1: the base-20 alphabet `BCDFGHJKLMNPQRSTVWXZ` (no vowels, no `Y`).
pub const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Characters in a user code: 20^8 ≈ 2^34.6 codes.
pub const LENGTH: usize = 8;

/// A user code, normalized: eight upper-case characters of [`ALPHABET`], no separator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCode(String);

impl UserCode {
    /// A new random code from the operating system's generator, without modulo bias.
    pub fn generate() -> UserCode {
        let mut code = String::with_capacity(LENGTH);
        while code.len() < LENGTH {
            for b in random_bytes::<16>() {
                // 240 = 12 * 20: bytes at or above it are dropped so every letter is equally likely.
                if b < 240 && code.len() < LENGTH {
                    code.push(char::from(ALPHABET[usize::from(b % 20)]));
                }
            }
        }
        UserCode(code)
    }

    /// What a person typed: letters of either case, dashes and whitespace ignored. `None` when it
    /// is not eight letters of the alphabet.
    pub fn parse(typed: &str) -> Option<UserCode> {
        let code: String = typed
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid = code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b));
        valid.then_some(UserCode(code))
    }

    /// The normalized form, the one stored (as a digest) and compared.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// RFC 8628 §6.1: how it is shown, `BCDF-GHJK`.
    pub fn display(&self) -> String {
        let (a, b) = self.0.split_at(LENGTH / 2);
        format!("{a}-{b}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// L.2: codes are eight letters of the alphabet, shown with a dash in the middle.
    #[test]
    fn user_code_is_eight_unambiguous_letters_shown_as_two_groups() {
        for _ in 0..200 {
            let code = UserCode::generate();
            assert_eq!(code.as_str().len(), LENGTH);
            assert!(code.as_str().bytes().all(|b| ALPHABET.contains(&b)), "{code:?}");
            let shown = code.display();
            assert_eq!(shown.len(), 9);
            assert_eq!(&shown[4..5], "-");
            assert_eq!(UserCode::parse(&shown), Some(code));
        }
    }

    /// L.2: no vowels, no digits, no look-alikes (0/O, 1/I/L confusion is impossible without them).
    #[test]
    fn alphabet_has_no_vowels_or_digits() {
        for b in ALPHABET {
            assert!(!b"AEIOUY0123456789".contains(b), "{}", char::from(*b));
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), 20);
    }

    /// L.2: typed input is accepted in either case, with or without the dash or spaces.
    #[test]
    fn user_code_input_ignores_case_dashes_and_spaces() {
        let want = UserCode::parse("BCDFGHJK").unwrap();
        for typed in [
            "bcdf-ghjk",
            "BCDF GHJK",
            " bcdfghjk ",
            "Bc-Df-Gh-Jk",
            "BCDF\t-GHJK",
        ] {
            assert_eq!(UserCode::parse(typed).as_ref(), Some(&want), "{typed:?}");
        }
        assert_eq!(want.display(), "BCDF-GHJK");
    }

    /// L.2: anything else is not a user code (never looked up).
    #[test]
    fn malformed_user_codes_are_refused() {
        for typed in [
            "",
            "BCDF-GHJ",
            "BCDF-GHJKL",
            "BCDF-GHJA",
            "BCDF-GHJ1",
            "BCDF_GHJK",
            "ÉCDF-GHJK",
            "BCDF-GHJ\u{0}",
        ] {
            assert_eq!(UserCode::parse(typed), None, "{typed:?}");
        }
    }

    /// L.2: the letters are spread evenly (no modulo bias): each of the 20 letters within 20% of
    /// its expected count over 20,000 letters.
    #[test]
    fn user_code_letters_are_uniform() {
        let mut counts = [0u32; 20];
        for _ in 0..2500 {
            for b in UserCode::generate().as_str().bytes() {
                let i = ALPHABET.iter().position(|a| *a == b).unwrap();
                counts[i] += 1;
            }
        }
        for (i, n) in counts.iter().enumerate() {
            assert!((800..=1200).contains(n), "letter {i}: {n}");
        }
    }
}
