//! RFC 6238 TOTP (HMAC-SHA1, 30-second steps, 6 digits, the parameters every authenticator app
//! uses): codes, the base32 secret and `otpauth://` URI for enrolment, the QR code as SVG, and the
//! check at sign-in: a code of the current step or one step either side (RFC 6238 §5.2), never a
//! step already used (the last used step is stored per user).

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::digest::ct_eq;

/// RFC 6238 §4: the time step, in seconds.
pub const STEP_SECS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// RFC 4226 §4: a 160-bit shared secret.
pub const SECRET_LEN: usize = 20;
/// RFC 6238 §5.2: steps accepted either side of the current one (clock drift, typing time).
pub const WINDOW: i64 = 1;

/// The time step of `now` (seconds since the epoch).
pub fn step_at(now: i64) -> i64 {
    now.div_euclid(STEP_SECS)
}

/// RFC 4226 §5.3: HOTP(K, C) with dynamic truncation, as a zero-padded decimal string.
pub fn code_at(secret: &[u8], step: i64) -> String {
    // HMAC accepts a key of any length; `new_from_slice` cannot fail for HMAC.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    format!("{:0width$}", bin % 10u32.pow(DIGITS), width = DIGITS as usize)
}

/// The step in the window around `now` whose code is `code`, if any (constant-time compare per
/// step). Spaces in the code are ignored.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    let mut found = None;
    for step in current - WINDOW..=current + WINDOW {
        if ct_eq(&code_at(secret, step), &code) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 §6 base32 without padding: the secret as authenticator apps take it.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes RFC 4648 base32 (case-insensitive, spaces and padding ignored); `None` when invalid.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = BASE32
            .iter()
            .position(|&b| char::from(b) == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The Key Uri Format authenticator apps scan: `otpauth://totp/Issuer:user?secret=...`.
pub fn otpauth_uri(issuer_label: &str, username: &str, secret: &[u8]) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer_label).replace('+', "%20"),
        enc(username).replace('+', "%20"),
        base32_encode(secret),
        enc(issuer_label).replace('+', "%20"),
    )
}

/// The URI as a QR code in SVG (served as an image: no script, no inline style).
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the SHA-1 test vectors (8 digits there; the last 6 here, which is what
    /// the truncation gives for 6 digits).
    #[test]
    fn totp_matches_rfc_6238_appendix_b() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(code_at(secret, step_at(time)), eight[2..], "T = {time}");
        }
    }

    /// RFC 6238 §5.2: one step either side is accepted, two are not.
    #[test]
    fn totp_window_is_one_step_either_side() {
        let secret = b"12345678901234567890";
        let now = 1_800_000_000;
        let step = step_at(now);
        for (s, ok) in [
            (step - 2, false),
            (step - 1, true),
            (step, true),
            (step + 1, true),
            (step + 2, false),
        ] {
            let code = code_at(secret, s);
            assert_eq!(matching_step(secret, &code, now).is_some(), ok, "step {s}");
        }
        assert_eq!(matching_step(secret, "12345", now), None);
        assert_eq!(matching_step(secret, "abcdef", now), None);
    }

    /// RFC 4648 §10 test vectors, and a round trip.
    #[test]
    fn base32_matches_rfc_4648() {
        for (plain, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), enc);
            assert_eq!(base32_decode(&enc.to_lowercase()).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("M1"), None);
    }

    #[test]
    fn qr_code_is_an_svg_without_script_or_style() {
        let svg = qr_svg(&otpauth_uri("Portcullis", "alice", b"12345678901234567890")).unwrap();
        assert!(svg.contains("<svg"));
        assert!(!svg.contains("<script") && !svg.contains("style="));
    }
}
