//! Reading protocol input from requests: form bodies and query strings into `ParamMap`
//! (RFC 6749 §3.1-3.2), the client address (behind trusted proxies, docs/security.md E.33), and
//! bearer tokens (RFC 6750 §2).

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::Data;

use crate::context::RequestMeta;
use crate::http::forwarded;
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::state::AppState;

/// A POST body must be `application/x-www-form-urlencoded` (RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1).
pub fn form(req: &HttpRequest, body: &[u8]) -> Result<ParamMap, OAuthError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mime = ct.split(';').next().unwrap_or_default().trim();
    if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    ParamMap::from_urlencoded(body)
}

/// The query string as parameters.
pub fn query(req: &HttpRequest) -> Result<ParamMap, OAuthError> {
    ParamMap::from_urlencoded(req.query_string().as_bytes())
}

/// GET: the query; POST: the form body (OpenID Core §3.1.2.1 allows both at /authorize).
pub fn query_or_form(req: &HttpRequest, body: &[u8]) -> Result<ParamMap, OAuthError> {
    if req.method() == actix_web::http::Method::POST {
        form(req, body)
    } else {
        query(req)
    }
}

/// docs/security.md E.33: the client's address. The TCP peer, unless the peer is one of
/// `http.trusted_proxies`: then the address it reports in `X-Forwarded-For` or `Forwarded`
/// (RFC 7239), read from the right ([`forwarded::client_addr`]). A client's own forwarded headers
/// are never believed.
pub fn client_ip(req: &HttpRequest) -> String {
    let trusted = req
        .app_data::<Data<AppState>>()
        .map_or(&[][..], |s| s.settings.http.trusted_proxies.as_slice());
    forwarded::client_addr(req.peer_addr().map(|a| a.ip()), req.headers(), trusted)
        .map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

/// The request facts flows may record.
pub fn meta(req: &HttpRequest) -> RequestMeta {
    RequestMeta {
        ip: client_ip(req),
        user_agent: user_agent(req),
    }
}

pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect())
}

pub fn authorization_header(req: &HttpRequest) -> Result<Option<&str>, OAuthError> {
    match req.headers().get(header::AUTHORIZATION) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(Some)
            .map_err(|_| OAuthError::invalid_request("malformed Authorization header")),
    }
}

/// Where a bearer token came from, or why there is none.
#[derive(Debug, PartialEq, Eq)]
pub enum Bearer {
    Token(String),
    /// No token at all: 401 with a bare `WWW-Authenticate: Bearer` (RFC 6750 §3.1).
    Missing,
}

/// Whether an access token may come in the query string (RFC 6750 §2.3; off unless configured,
/// docs/security.md C.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryTokens {
    Refused,
    Accepted,
}

impl QueryTokens {
    /// The policy the `security.allow_query_bearer` setting asks for.
    pub fn from_setting(allow: bool) -> QueryTokens {
        if allow {
            QueryTokens::Accepted
        } else {
            QueryTokens::Refused
        }
    }
}

/// RFC 6750 §2.1 (header) and §2.2 (form body); §2.3 (query) only when configured. More than one
/// method is `invalid_request` (§2).
pub fn bearer(
    req: &HttpRequest,
    body: Option<&ParamMap>,
    query_tokens: QueryTokens,
) -> Result<Bearer, OAuthError> {
    let mut found = Vec::new();
    if let Some(h) = authorization_header(req)? {
        let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Ok(Bearer::Missing);
        }
        let token = rest.trim();
        if token.is_empty() {
            return Err(OAuthError::invalid_request("empty bearer token"));
        }
        found.push(token.to_string());
    }
    if let Some(t) = body.and_then(|p| p.get("access_token")) {
        found.push(t.to_string());
    }
    if let Ok(q) = query(req) {
        if let Some(t) = q.get("access_token") {
            if query_tokens == QueryTokens::Refused {
                return Err(OAuthError::invalid_request(
                    "access tokens in the query string are not accepted",
                ));
            }
            found.push(t.to_string());
        }
    }
    match found.len() {
        0 => Ok(Bearer::Missing),
        1 => Ok(Bearer::Token(found.remove(0))),
        _ => Err(OAuthError::invalid_request(
            "more than one method used to send the access token",
        )),
    }
}
