//! Security headers on every response (docs/security.md E.26, A.6).

use actix_web::middleware::DefaultHeaders;

/// No inline script or style, no framing, no `<base>`: every page's policy starts here.
const POLICY: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The Content-Security-Policy of a page: [`POLICY`], and, when the page shows images from
/// elsewhere (a configured brand logo, a client's logo on the consent page: docs/security.md
/// O.4, O.6), an `img-src` naming exactly those URLs besides `'self'`.
pub fn content_security_policy(images: &[&str]) -> String {
    if images.is_empty() {
        return POLICY.to_string();
    }
    format!("{POLICY}; img-src 'self' {}", images.join(" "))
}

/// CSP without inline script or style, no framing, no sniffing, no referrer; HSTS on https.
/// `images`: URLs every page may show besides its own (the brand logo, docs/security.md O.6).
pub fn security_headers(https: bool, images: &[&str]) -> DefaultHeaders {
    let mut h = DefaultHeaders::new()
        .add(("Content-Security-Policy", content_security_policy(images)))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"));
    if https {
        h = h.add(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"));
    }
    h
}
