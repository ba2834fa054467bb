//! Request bodies of the admin API (docs/admin-api.md, "Errors"): JSON only, at most
//! `security.max_body_bytes` (the app's `PayloadConfig`). A body that is too large is 413
//! `payload_too_large`, one with another media type 415 `unsupported_media_type`, one that cannot
//! be read 400 `invalid_request`: all in the API's one error shape, never actix's plain text.
//!
//! The extractor itself never fails: the handler asks for the body ([`Body::json`]) after
//! [`super::Admin`] has authenticated the caller, so a caller without a token learns nothing but 401.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use actix_web::mime;

use super::Failure;
use crate::admin::{AdminError, ErrorKind};

/// The raw body, or why it is refused.
pub struct Body(Result<Bytes, AdminError>);

impl Body {
    /// The JSON body as `T`: malformed JSON, unknown members and wrong types are
    /// `invalid_request`; a refused body its own error.
    pub fn json<T: DeserializeOwned>(self) -> Result<T, AdminError> {
        super::body(&self.0?)
    }

    /// Like [`Body::json`], with `T::default()` for an empty body (an optional request body).
    pub fn json_or_default<T: DeserializeOwned + Default>(self) -> Result<T, AdminError> {
        let bytes = self.0?;
        if bytes.is_empty() {
            Ok(T::default())
        } else {
            super::body(&bytes)
        }
    }
}

/// RFC 9110 §15.5.16: a body must say it is JSON (`application/json` or a `+json` type); no
/// `Content-Type` is accepted only without a body.
fn check_media_type(req: &HttpRequest) -> Result<(), AdminError> {
    let unsupported = |what: String| {
        AdminError::new(
            ErrorKind::UnsupportedMediaType,
            format!("the request body must be JSON (Content-Type: application/json), not {what}"),
        )
    };
    match req.mime_type() {
        Ok(Some(mime)) => {
            let json = mime.type_() == mime::APPLICATION
                && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON));
            if json {
                Ok(())
            } else {
                Err(unsupported(mime.essence_str().to_string()))
            }
        }
        Ok(None) => Ok(()),
        Err(_) => Err(unsupported("an unreadable Content-Type".into())),
    }
}

/// Reads the body with the app's limit; actix's payload errors become the API's.
async fn read(req: HttpRequest, mut payload: Payload) -> Result<Bytes, AdminError> {
    check_media_type(&req)?;
    let bytes = Bytes::from_request(&req, &mut payload).await.map_err(|e| {
        if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
            AdminError::new(
                ErrorKind::PayloadTooLarge,
                "the request body is larger than this server accepts (security.max_body_bytes)",
            )
        } else {
            AdminError::invalid(format!("request body: {e}"))
        }
    })?;
    if !bytes.is_empty() && req.mime_type().ok().flatten().is_none() {
        return Err(AdminError::new(
            ErrorKind::UnsupportedMediaType,
            "the request body must be JSON (Content-Type: application/json)",
        ));
    }
    Ok(bytes)
}

impl FromRequest for Body {
    type Error = Failure;
    type Future = Pin<Box<dyn Future<Output = Result<Body, Failure>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move { Ok(Body(read(req, payload).await)) })
    }
}
