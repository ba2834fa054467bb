//! `GET /dev/callback`: the demo client's landing page, served only with `serve --dev`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use crate::http::errors::PageError;
use crate::http::response;
use crate::http::templates::DevCallbackPage;

pub async fn callback(req: HttpRequest) -> Result<HttpResponse, PageError> {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    response::page(StatusCode::OK, &DevCallbackPage { params })
}
