//! Email verification (docs/guides/email.md; docs/security.md N.3): `GET /email/verify?token=`
//! (the mailed link, 303 to `GET /email/verified`) and `POST /account/email/verify` (a new link,
//! from the account page).

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::accounts::csrf::{self, Holder};
use crate::accounts::verify::{self, Via};
use crate::http::email_pages;
use crate::http::errors::PageError;
use crate::http::{cookies, extract, response};
use crate::state::AppState;

/// Follows a verification link: the address is verified once; the page says so.
#[tracing::instrument(name = "email_verify", skip_all)]
pub async fn follow(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let query = extract::query(&req)?;
    let token = query.get("token").unwrap_or_default();
    verify::confirm(&state.ctx, token, &extract::client_ip(&req))
        .await?
        .map_err(email_pages::link_problem)?;
    Ok(response::see_other("/email/verified"))
}

pub async fn verified() -> Result<HttpResponse, PageError> {
    email_pages::email_verified()
}

/// The account page's "Send the link again" (signed in, CSRF-protected).
#[tracing::instrument(name = "email_verify_request", skip_all)]
pub async fn request(
    state: Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let params = extract::form(&req, &body)?;
    let Some(current) = crate::http::session::current(ctx, &state.settings, &req).await? else {
        return Ok(response::see_other("/account"));
    };
    let (binding, _) = cookies::browser(&req, &state);
    let holder = Holder {
        binding: &binding,
        login: Some(current.session.login()),
    };
    csrf::require(&ctx.ephemeral, &params, holder).await?;
    verify::send_from(ctx, &current.user, Via::AccountPage, &extract::client_ip(&req)).await?;
    Ok(response::see_other("/account?notice=verification-sent"))
}
