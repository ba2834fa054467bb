//! Cookies (docs/security.md D.21): the login session and the browser binding that CSRF tokens and
//! pending requests are tied to. HttpOnly, SameSite=Lax, Secure whenever the issuer is https.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};

use crate::config::Settings;
use crate::random::secret_256;

pub const BROWSER_COOKIE: &str = "portcullis_browser";

fn build(settings: &Settings, name: String, value: String, max_age: Option<i64>) -> Cookie<'static> {
    let mut c = Cookie::build(name, value)
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
    build(
        settings,
        settings.sessions.cookie_name.clone(),
        value.to_string(),
        None,
    )
}

/// Removes the session cookie.
pub fn clear_session(settings: &Settings) -> Cookie<'static> {
    build(
        settings,
        settings.sessions.cookie_name.clone(),
        String::new(),
        Some(0),
    )
}

pub fn session_value(req: &HttpRequest, settings: &Settings) -> Option<String> {
    req.cookie(&settings.sessions.cookie_name)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// The browser binding: (value, cookie to set if it is new).
pub fn browser(req: &HttpRequest, settings: &Settings) -> (String, Option<Cookie<'static>>) {
    match req
        .cookie(BROWSER_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() >= 32)
    {
        Some(v) => (v, None),
        None => {
            let v = secret_256();
            let cookie = build(
                settings,
                BROWSER_COOKIE.to_string(),
                v.clone(),
                Some(400 * 24 * 3600),
            );
            (v, Some(cookie))
        }
    }
}
