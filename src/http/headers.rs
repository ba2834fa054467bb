//! Security headers on every response (docs/security.md E.26, A.6).

use actix_web::middleware::DefaultHeaders;

/// CSP without inline script or style, no framing, no sniffing, no referrer; HSTS on https.
pub fn security_headers(https: bool) -> DefaultHeaders {
    let mut h = DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"));
    if https {
        h = h.add(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"));
    }
    h
}
