//! RFC 9126: pushed authorization requests, the parts without I/O (docs/security.md F.1): the
//! checks of a pushed request, the `request_uri` it is referred to by, what is stored, and the
//! rule that a client (or the whole server) may accept nothing but pushed requests.

use serde::{Deserialize, Serialize};

use crate::oauth::authorization_request::{self as request, AuthorizationRequest, RedirectError};
use crate::oauth::params::ParamMap;
use crate::oauth::pkce::PkcePolicy;
use crate::oauth::{ErrorCode, OAuthError};
use crate::storage::Client;

/// RFC 9126 §2.2: the URN prefix of every `request_uri` this server issues.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Client authentication parameters (RFC 6749 §2.3.1, RFC 7523 §2.2): never stored with a request.
const CLIENT_AUTH_PARAMS: [&str; 3] = ["client_secret", "client_assertion", "client_assertion_type"];

/// A pushed authorization request as kept in the short-lived store, for the client that pushed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedRequest {
    pub client_id: String,
    /// The authorization request parameters, without client authentication.
    pub params: Vec<(String, String)>,
    pub expires_at: i64,
}

impl PushedRequest {
    /// What to store for `params`, pushed by `client_id`, until `expires_at`.
    pub fn new(client_id: &str, params: &ParamMap, expires_at: i64) -> PushedRequest {
        PushedRequest {
            client_id: client_id.to_string(),
            params: params
                .iter()
                .filter(|(k, _)| !CLIENT_AUTH_PARAMS.contains(k))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            expires_at,
        }
    }

    /// RFC 9126 §4: the parameters the authorization request stands for; the `client_id` is always
    /// the pushing client's.
    pub fn params(&self) -> Result<ParamMap, OAuthError> {
        let client_id = ("client_id".to_string(), self.client_id.clone());
        let others = self.params.iter().filter(|(k, _)| k != "client_id").cloned();
        ParamMap::from_pairs(std::iter::once(client_id).chain(others))
    }
}

/// The random part of a `request_uri` this server could have issued, or `None`.
pub fn reference(request_uri: &str) -> Option<&str> {
    request_uri.strip_prefix(REQUEST_URI_PREFIX).filter(|r| {
        r.len() == 43
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// `invalid_request_uri` (RFC 9101 §6.2, used by RFC 9126 §4): unknown, used, expired or another
/// client's. The reason goes to the log only.
pub fn invalid_request_uri(detail: &'static str) -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidRequestUri,
        "the request_uri is unknown, expired or already used",
    )
    .with_detail(detail)
}

/// RFC 9126 §2.1: a pushed request carries no `request_uri`, names the authenticated client if it
/// names one, and passes both stages of `/authorize`'s validation. Every failure is an error
/// response to the client (§2.3), never a redirect.
pub fn validate_push(
    params: &ParamMap,
    client: &Client,
    pkce: PkcePolicy,
) -> Result<AuthorizationRequest, OAuthError> {
    if params.contains("request_uri") {
        return Err(OAuthError::invalid_request(
            "request_uri must not be pushed (RFC 9126 §2.1)",
        ));
    }
    if params.get("client_id").is_some_and(|id| id != client.client_id) {
        return Err(OAuthError::invalid_request(
            "client_id is not the authenticated client",
        ));
    }
    let redirect_uri = request::resolve_redirect_uri(params, Some(client))?;
    request::validate(params, client, redirect_uri, pkce).map_err(|e| e.error)
}

/// Where the parameters of an authorization request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// From `/par`, by `request_uri` (RFC 9126 §4).
    Pushed,
    /// Sent to `/authorize` itself.
    Direct,
}

/// Whether every client must push its requests (`par.required`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParPolicy {
    /// Only clients registered with `require_pushed_authorization_requests`.
    PerClient,
    /// Every client (RFC 9126 §5 `require_pushed_authorization_requests: true`).
    Everyone,
}

impl ParPolicy {
    pub fn from_setting(required: bool) -> ParPolicy {
        if required {
            ParPolicy::Everyone
        } else {
            ParPolicy::PerClient
        }
    }
}

/// RFC 9126 §5-6: a client that must push its requests gets `invalid_request` for a request sent
/// to `/authorize` directly. The redirect URI was verified in stage one, so the error goes back to
/// it like the other stage-two errors (docs/security.md A.3).
pub fn check_origin(
    origin: Origin,
    client: &Client,
    policy: ParPolicy,
    request: AuthorizationRequest,
) -> Result<AuthorizationRequest, Box<RedirectError>> {
    let required = policy == ParPolicy::Everyone || client.require_pushed_authorization_requests;
    if origin == Origin::Direct && required {
        return Err(Box::new(RedirectError {
            error: OAuthError::invalid_request("this client must use pushed authorization requests"),
            redirect_uri: request.redirect_uri.as_str().to_string(),
            state: request.state,
            response_mode: request.response_mode,
        }));
    }
    Ok(request)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn only_our_urns_with_a_256_bit_reference_are_request_uris() {
        let id = crate::random::secret_256();
        assert_eq!(reference(&format!("{REQUEST_URI_PREFIX}{id}")), Some(id.as_str()));
        assert_eq!(reference(&id), None);
        assert_eq!(reference("https://client.example.com/request.jwt"), None);
        assert_eq!(reference(&format!("{REQUEST_URI_PREFIX}short")), None);
        assert_eq!(
            reference(&format!("{REQUEST_URI_PREFIX}{}", "%".repeat(43))),
            None
        );
    }

    #[test]
    fn client_secrets_are_never_stored_with_a_pushed_request() {
        let params = ParamMap::from_urlencoded(
            b"client_id=c1&client_secret=s3cret&response_type=code&scope=openid&client_assertion=x",
        )
        .unwrap();
        let stored = PushedRequest::new("c1", &params, 100);
        let json = serde_json::to_string(&stored).unwrap();
        assert!(
            !json.contains("s3cret") && !json.contains("client_assertion"),
            "{json}"
        );
        let back = stored.params().unwrap();
        assert_eq!(back.get("client_id"), Some("c1"));
        assert_eq!(back.get("scope"), Some("openid"));
    }
}
