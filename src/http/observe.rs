//! What every request leaves behind: its `X-Request-Id`, and its count and latency in the metrics
//! (docs/operations.md, "Monitoring").
//!
//! `X-Request-Id` (docs/operations.md, "Request ids"): every request gets an id that is on the
//! response, on every log line of the request (the `request_id` field of the request's span) and on
//! the error pages people see, so a reference someone reads out matches a log line. A trusted proxy's
//! id (`http.trusted_proxies`) is kept, so one id follows the request through the load balancer;
//! anyone else's is replaced, as are ids that are not short visible tokens (log injection).

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::HttpMessage;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use futures_util::future::LocalBoxFuture;

use crate::config::Cidr;

pub const HEADER: &str = "x-request-id";

/// The longest id accepted from a proxy.
const MAX_LEN: usize = 128;

/// The request's id, in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An id a proxy sent, if it is one we keep: 1 to 128 characters of `A-Z a-z 0-9 - _ . : /`.
pub fn accepted(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/'))
}

/// The id of a request: the trusted peer's `X-Request-Id` when acceptable, else a new random one.
pub fn choose(peer_trusted: bool, incoming: Option<&str>) -> String {
    match incoming {
        Some(v) if peer_trusted && accepted(v) => v.to_string(),
        _ => crate::random::random_id(),
    }
}

/// The middleware: wraps the tracing middleware so the id exists when the request's span opens.
#[derive(Clone)]
pub struct RequestIds {
    trusted: Rc<Vec<Cidr>>,
}

impl RequestIds {
    pub fn new(trusted: Vec<Cidr>) -> RequestIds {
        RequestIds {
            trusted: Rc::new(trusted),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequestIds
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = RequestIdService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestIdService {
            service: Rc::new(service),
            trusted: self.trusted.clone(),
        }))
    }
}

pub struct RequestIdService<S> {
    service: Rc<S>,
    trusted: Rc<Vec<Cidr>>,
}

impl<S, B> Service<ServiceRequest> for RequestIdService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let peer_trusted = req
            .peer_addr()
            .map(|a| a.ip().to_canonical())
            .is_some_and(|ip| self.trusted.iter().any(|c| c.contains(ip)));
        let incoming = req.headers().get(HEADER).and_then(|v| v.to_str().ok());
        let id = choose(peer_trusted, incoming);
        req.extensions_mut().insert(RequestId(id.clone()));
        let service = self.service.clone();
        let started = std::time::Instant::now();
        Box::pin(async move {
            let mut res = service.call(req).await?;
            // The route's pattern (`/upstream/{id}/callback`), never the path: labels stay few.
            let route = res.request().match_pattern();
            crate::monitoring::request(
                route.as_deref().unwrap_or("unmatched"),
                res.request().method().as_str(),
                res.status().as_u16(),
                started.elapsed(),
            );
            if let Ok(value) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(HeaderName::from_static(HEADER), value);
            }
            Ok(res)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trusted_proxys_request_id_is_kept() {
        assert_eq!(choose(true, Some("lb-7f3a.1")), "lb-7f3a.1");
    }

    #[test]
    fn an_untrusted_peers_request_id_is_replaced() {
        let id = choose(false, Some("lb-7f3a.1"));
        assert_ne!(id, "lb-7f3a.1");
        assert!(accepted(&id));
    }

    #[test]
    fn request_ids_that_could_forge_log_lines_are_replaced() {
        for bad in ["", "a b", "x\ny", "\"quoted\"", "é", &"a".repeat(129)] {
            let id = choose(true, Some(bad));
            assert_ne!(id, bad);
            assert!(accepted(&id), "{id}");
        }
        assert!(accepted(&"a".repeat(128)));
    }
}
