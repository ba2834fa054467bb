//! HEAD answered wherever GET is (RFC 9110 §9.3.2): a HEAD request is routed as a GET, and the HTTP
//! layer sends the GET's status and headers (Content-Length included) without the body, because it
//! decided at parse time that the request was a HEAD.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

pub async fn as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
