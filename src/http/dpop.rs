//! RFC 9449 over HTTP (docs/security.md F.2): the `DPoP` request header, the `DPoP` authorization
//! scheme at a resource, and the `DPoP-Nonce` response header. The checks themselves are in
//! `tokens/dpop.rs` and `oauth/dpop.rs`.

use actix_web::{HttpRequest, HttpResponse};

use crate::context::Context;
use crate::http::errors::ApiError;
use crate::http::extract::{self, Bearer, QueryTokens};
use crate::oauth::params::ParamMap;
use crate::oauth::{ErrorCode, OAuthError};
use crate::tokens::access::{self, ValidToken};
use crate::tokens::dpop::{self, Binding, ProofRequest};

/// The proof header.
const DPOP: &str = "DPoP";

/// RFC 9449 §4.3 step 1: the request's proof, when it has one; two `DPoP` headers, or one that is
/// not visible ASCII, are `invalid_dpop_proof`.
pub fn proof(req: &HttpRequest) -> Result<Option<&str>, OAuthError> {
    let invalid = || OAuthError::new(ErrorCode::InvalidDpopProof, "send exactly one DPoP header");
    let mut values = req.headers().get_all(DPOP);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid());
    }
    first.to_str().map(Some).map_err(|_| invalid())
}

/// RFC 9449 §5: at the token endpoint, a proof binds the tokens to its key; without one they are
/// bearer tokens. A bad proof is `400 invalid_dpop_proof` (or `use_dpop_nonce`, with a nonce).
pub async fn token_binding(ctx: &Context, req: &HttpRequest) -> Result<Binding, ApiError> {
    let Some(proof) = proof(req).map_err(|e| with_nonce_error(ctx, e.into()))? else {
        return Ok(Binding::Bearer);
    };
    let request = ProofRequest {
        proof,
        method: req.method().as_str(),
        path: "/token",
        access_token: None,
    };
    match dpop::check(ctx, request).await {
        Ok(jkt) => Ok(Binding::Dpop { jkt }),
        Err(e) => Err(with_nonce_error(ctx, e.into())),
    }
}

/// RFC 9449 §8.2: a token response to a request with a proof carries the current nonce, when
/// nonces are required.
pub fn token_response(ctx: &Context, binding: &Binding, res: HttpResponse) -> HttpResponse {
    match binding {
        Binding::Bearer => res,
        Binding::Dpop { .. } => with_nonce(ctx, res),
    }
}

/// An error of the token endpoint; with a proof, it carries the current nonce when nonces are
/// required.
pub fn token_error(ctx: &Context, binding: &Binding, e: OAuthError) -> ApiError {
    match binding {
        Binding::Bearer => e.into(),
        Binding::Dpop { .. } => with_nonce_error(ctx, e.into()),
    }
}

/// RFC 9449 §8.2: adds `DPoP-Nonce` with the current nonce when nonces are required.
pub fn with_nonce(ctx: &Context, mut res: HttpResponse) -> HttpResponse {
    if let Ok(Some(nonce)) = dpop::current_nonce(ctx) {
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&nonce) {
            res.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("dpop-nonce"),
                value,
            );
        }
    }
    res
}

/// RFC 9449 §8: an error that carries the current nonce when nonces are required.
pub fn with_nonce_error(ctx: &Context, err: ApiError) -> ApiError {
    err.with_dpop_nonce(dpop::current_nonce(ctx).ok().flatten())
}

/// How the access token of a resource request was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RFC 6750: header, form body or (when allowed) query.
    Bearer,
    /// RFC 9449 §7.1: `Authorization: DPoP <token>` with a `DPoP` proof.
    Dpop,
}

/// A valid access token of a resource request, and how it came.
pub struct Authorized {
    pub token: ValidToken,
    pub scheme: Scheme,
}

impl Authorized {
    /// An error about this request, in the challenge of the scheme the token came with.
    pub fn error(&self, ctx: &Context, e: OAuthError) -> ApiError {
        match self.scheme {
            Scheme::Bearer => ApiError::bearer(e),
            Scheme::Dpop => with_nonce_error(ctx, ApiError::dpop(e)),
        }
    }
}

/// RFC 6750 §2 and RFC 9449 §7: the access token of a request to the resource at `path`. A
/// DPoP-bound token needs the `DPoP` scheme and a proof of its key with `ath`; presented as a
/// bearer token it is refused with the `DPoP` challenge (§7.2). Errors carry the challenge of the
/// scheme used.
pub async fn authorize_resource(
    ctx: &Context,
    req: &HttpRequest,
    form: Option<&ParamMap>,
    query_tokens: QueryTokens,
    path: &str,
) -> Result<Authorized, ApiError> {
    if let Some(token) = dpop_token(req)? {
        if form.is_some_and(|f| f.contains("access_token")) {
            let e = OAuthError::invalid_request("more than one method used to send the access token");
            return Err(ApiError::dpop(e));
        }
        let dpop_error = |e: OAuthError| with_nonce_error(ctx, ApiError::dpop(e));
        let proof = proof(req).map_err(dpop_error)?.ok_or_else(|| {
            dpop_error(OAuthError::new(
                ErrorCode::InvalidDpopProof,
                "a DPoP proof is required",
            ))
        })?;
        let valid = access::validate(ctx, &token).await.map_err(dpop_error)?;
        let request = ProofRequest {
            proof,
            method: req.method().as_str(),
            path,
            access_token: Some(&token),
        };
        dpop::check_bound_token(ctx, &valid.claims, request)
            .await
            .map_err(dpop_error)?;
        return Ok(Authorized {
            token: valid,
            scheme: Scheme::Dpop,
        });
    }
    let token = match extract::bearer(req, form, query_tokens).map_err(ApiError::bearer)? {
        Bearer::Token(t) => t,
        Bearer::Missing => return Err(ApiError::bearer_missing()),
    };
    let valid = access::validate(ctx, &token).await.map_err(ApiError::bearer)?;
    if valid.claims.cnf.is_some() {
        let e = OAuthError::invalid_token("a DPoP-bound access token needs the DPoP scheme and a proof");
        return Err(with_nonce_error(ctx, ApiError::dpop(e)));
    }
    Ok(Authorized {
        token: valid,
        scheme: Scheme::Bearer,
    })
}

/// RFC 9449 §7.1: the token of an `Authorization: DPoP <token>` header (the scheme in any case),
/// `None` for any other scheme or no header. A header that is not text is answered as RFC 6750
/// answers it.
fn dpop_token(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(h) = extract::authorization_header(req).map_err(ApiError::bearer)? else {
        return Ok(None);
    };
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    if !scheme.eq_ignore_ascii_case("dpop") {
        return Ok(None);
    }
    let token = rest.trim();
    if token.is_empty() {
        return Err(ApiError::dpop(OAuthError::invalid_request(
            "empty DPoP access token",
        )));
    }
    Ok(Some(token.to_string()))
}
