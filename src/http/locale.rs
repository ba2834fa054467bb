//! docs/guides/languages.md: the language of each request's pages, put in reach of the templates
//! and the error pages for the time of the request (`i18n::scope`). `ui_locales` in the query
//! (`GET /authorize`) wins, else `Accept-Language`; the body of a `POST /authorize` is read by its
//! handler only, which then sets the language from the parsed request's `ui_locales`
//! (`endpoints::authorize`), and a pending request's own `ui_locales` takes over when its page loads
//! it (`interaction::Pending::load`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::middleware::Next;

use crate::i18n::{self, negotiate};

/// The middleware: the request's language, from its query's `ui_locales` or its `Accept-Language`.
pub async fn scope(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let ui_locales = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "ui_locales").map(|(_, v)| v));
    let accept = req.headers().get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = negotiate::choose(ui_locales.as_deref(), accept);
    i18n::scope(lang, next.call(req)).await
}
