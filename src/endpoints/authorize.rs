//! `GET|POST /authorize` (RFC 6749 §4.1.1, OpenID Core §3.1.2). Errors about the client or the
//! redirect URI render the error page; all others go back to the client (docs/security.md A.3).
//! Requests are limited per client address (docs/security.md A.7). The request's `ui_locales`, in
//! the query or the form body, sets the language of its pages (docs/guides/languages.md).

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};

use crate::accounts::csrf::Holder;
use crate::apis;
use crate::http::errors::PageError;
use crate::http::pages::{self, Browser};
use crate::http::{cookies, extract, response, session};
use crate::interaction::throttle::{self, Admission};
use crate::interaction::{self, AuthResponse, par};
use crate::oauth::OAuthError;
use crate::oauth::authorization_request as request;
use crate::oauth::pkce::PkcePolicy;
use crate::state::AppState;

#[tracing::instrument(name = "authorize", skip_all)]
pub async fn handle(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, PageError> {
    let ctx = &state.ctx;
    let meta = extract::meta(&req);
    let params = extract::query_or_form(&req, &body);
    if let Admission::RetryAfter(secs) = throttle::admit(ctx, &meta.ip).await? {
        return Ok(pages::too_many_requests(secs));
    }
    let params = params?;
    // RFC 9126 §4: a request_uri from /par stands for the pushed request (docs/security.md F.1).
    let (params, origin) = par::authorization_params(ctx, params).await?;
    // OpenID Core §3.1.2.1: `ui_locales` of a POSTed (or pushed) request chooses the language of
    // its pages, error pages included, as the query's does in http/locale.rs
    // (docs/guides/languages.md).
    if let Some(lang) = params
        .get("ui_locales")
        .and_then(crate::i18n::negotiate::from_ui_locales)
    {
        crate::i18n::prefer(lang);
    }
    let client_id = params.require("client_id")?;
    // A Client ID Metadata Document URL is resolved here (docs/security.md K.3).
    let client = crate::clients::load(ctx, client_id).await?;
    let redirect_uri = request::resolve_redirect_uri(&params, client.as_ref())?;
    let client = client.ok_or_else(|| OAuthError::invalid_request("unknown client_id"))?;
    let pkce = PkcePolicy::from_setting(state.settings.security.allow_plain_pkce);
    let validated = match request::validate(&params, &client, redirect_uri, pkce)
        .and_then(|r| par::check_origin(ctx, origin, &client, r))
    {
        // RFC 8707 §2: the API(s) the code will be for (docs/security.md J.1).
        Ok(r) => apis::bind_request(ctx, &client, r).await,
        Err(e) => Err(e),
    };
    let validated = match validated {
        Ok(r) => r,
        Err(e) => {
            return response::authorization_response(&AuthResponse::from_redirect_error(&ctx.issuer, *e));
        }
    };
    let (binding, new_cookie) = cookies::browser(&req, &state);
    let current = session::current(ctx, &state.settings, &req).await?;
    let login = current.as_ref().map(|c| c.session.login().to_string());
    let holder = Holder {
        binding: &binding,
        login: login.as_deref(),
    };
    let signed_in = current.as_ref().map(|c| c.signed_in());
    let step = interaction::begin(ctx, validated, &client, holder, signed_in, &meta).await?;
    let browser = Browser {
        binding,
        login,
        set_cookies: new_cookie.into_iter().collect(),
    };
    pages::render(ctx, step, browser).await
}
