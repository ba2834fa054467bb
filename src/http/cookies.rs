//! Cookies (docs/security.md D.21, E.32): the login session and the browser binding that CSRF tokens
//! and pending requests are tied to. HttpOnly, SameSite=Lax, `Path=/`, never a `Domain`. On an https
//! issuer they are `Secure` and named with the `__Host-` prefix (RFC 6265bis §4.1.3.2), so a sibling
//! subdomain can neither set nor shadow them; on an http loopback issuer (development) they keep
//! their plain names. The binding's value carries a MAC under a key derived from the master key: a
//! value this server did not issue is ignored and replaced by a fresh one.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::config::Settings;
use crate::digest::ct_eq;
use crate::keys::KeyRing;
use crate::random::secret_256;
use crate::state::AppState;

/// The binding cookie's name on an http issuer (`__Host-portcullis_browser` on https).
pub const BROWSER_COOKIE: &str = "portcullis_browser";
/// RFC 6265bis §4.1.3.2: a cookie with this prefix is only accepted with `Secure`, `Path=/` and no
/// `Domain`, so only this host can have set it.
pub const HOST_PREFIX: &str = "__Host-";
/// The purpose of the binding's MAC key (`KeyRing::derive`).
const BINDING_PURPOSE: &str = "browser-binding";
/// Length of the random part of a binding value (256 bits, base64url).
const NONCE_LEN: usize = 43;
/// How long a browser keeps its binding cookie (the most browsers allow).
const BINDING_MAX_AGE_SECS: i64 = 400 * 24 * 3600;

/// The name a cookie is sent under: `__Host-<base>` on an https issuer, `<base>` on http.
pub fn name(settings: &Settings, base: &str) -> String {
    if settings.is_https() {
        format!("{HOST_PREFIX}{base}")
    } else {
        base.to_string()
    }
}

fn build(settings: &Settings, base: &str, value: String, max_age: Option<i64>) -> Cookie<'static> {
    let mut c = Cookie::build(name(settings, base), value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.is_https())
        .finish();
    if let Some(secs) = max_age {
        c.set_max_age(CookieDuration::seconds(secs));
    }
    c
}

/// The session cookie carrying a fresh session id.
pub fn session(settings: &Settings, value: &str) -> Cookie<'static> {
    build(settings, &settings.sessions.cookie_name, value.to_string(), None)
}

/// Removes the session cookie.
pub fn clear_session(settings: &Settings) -> Cookie<'static> {
    build(settings, &settings.sessions.cookie_name, String::new(), Some(0))
}

pub fn session_value(req: &HttpRequest, settings: &Settings) -> Option<String> {
    req.cookie(&name(settings, &settings.sessions.cookie_name))
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// The browser binding: (value, cookie to set if it is new). A value this server did not issue
/// (no valid MAC) counts as no value: the browser gets a fresh one.
pub fn browser(req: &HttpRequest, state: &AppState) -> (String, Option<Cookie<'static>>) {
    let settings = &state.settings;
    let keys = &state.ctx.keys;
    match req
        .cookie(&name(settings, BROWSER_COOKIE))
        .map(|c| c.value().to_string())
        .filter(|v| binding_is_ours(keys, v))
    {
        Some(v) => (v, None),
        None => {
            let v = new_binding(keys);
            let cookie = build(settings, BROWSER_COOKIE, v.clone(), Some(BINDING_MAX_AGE_SECS));
            (v, Some(cookie))
        }
    }
}

/// `<nonce>.<mac>`: 256 random bits and their HMAC-SHA256 under the binding key, both base64url.
fn new_binding(keys: &KeyRing) -> String {
    let nonce = secret_256();
    let mac = binding_mac(keys, &nonce);
    format!("{nonce}.{mac}")
}

fn binding_mac(keys: &KeyRing, nonce: &str) -> String {
    URL_SAFE_NO_PAD.encode(keys.derive(BINDING_PURPOSE).mac(nonce.as_bytes()))
}

/// docs/security.md E.32: true only for a binding value this server issued (under the current
/// master key).
pub fn binding_is_ours(keys: &KeyRing, value: &str) -> bool {
    let Some((nonce, mac)) = value.split_once('.') else {
        return false;
    };
    nonce.len() == NONCE_LEN && ct_eq(mac, &binding_mac(keys, nonce))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::testing;

    /// E.32: only binding values this server made verify: not a value of the attacker's choosing,
    /// not one with its MAC changed or moved to another nonce.
    #[tokio::test]
    async fn only_binding_values_the_server_issued_are_accepted() {
        let w = testing::world().await;
        let keys = &w.ctx.keys;
        let issued = new_binding(keys);
        assert!(binding_is_ours(keys, &issued));
        let (nonce, mac) = issued.split_once('.').unwrap();
        let other = new_binding(keys);
        let (other_nonce, _) = other.split_once('.').unwrap();
        let mut flipped = mac.to_string().into_bytes();
        flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        for forged in [
            "attacker-chosen-value-of-well-over-32-characters".to_string(),
            secret_256(),
            nonce.to_string(),
            format!("{nonce}."),
            format!("{nonce}.{flipped}"),
            format!("{other_nonce}.{mac}"),
            format!("{nonce}x.{mac}"),
            String::new(),
        ] {
            assert!(!binding_is_ours(keys, &forged), "{forged}");
        }
    }

    /// E.32: `__Host-` names on an https issuer, plain names on http.
    #[test]
    fn cookie_names_carry_the_host_prefix_on_https() {
        let mut s = Settings::default();
        assert_eq!(name(&s, BROWSER_COOKIE), "portcullis_browser");
        s.issuer = "https://id.example.com".into();
        assert_eq!(name(&s, BROWSER_COOKIE), "__Host-portcullis_browser");
        let c = session(&s, "v");
        assert_eq!(c.name(), "__Host-portcullis_session");
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.path(), Some("/"));
        assert_eq!(c.domain(), None);
    }
}
