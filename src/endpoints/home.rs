//! `GET /`: a person who types the server's address wants their account page (sign-in first when
//! signed out).

use actix_web::HttpResponse;

use crate::http::response;

pub async fn root() -> HttpResponse {
    response::see_other("/account")
}
