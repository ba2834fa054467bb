//! The rules a client's registration must meet, shared by `portcullis client add` and dynamic
//! registration (RFC 7591 §2, OpenID Registration §2, docs/security.md A.2 and K.2): redirect URIs
//! (exact, no fragments or wildcards, https except loopback), `application_type` (web: https on a
//! host other than loopback; native: loopback http, a reverse-domain custom scheme, or https), grant
//! types a client of its kind may use, and `token_endpoint_auth_method` with the keys it needs.

use url::Url;

use crate::fetch::{self, Policy};
use crate::oauth::client_assertion;
use crate::oauth::redirect_uri::validate_registration;
use crate::storage::{ApplicationType, ClientDisplay, ClientKeys, GrantType};

/// OpenID Core §9 / RFC 7591 §2 `token_endpoint_auth_method` values Portcullis supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::None,
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::PrivateKeyJwt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }

    pub fn parse(s: &str) -> Option<AuthMethod> {
        AuthMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether the client gets a secret.
    pub fn uses_secret(self) -> bool {
        matches!(self, AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost)
    }
}

/// RFC 7591 §3.2.2 error codes of a refused registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataErrorCode {
    InvalidRedirectUri,
    InvalidClientMetadata,
}

impl MetadataErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            MetadataErrorCode::InvalidClientMetadata => "invalid_client_metadata",
        }
    }
}

/// Why a registration is refused; `message` is for the person or client that registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MetadataError {
    pub code: MetadataErrorCode,
    pub message: String,
}

impl MetadataError {
    pub fn metadata(message: impl Into<String>) -> MetadataError {
        MetadataError {
            code: MetadataErrorCode::InvalidClientMetadata,
            message: message.into(),
        }
    }

    pub fn redirect_uri(message: impl Into<String>) -> MetadataError {
        MetadataError {
            code: MetadataErrorCode::InvalidRedirectUri,
            message: message.into(),
        }
    }
}

/// What a registration says, as [`check`] reads it.
#[derive(Debug, Clone, Copy)]
pub struct Registration<'a> {
    pub name: &'a str,
    pub redirect_uris: &'a [String],
    pub post_logout_redirect_uris: &'a [String],
    pub grant_types: &'a [GrantType],
    pub auth_method: AuthMethod,
    pub keys: Option<&'a ClientKeys>,
    /// `None`: inferred, see [`infer_application_type`].
    pub application_type: Option<ApplicationType>,
    /// `registration.cimd_allow_http_loopback`: a `jwks_uri` on http://127.0.0.1 (tests).
    pub allow_http_loopback: bool,
}

/// Checks `r`; returns the client's `application_type`.
pub fn check(r: &Registration<'_>) -> Result<ApplicationType, MetadataError> {
    if r.name.trim().is_empty() {
        return Err(MetadataError::metadata("the client name must not be empty"));
    }
    if r.name.chars().any(char::is_control) || r.name.chars().count() > 100 {
        return Err(MetadataError::metadata(
            "the client name must be at most 100 characters without control characters",
        ));
    }
    if r.auth_method == AuthMethod::None {
        if let Some(g) = r.grant_types.iter().find(|g| {
            matches!(
                g,
                GrantType::ClientCredentials | GrantType::Password | GrantType::TokenExchange
            )
        }) {
            return Err(MetadataError::metadata(format!(
                "a public client cannot use the {g} grant (it has no secret)"
            )));
        }
    }
    if r.grant_types.contains(&GrantType::AuthorizationCode) && r.redirect_uris.is_empty() {
        return Err(MetadataError::redirect_uri(
            "a redirect URI is required when authorization_code is granted",
        ));
    }
    for uri in r.redirect_uris.iter().chain(r.post_logout_redirect_uris) {
        validate_registration(uri).map_err(|e| MetadataError::redirect_uri(format!("{uri}: {e}")))?;
    }
    let application_type = r
        .application_type
        .unwrap_or_else(|| infer_application_type(r.redirect_uris));
    for uri in r.redirect_uris {
        check_application_type(application_type, uri)
            .map_err(|e| MetadataError::redirect_uri(format!("{uri}: {e}")))?;
    }
    check_keys(r)?;
    Ok(application_type)
}

/// RFC 7591 §2 `client_uri`, `logo_uri`, `policy_uri`, `tos_uri` (docs/security.md O.4): each an
/// absolute https URL without user information or fragment, at most 2,000 characters; http only on
/// a loopback host when `allow_http_loopback` (development).
pub fn check_display(display: &ClientDisplay, allow_http_loopback: bool) -> Result<(), MetadataError> {
    for (name, value) in display.fields() {
        let Some(uri) = value else { continue };
        let bad = |why: &str| MetadataError::metadata(format!("{name}: {why}"));
        if uri.len() > 2000 {
            return Err(bad("longer than 2000 characters"));
        }
        let url = Url::parse(uri).map_err(|_| bad("not an absolute URL"))?;
        let loopback = url.host_str().is_some_and(crate::config::is_loopback_host);
        match url.scheme() {
            "https" => {}
            "http" if loopback && allow_http_loopback => {}
            _ => return Err(bad("must be an https URL")),
        }
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err(bad("must not carry user information or a fragment"));
        }
    }
    Ok(())
}

/// Without an explicit `application_type`: `native` when every redirect URI is one only a native
/// app uses (loopback http or a custom scheme), else `web` (OpenID Registration §2's default).
pub fn infer_application_type(redirect_uris: &[String]) -> ApplicationType {
    let native_only = !redirect_uris.is_empty()
        && redirect_uris
            .iter()
            .all(|u| Url::parse(u).is_ok_and(|u| u.scheme() != "https"));
    if native_only {
        ApplicationType::Native
    } else {
        ApplicationType::Web
    }
}

/// OpenID Registration §2 and RFC 8252 §7: web clients use https on a host other than loopback;
/// native clients use loopback http (§7.3), a custom scheme with a period, so reverse-domain
/// (§7.1, §8.4), or https (§7.2).
fn check_application_type(kind: ApplicationType, uri: &str) -> Result<(), String> {
    let url = Url::parse(uri).map_err(|e| e.to_string())?;
    let loopback = url.host_str().is_some_and(crate::config::is_loopback_host);
    match (kind, url.scheme()) {
        (ApplicationType::Web, "https") if !loopback => Ok(()),
        (ApplicationType::Web, _) => Err(
            "a web client's redirect URIs must be https on a host other than loopback (register it as native)"
                .into(),
        ),
        (ApplicationType::Native, "https" | "http") => Ok(()),
        (ApplicationType::Native, scheme) if scheme.contains('.') => Ok(()),
        (ApplicationType::Native, _) => Err(
            "a native client's custom scheme must be a reverse domain name such as com.example.app (RFC 8252 §7.1)"
                .into(),
        ),
    }
}

/// `private_key_jwt` needs keys (an inline JWK Set of public keys, or an https `jwks_uri`); the
/// other methods must have none.
fn check_keys(r: &Registration<'_>) -> Result<(), MetadataError> {
    match (r.auth_method, r.keys) {
        (AuthMethod::PrivateKeyJwt, None) => {
            Err(MetadataError::metadata("private_key_jwt needs jwks or jwks_uri"))
        }
        (AuthMethod::PrivateKeyJwt, Some(ClientKeys::Jwks(set))) => client_assertion::parse_jwks(set)
            .map(|_| ())
            .map_err(|e| MetadataError::metadata(format!("jwks: {e}"))),
        (AuthMethod::PrivateKeyJwt, Some(ClientKeys::JwksUri(uri))) => {
            let url = Url::parse(uri).map_err(|_| MetadataError::metadata("jwks_uri is not a URL"))?;
            let policy = Policy {
                max_bytes: client_assertion::MAX_JWKS_LEN,
                allow_http_loopback: r.allow_http_loopback,
            };
            fetch::check_url(&url, policy).map_err(|e| MetadataError::metadata(format!("jwks_uri: {e}")))
        }
        (_, Some(_)) => Err(MetadataError::metadata(
            "jwks and jwks_uri are only for private_key_jwt",
        )),
        (_, None) => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn reg<'a>(uris: &'a [String], kind: Option<ApplicationType>) -> Registration<'a> {
        Registration {
            name: "App",
            redirect_uris: uris,
            post_logout_redirect_uris: &[],
            grant_types: &[GrantType::AuthorizationCode],
            auth_method: AuthMethod::None,
            keys: None,
            application_type: kind,
            allow_http_loopback: false,
        }
    }

    fn uris(u: &[&str]) -> Vec<String> {
        u.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn display_uris_must_be_https_or_loopback_http_in_development() {
        let with = |uri: &str| ClientDisplay {
            logo_uri: Some(uri.to_string()),
            ..ClientDisplay::default()
        };
        assert!(check_display(&with("https://app.example/logo.png"), false).is_ok());
        for bad in [
            "http://app.example/logo.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "https://user:pw@app.example/logo.png",
            "https://app.example/logo.png#x",
            "/logo.png",
        ] {
            let err = check_display(&with(bad), true).unwrap_err();
            assert!(err.message.starts_with("logo_uri"), "{bad}: {err}");
        }
        assert!(check_display(&with("http://localhost:8080/logo.png"), false).is_err());
        assert!(check_display(&with("http://localhost:8080/logo.png"), true).is_ok());
    }

    #[test]
    fn web_clients_need_https_redirect_uris_off_loopback() {
        let loopback = uris(&["http://127.0.0.1:8080/cb"]);
        let err = check(&reg(&loopback, Some(ApplicationType::Web))).unwrap_err();
        assert_eq!(err.code, MetadataErrorCode::InvalidRedirectUri);
        let scheme = uris(&["com.example.app:/cb"]);
        assert!(check(&reg(&scheme, Some(ApplicationType::Web))).is_err());
        let https = uris(&["https://app.example/cb"]);
        assert_eq!(check(&reg(&https, None)).unwrap(), ApplicationType::Web);
    }

    #[test]
    fn native_clients_use_loopback_or_reverse_domain_schemes() {
        let ok = uris(&["http://127.0.0.1/cb", "com.example.app:/cb"]);
        assert_eq!(check(&reg(&ok, None)).unwrap(), ApplicationType::Native);
        let bare = uris(&["myapp:/cb"]);
        assert!(check(&reg(&bare, Some(ApplicationType::Native))).is_err());
        let mixed = uris(&["https://app.example/cb", "http://127.0.0.1/cb"]);
        assert!(check(&reg(&mixed, None)).is_err(), "inferred web");
        assert!(check(&reg(&mixed, Some(ApplicationType::Native))).is_ok());
    }

    #[test]
    fn redirect_uris_with_fragments_or_wildcards_are_invalid_redirect_uri() {
        for bad in [
            "https://a.example/cb#x",
            "https://*.example/cb",
            "http://a.example/cb",
        ] {
            let u = uris(&[bad]);
            assert_eq!(
                check(&reg(&u, None)).unwrap_err().code,
                MetadataErrorCode::InvalidRedirectUri,
                "{bad}"
            );
        }
    }

    #[test]
    fn private_key_jwt_needs_keys_and_only_it_has_them() {
        let u = uris(&["https://a.example/cb"]);
        let mut r = reg(&u, None);
        r.auth_method = AuthMethod::PrivateKeyJwt;
        assert!(check(&r).is_err());
        let http = ClientKeys::JwksUri("http://keys.example/jwks".into());
        r.keys = Some(&http);
        assert!(check(&r).is_err());
        let https = ClientKeys::JwksUri("https://keys.example/jwks".into());
        r.keys = Some(&https);
        assert!(check(&r).is_ok());
        r.auth_method = AuthMethod::ClientSecretBasic;
        assert!(check(&r).is_err());
    }

    #[test]
    fn public_clients_cannot_use_secret_grants() {
        let u = uris(&["https://a.example/cb"]);
        let mut r = reg(&u, None);
        r.grant_types = &[GrantType::AuthorizationCode, GrantType::Password];
        assert_eq!(
            check(&r).unwrap_err().code,
            MetadataErrorCode::InvalidClientMetadata
        );
    }
}
