//! CORS for the endpoints browsers call directly (single-page apps using PKCE): token, userinfo,
//! revocation, pushed authorization requests, discovery and JWKS. They use no cookies, so any origin may call them; the
//! authorization endpoint and the pages send no CORS headers at all (docs/security.md A.4).

use actix_web::HttpResponse;
use actix_web::middleware::DefaultHeaders;

/// `Access-Control-Allow-Origin: *` on every response of the wrapped resource; scripts may read
/// the challenge and the RFC 9449 §8 `DPoP-Nonce` a DPoP client must answer.
pub fn allow_any_origin() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Access-Control-Allow-Origin", "*"))
        .add(("Access-Control-Expose-Headers", "DPoP-Nonce, WWW-Authenticate"))
}

/// The answer to a CORS preflight (`OPTIONS`).
pub async fn preflight() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .insert_header(("Access-Control-Allow-Methods", "GET, POST, OPTIONS"))
        .insert_header((
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type, DPoP",
        ))
        .insert_header(("Access-Control-Max-Age", "600"))
        .finish()
}
