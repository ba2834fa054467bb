//! RFC 9126: pushed authorization requests kept for their `request_uri` (docs/security.md F.1).
//! `/par` validates and parks a request for the client that pushed it; `/authorize` takes it back
//! once, for that client only, before its short lifetime ends.

use std::time::Duration;

use serde::Serialize;

use crate::context::Context;
use crate::digest::sha256_hex;
use crate::oauth::OAuthError;
use crate::oauth::authorization_request::{AuthorizationRequest, RedirectError};
use crate::oauth::par::{self, Origin, ParPolicy, PushedRequest};
use crate::oauth::params::ParamMap;
use crate::oauth::pkce::PkcePolicy;
use crate::random::secret_256;
use crate::storage::{Client, Kind};

/// RFC 9126 §2.2: the body of a successful push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pushed {
    pub request_uri: String,
    pub expires_in: u64,
}

/// RFC 9126 §2.1: validates the request as `/authorize` would, then keeps it for `client` under
/// the digest of a 256-bit random `request_uri` for `par.request_uri_ttl_secs`.
pub async fn push(
    ctx: &Context,
    client: &Client,
    params: &ParamMap,
    pkce: PkcePolicy,
) -> Result<Pushed, OAuthError> {
    let request = par::validate_push(params, client, pkce)?;
    // RFC 8707 §2: an unknown or forbidden resource is refused at the push (docs/security.md J.1).
    crate::apis::bind_request(ctx, client, request)
        .await
        .map_err(|e| e.error)?;
    let ttl = ctx.par.request_uri_ttl_secs;
    let reference = secret_256();
    let stored = PushedRequest::new(&client.client_id, params, ctx.now() + ttl as i64);
    let json = serde_json::to_string(&stored).map_err(OAuthError::server_error)?;
    ctx.ephemeral
        .put(
            Kind::Par,
            &sha256_hex(&reference),
            &json,
            Duration::from_secs(ttl),
        )
        .await?;
    Ok(Pushed {
        request_uri: format!("{}{reference}", par::REQUEST_URI_PREFIX),
        expires_in: ttl,
    })
}

/// RFC 9126 §4: with a `request_uri`, the authorization request is the pushed one, taken once,
/// for the `client_id` sent with it (which must be the pushing client's); every other parameter
/// sent to `/authorize` is ignored. An unknown, used, expired or another client's `request_uri` is
/// `invalid_request_uri`, shown on the error page: nothing about it has been verified, so nothing
/// is redirected. Without a `request_uri`, the parameters are returned as they are.
pub async fn authorization_params(ctx: &Context, params: ParamMap) -> Result<(ParamMap, Origin), OAuthError> {
    let Some(request_uri) = params.get("request_uri") else {
        return Ok((params, Origin::Direct));
    };
    let client_id = params.require("client_id")?;
    let key = par::reference(request_uri)
        .map(sha256_hex)
        .ok_or_else(|| par::invalid_request_uri("not a request_uri of ours"))?;
    let raw = ctx
        .ephemeral
        .get(Kind::Par, &key)
        .await?
        .ok_or_else(|| par::invalid_request_uri("unknown or used"))?;
    let pushed: PushedRequest = serde_json::from_str(&raw).map_err(OAuthError::server_error)?;
    // Checked before taking it, so another client cannot use it up.
    if pushed.client_id != client_id {
        return Err(par::invalid_request_uri("pushed by another client"));
    }
    if pushed.expires_at <= ctx.now() {
        return Err(par::invalid_request_uri("expired"));
    }
    if ctx.ephemeral.take(Kind::Par, &key).await?.is_none() {
        return Err(par::invalid_request_uri("used concurrently"));
    }
    Ok((pushed.params()?, Origin::Pushed))
}

/// RFC 9126 §5-6 (`par.required`, or the client's `require_pushed_authorization_requests`): see
/// `oauth::par::check_origin`.
pub fn check_origin(
    ctx: &Context,
    origin: Origin,
    client: &Client,
    request: AuthorizationRequest,
) -> Result<AuthorizationRequest, Box<RedirectError>> {
    par::check_origin(origin, client, ParPolicy::from_setting(ctx.par.required), request)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::oauth::ErrorCode;
    use crate::testing::{self, CHALLENGE, FIRST_PARTY, PUBLIC, REDIRECT_URI, World};

    fn request(client_id: &str, extra: &str) -> ParamMap {
        let q = format!(
            "client_id={client_id}&response_type=code&redirect_uri={}&scope=openid&state=pushed\
             &code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
            crate::cli::serve::percent_encode(REDIRECT_URI)
        );
        ParamMap::from_urlencoded(q.as_bytes()).unwrap()
    }

    async fn pushed(w: &World, client_id: &str) -> String {
        let client = w.client(client_id).await;
        let p = push(&w.ctx, &client, &request(client_id, ""), PkcePolicy::S256Only)
            .await
            .unwrap();
        assert_eq!(p.expires_in, 60);
        p.request_uri
    }

    fn at_authorize(client_id: &str, request_uri: &str) -> ParamMap {
        let pairs = [
            ("client_id".to_string(), client_id.to_string()),
            ("request_uri".to_string(), request_uri.to_string()),
            ("state".to_string(), "ignored".to_string()),
        ];
        ParamMap::from_pairs(pairs).unwrap()
    }

    #[tokio::test]
    async fn pushed_request_is_taken_once_by_its_client_before_it_expires() {
        let w = testing::world().await;
        let uri = pushed(&w, FIRST_PARTY).await;
        let other = authorization_params(&w.ctx, at_authorize(PUBLIC, &uri)).await;
        assert_eq!(
            other.unwrap_err().code,
            ErrorCode::InvalidRequestUri,
            "another client's"
        );
        let (params, origin) = authorization_params(&w.ctx, at_authorize(FIRST_PARTY, &uri))
            .await
            .unwrap();
        assert_eq!(origin, Origin::Pushed);
        assert_eq!(
            params.get("state"),
            Some("pushed"),
            "parameters sent alongside are ignored"
        );
        assert!(!params.contains("request_uri"));
        let again = authorization_params(&w.ctx, at_authorize(FIRST_PARTY, &uri)).await;
        assert_eq!(
            again.unwrap_err().code,
            ErrorCode::InvalidRequestUri,
            "single use"
        );

        let uri = pushed(&w, FIRST_PARTY).await;
        w.advance(60);
        let late = authorization_params(&w.ctx, at_authorize(FIRST_PARTY, &uri)).await;
        assert_eq!(late.unwrap_err().code, ErrorCode::InvalidRequestUri, "expired");
    }

    #[tokio::test]
    async fn push_validates_like_authorize_and_refuses_request_uri() {
        let w = testing::world().await;
        let client = w.client(PUBLIC).await;
        let form = |q: &str| ParamMap::from_urlencoded(q.as_bytes()).unwrap();
        let cb = crate::cli::serve::percent_encode(REDIRECT_URI);
        let pkce = format!("code_challenge={CHALLENGE}&code_challenge_method=S256");
        let cases = [
            (request(PUBLIC, "&request_uri=urn%3Ax"), ErrorCode::InvalidRequest),
            (request(FIRST_PARTY, ""), ErrorCode::InvalidRequest),
            (
                form(&format!(
                    "response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fevil.example%2F&{pkce}"
                )),
                ErrorCode::InvalidRequest,
            ),
            (
                form(&format!(
                    "response_type=code&scope=admin&redirect_uri={cb}&{pkce}"
                )),
                ErrorCode::InvalidScope,
            ),
            (
                form(&format!("response_type=code&scope=openid&redirect_uri={cb}")),
                ErrorCode::InvalidRequest,
            ),
        ];
        for (params, code) in cases {
            let e = push(&w.ctx, &client, &params, PkcePolicy::S256Only)
                .await
                .unwrap_err();
            assert_eq!(e.code, code, "{}", e.description);
        }
        let without_client_id = form(&format!(
            "response_type=code&scope=email&redirect_uri={cb}&{pkce}"
        ));
        assert!(
            push(&w.ctx, &client, &without_client_id, PkcePolicy::S256Only)
                .await
                .is_ok(),
            "the client is known from its authentication"
        );
    }
}
