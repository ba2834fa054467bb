//! The stylesheet, logo, form-post script and passkey script, compiled into the binary so the server needs no
//! files beside it.

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Path;

const CSS: &str = include_str!("../../static/css/portcullis.css");
const LOGO: &str = include_str!("../../static/img/logo.svg");
const FORM_POST_JS: &str = include_str!("../../static/js/form_post.js");
const PASSKEY_JS: &str = include_str!("../../static/js/passkey.js");

pub async fn asset(path: Path<String>) -> HttpResponse {
    let (body, mime) = match path.as_str() {
        "css/portcullis.css" => (CSS, "text/css; charset=utf-8"),
        "img/logo.svg" => (LOGO, "image/svg+xml"),
        "js/form_post.js" => (FORM_POST_JS, "text/javascript; charset=utf-8"),
        "js/passkey.js" => (PASSKEY_JS, "text/javascript; charset=utf-8"),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(mime)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}
