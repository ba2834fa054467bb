//! `POST /register` (RFC 7591 §3) and `GET`/`PUT`/`DELETE /register/{client_id}` (RFC 7592 §2):
//! parse, call `clients::registration`, render. 404 while `registration.mode` is `off`; a missing
//! or wrong token is 401 with a `Bearer` challenge (RFC 6750 §3).

use actix_web::http::header;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};

use crate::clients::registration::{self, RegistrationError};
use crate::http::errors::ApiError;
use crate::http::extract::{self, Bearer, QueryTokens};
use crate::http::response::no_store;
use crate::oauth::OAuthError;
use crate::state::AppState;

/// The bearer token of the request, if any.
fn token(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    match extract::bearer(req, None, QueryTokens::Refused).map_err(ApiError::bearer)? {
        Bearer::Token(t) => Ok(Some(t)),
        Bearer::Missing => Ok(None),
    }
}

fn render(e: RegistrationError) -> Result<HttpResponse, ApiError> {
    match e {
        RegistrationError::Off => Ok(HttpResponse::NotFound().finish()),
        RegistrationError::NoToken => Err(ApiError::bearer_missing()),
        RegistrationError::BadToken => Err(ApiError::bearer(OAuthError::invalid_token(
            "the token is not valid for this registration",
        ))),
        RegistrationError::TooMany(wait) => Ok(no_store(
            HttpResponse::TooManyRequests()
                .insert_header((header::RETRY_AFTER, wait.to_string()))
                .json(
                    OAuthError::invalid_request("too many registrations from this address, try again later")
                        .to_json(),
                ),
        )),
        RegistrationError::Invalid(e) => Err(e.into()),
    }
}

#[tracing::instrument(name = "register", skip_all)]
pub async fn post(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let meta = extract::meta(&req);
    let bearer = token(&req)?;
    match registration::register(&state.ctx, bearer.as_deref(), &body, &meta).await {
        Ok(info) => Ok(no_store(HttpResponse::Created().json(info))),
        Err(e) => render(e),
    }
}

#[tracing::instrument(name = "register_read", skip_all)]
pub async fn get(
    state: Data<AppState>,
    req: HttpRequest,
    client_id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let bearer = token(&req)?;
    match registration::read(&state.ctx, &client_id, bearer.as_deref()).await {
        Ok(info) => Ok(no_store(HttpResponse::Ok().json(info))),
        Err(e) => render(e),
    }
}

#[tracing::instrument(name = "register_update", skip_all)]
pub async fn put(
    state: Data<AppState>,
    req: HttpRequest,
    client_id: Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let meta = extract::meta(&req);
    let bearer = token(&req)?;
    match registration::update(&state.ctx, &client_id, bearer.as_deref(), &body, &meta).await {
        Ok(info) => Ok(no_store(HttpResponse::Ok().json(info))),
        Err(e) => render(e),
    }
}

#[tracing::instrument(name = "register_delete", skip_all)]
pub async fn delete(
    state: Data<AppState>,
    req: HttpRequest,
    client_id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let meta = extract::meta(&req);
    let bearer = token(&req)?;
    match registration::delete(&state.ctx, &client_id, bearer.as_deref(), &meta).await {
        Ok(()) => Ok(no_store(HttpResponse::NoContent().finish())),
        Err(e) => render(e),
    }
}
