//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document), without I/O
//! (docs/clients.md, docs/security.md K.3): which client_ids are document URLs, and what a fetched
//! document must say. Its metadata meets the rules of dynamic registration
//! (`oauth/registration.rs`), and besides: `client_id` equal to the URL, `redirect_uris` present,
//! no secret of any kind, and only `none` or `private_key_jwt` with a `jwks_uri`.

use serde_json::{Map, Value};
use url::Url;

use crate::oauth::registration::{self, Metadata, Policy};
use crate::oauth::{ErrorCode, OAuthError};

/// The largest document accepted (5 KB), read no further.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;

/// The URL `client_id` names, when it is a metadata document's: https (or, with the test switch,
/// http on 127.0.0.1), a path other than `/`, no fragment, query, user information or dot
/// segments, and written exactly as the URL serialises (so one document has one client_id).
pub fn document_url(client_id: &str, allow_http_loopback: bool) -> Option<Url> {
    if !client_id.starts_with("https://") && !client_id.starts_with("http://") {
        return None;
    }
    let url = Url::parse(client_id).ok()?;
    let loopback = url.host() == Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST));
    let scheme_ok = url.scheme() == "https" || (allow_http_loopback && url.scheme() == "http" && loopback);
    let dot_segment = client_id.split('/').skip(3).any(|s| s == "." || s == "..");
    let ok = scheme_ok
        && url.as_str() == client_id
        && url.path() != "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && !dot_segment;
    ok.then_some(url)
}

fn refused(reason: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, reason)
}

/// Reads the document fetched from `url` as a client's metadata.
pub fn check_document(url: &Url, body: &[u8], policy: &Policy<'_>) -> Result<Metadata, OAuthError> {
    let doc: Map<String, Value> = serde_json::from_slice(body)
        .map_err(|_| refused("the client metadata document is not a JSON object"))?;
    if doc.get("client_id").and_then(Value::as_str) != Some(url.as_str()) {
        return Err(refused("the client metadata document's client_id is not its URL"));
    }
    if ["client_secret", "client_secret_expires_at"]
        .iter()
        .any(|m| doc.contains_key(*m))
    {
        return Err(refused("a client metadata document must not hold a secret"));
    }
    if doc
        .get("redirect_uris")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        return Err(refused("the client metadata document needs redirect_uris"));
    }
    let method = doc
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .unwrap_or("none")
        .to_string();
    match method.as_str() {
        "none" => {}
        "private_key_jwt" if doc.contains_key("jwks_uri") && !doc.contains_key("jwks") => {}
        "private_key_jwt" => {
            return Err(refused(
                "a client metadata document's private_key_jwt needs a jwks_uri (no inline jwks)",
            ));
        }
        _ => {
            return Err(refused(
                "a client metadata document's client must be public (none) or use private_key_jwt",
            ));
        }
    }
    let mut req: registration::Request = serde_json::from_value(Value::Object(doc))
        .map_err(|_| refused("a client metadata document member has the wrong type"))?;
    req.token_endpoint_auth_method = Some(method);
    req.client_id = None;
    registration::check(req, policy)
        .map_err(|e| refused(format!("the client metadata document: {}", e.description)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::keys::Alg;
    use crate::oauth::client_metadata::AuthMethod;

    const URL: &str = "https://agent.example/client.json";

    fn check(doc: Value) -> Result<Metadata, OAuthError> {
        let allowed = vec!["openid".to_string(), "profile".to_string()];
        let policy = Policy {
            allowed_scopes: &allowed,
            allow_http_loopback: false,
            signing_algs: &[Alg::Rs256],
            default_alg: Alg::Rs256,
        };
        check_document(&Url::parse(URL).unwrap(), doc.to_string().as_bytes(), &policy)
    }

    #[test]
    fn only_https_urls_with_a_path_are_document_client_ids() {
        assert!(document_url(URL, false).is_some());
        for not in [
            "web-app",
            "https://agent.example",
            "https://agent.example/",
            "https://agent.example/c?x=1",
            "https://agent.example/c#f",
            "https://u:p@agent.example/c",
            "https://agent.example/a/../c",
            "https://AGENT.example/c",
            "http://agent.example/c",
            "http://127.0.0.1:8080/c",
        ] {
            assert!(document_url(not, false).is_none(), "{not}");
        }
        assert!(document_url("http://127.0.0.1:8080/c", true).is_some());
        assert!(document_url("http://localhost:8080/c", true).is_none());
    }

    #[test]
    fn a_public_document_is_accepted() {
        let m = check(json!({
            "client_id": URL,
            "client_name": "Agent",
            "redirect_uris": ["http://127.0.0.1:33418/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }))
        .unwrap();
        assert_eq!(m.auth_method, AuthMethod::None);
        assert_eq!(m.name, "Agent");
    }

    /// docs/security.md M.2: a metadata document never obtains the admin scope, even when the
    /// configured `allowed_scopes` were to list it.
    #[test]
    fn a_document_asking_for_the_admin_scope_is_refused() {
        let allowed = vec!["openid".to_string(), crate::admin::ADMIN_SCOPE.to_string()];
        let policy = Policy {
            allowed_scopes: &allowed,
            allow_http_loopback: false,
            signing_algs: &[Alg::Rs256],
            default_alg: Alg::Rs256,
        };
        let doc = json!({
            "client_id": URL,
            "redirect_uris": ["http://127.0.0.1:33418/callback"],
            "token_endpoint_auth_method": "none",
            "scope": "openid portcullis:admin",
        });
        let url = Url::parse(URL).unwrap();
        assert!(check_document(&url, doc.to_string().as_bytes(), &policy).is_err());
        let mut without = doc.clone();
        without["scope"] = json!("openid");
        let m = check_document(&url, without.to_string().as_bytes(), &policy).unwrap();
        assert!(!m.scope.contains(crate::admin::ADMIN_SCOPE));
    }

    #[test]
    fn mismatched_client_id_is_refused() {
        let e = check(json!({ "client_id": "https://other.example/client.json", "redirect_uris": ["https://a.example/cb"] }))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
    }

    #[test]
    fn secrets_missing_redirect_uris_and_inline_keys_are_refused() {
        for doc in [
            json!({ "client_id": URL }),
            json!({ "client_id": URL, "redirect_uris": [] }),
            json!({ "client_id": URL, "redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "client_secret_basic" }),
            json!({ "client_id": URL, "redirect_uris": ["https://a.example/cb"], "client_secret": "s" }),
            json!({ "client_id": URL, "redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": []} }),
            json!({ "client_id": URL, "redirect_uris": ["https://a.example/cb"], "grant_types": ["password"] }),
        ] {
            assert!(check(doc.clone()).is_err(), "{doc}");
        }
        assert!(
            check(json!({ "client_id": URL, "redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://agent.example/jwks" }))
                .is_ok()
        );
    }
}
