//! `GET /dev/callback`: the demo client's landing page, served only with `serve --dev`.

use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use crate::http::errors::PageError;
use crate::http::response;
use crate::http::templates::DevCallbackPage;
use crate::state::AppState;

/// The demo client's landing page: the parameters, and a ready-made curl command that redeems
/// the code (the code_verifier is the one `serve --dev` printed, from `$CODE_VERIFIER`).
pub async fn callback(req: HttpRequest, state: Data<AppState>) -> Result<HttpResponse, PageError> {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let curl = params
        .iter()
        .find(|(name, _)| name == "code")
        .map(|(_, code)| code.as_str())
        .filter(|code| shell_safe(code))
        .map(|code| {
            crate::cli::serve::dev_token_curl_for(&state.settings.issuer, "\"$CODE_VERIFIER\"", code)
        });
    response::page(StatusCode::OK, &DevCallbackPage { params, curl })
}

/// Anyone can send a browser to `/dev/callback?code=...`: only a code of URL-safe characters is
/// put into a command someone may paste into a shell.
fn shell_safe(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 512
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}
