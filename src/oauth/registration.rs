//! Dynamic Client Registration (RFC 7591 §2-3) and its management protocol (RFC 7592 §2-3),
//! without I/O (docs/clients.md, "Clients that register themselves"; docs/security.md K.2): the
//! registration request read and checked with the rules `client add` applies
//! (`oauth/client_metadata.rs`), plus what only a client that registers itself must meet (no
//! password grant, no administration scopes, scopes from `registration.allowed_scopes`,
//! `response_types` consistent with `grant_types`), and the client information response.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::config::registration::ADMIN_SCOPE_PREFIX;
use crate::keys::Alg;
use crate::oauth::client_metadata::{self, AuthMethod, MetadataError, MetadataErrorCode};
use crate::oauth::scope::Scope;
use crate::oauth::{ErrorCode, OAuthError};
use crate::storage::{ApplicationType, Client, ClientDisplay, ClientKeys, GrantType};

/// RFC 7591 §2: the grant types a client that registers itself may have.
const REGISTRABLE_GRANTS: [GrantType; 3] = [
    GrantType::AuthorizationCode,
    GrantType::RefreshToken,
    GrantType::ClientCredentials,
];

/// The registration request (RFC 7591 §2, §3.1); members not listed are ignored (§3.2.1: the
/// response says what was registered).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Request {
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<String>,
    pub application_type: Option<String>,
    pub client_name: Option<String>,
    pub scope: Option<String>,
    pub jwks: Option<Value>,
    pub jwks_uri: Option<String>,
    pub id_token_signed_response_alg: Option<String>,
    /// RFC 7591 §2: the client's home page, logo, privacy policy and terms (docs/security.md O.4).
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    /// RFC 7592 §2.2: an update names the client.
    pub client_id: Option<String>,
    /// RFC 7592 §2.2: an update may repeat the secret; it must then be the client's.
    pub client_secret: Option<String>,
}

/// What this server accepts from clients that register themselves.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    pub allowed_scopes: &'a [String],
    pub allow_http_loopback: bool,
    /// The algorithms the key ring signs with (`id_token_signed_response_alg`).
    pub signing_algs: &'a [Alg],
    pub default_alg: Alg,
}

/// A checked registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub auth_method: AuthMethod,
    pub keys: Option<ClientKeys>,
    pub application_type: ApplicationType,
    pub scope: Scope,
    pub id_token_alg: Alg,
    pub display: ClientDisplay,
}

fn metadata_error(message: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, message)
}

impl From<MetadataError> for OAuthError {
    fn from(e: MetadataError) -> OAuthError {
        let code = match e.code {
            MetadataErrorCode::InvalidRedirectUri => ErrorCode::InvalidRedirectUri,
            MetadataErrorCode::InvalidClientMetadata => ErrorCode::InvalidClientMetadata,
        };
        OAuthError::new(code, e.message)
    }
}

/// RFC 7591 §3.1: reads a JSON registration request. Anything but a JSON object whose members
/// have their registered types is `invalid_client_metadata`.
pub fn read(body: &[u8]) -> Result<Request, OAuthError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| metadata_error("the registration is not JSON"))?;
    if !value.is_object() {
        return Err(metadata_error("the registration must be a JSON object"));
    }
    serde_json::from_value(value)
        .map_err(|e| metadata_error("a registration member has the wrong type").with_detail(e))
}

/// RFC 7591 §2 defaults and checks (docs/security.md K.2).
pub fn check(req: Request, policy: &Policy<'_>) -> Result<Metadata, OAuthError> {
    let grant_types = match &req.grant_types {
        None => vec![GrantType::AuthorizationCode],
        Some(list) => {
            let mut out = Vec::new();
            for g in list {
                let grant = GrantType::parse(g)
                    .filter(|g| REGISTRABLE_GRANTS.contains(g))
                    .ok_or_else(|| {
                        metadata_error(format!(
                            "grant type {g} is not available to clients that register themselves"
                        ))
                    })?;
                if !out.contains(&grant) {
                    out.push(grant);
                }
            }
            out
        }
    };
    // RFC 7591 §2.1: response type `code` goes with the authorization_code grant, both ways.
    let response_types = req.response_types.clone().unwrap_or_else(|| {
        if grant_types.contains(&GrantType::AuthorizationCode) {
            vec!["code".into()]
        } else {
            Vec::new()
        }
    });
    if response_types.iter().any(|r| r != "code") {
        return Err(metadata_error("the only response type is code"));
    }
    if response_types.is_empty() == grant_types.contains(&GrantType::AuthorizationCode) {
        return Err(metadata_error(
            "response type code and the authorization_code grant go together",
        ));
    }
    let auth_method = match &req.token_endpoint_auth_method {
        None => AuthMethod::ClientSecretBasic,
        Some(m) => AuthMethod::parse(m)
            .ok_or_else(|| metadata_error(format!("token_endpoint_auth_method {m} is not supported")))?,
    };
    let keys = match (req.jwks, req.jwks_uri) {
        (Some(_), Some(_)) => return Err(metadata_error("jwks and jwks_uri exclude each other")),
        (Some(set), None) => Some(ClientKeys::Jwks(set.to_string())),
        (None, Some(uri)) => Some(ClientKeys::JwksUri(uri)),
        (None, None) => None,
    };
    let application_type = match &req.application_type {
        None => None,
        Some(t) => Some(
            ApplicationType::parse(t)
                .ok_or_else(|| metadata_error("application_type must be web or native"))?,
        ),
    };
    let name = match req.client_name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => default_name(&req.redirect_uris),
    };
    let application_type = client_metadata::check(&client_metadata::Registration {
        name: &name,
        redirect_uris: &req.redirect_uris,
        post_logout_redirect_uris: &req.post_logout_redirect_uris,
        grant_types: &grant_types,
        auth_method,
        keys: keys.as_ref(),
        application_type,
        allow_http_loopback: policy.allow_http_loopback,
    })?;
    let display = ClientDisplay {
        client_uri: req.client_uri.clone(),
        logo_uri: req.logo_uri.clone(),
        policy_uri: req.policy_uri.clone(),
        tos_uri: req.tos_uri.clone(),
    };
    client_metadata::check_display(&display, policy.allow_http_loopback)?;
    let scope = check_scope(req.scope.as_deref(), policy.allowed_scopes)?;
    let id_token_alg = match &req.id_token_signed_response_alg {
        None => policy.default_alg,
        Some(a) => Alg::parse(a)
            .filter(|alg| policy.signing_algs.contains(alg))
            .ok_or_else(|| metadata_error(format!("id_token_signed_response_alg {a} is not offered")))?,
    };
    Ok(Metadata {
        name,
        redirect_uris: dedup(req.redirect_uris),
        post_logout_redirect_uris: dedup(req.post_logout_redirect_uris),
        grant_types,
        auth_method,
        keys,
        application_type,
        scope,
        id_token_alg,
        display,
    })
}

/// Without `client_name`, the host of the first redirect URI (what the consent page can show).
fn default_name(redirect_uris: &[String]) -> String {
    redirect_uris
        .first()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "Unnamed client".into())
}

/// RFC 7591 §2 `scope`: within `allowed`, never an administration scope; absent: all of `allowed`.
fn check_scope(requested: Option<&str>, allowed: &[String]) -> Result<Scope, OAuthError> {
    let allowed_scope = Scope::from_tokens(allowed.iter().filter(|s| !s.starts_with(ADMIN_SCOPE_PREFIX)));
    let Some(text) = requested else {
        return Ok(allowed_scope);
    };
    let scope = Scope::parse(text).map_err(|_| metadata_error("scope contains an invalid character"))?;
    if let Some(s) = scope.iter().find(|s| s.starts_with(ADMIN_SCOPE_PREFIX)) {
        return Err(metadata_error(format!(
            "the administration scope {s} is not for clients that register themselves"
        )));
    }
    if let Some(s) = scope.iter().find(|s| !allowed_scope.contains(s)) {
        return Err(metadata_error(format!(
            "scope {s} is not offered to clients that register themselves"
        )));
    }
    Ok(scope)
}

impl Metadata {
    /// Writes the registered properties into `client`: always third party (consent shown), never
    /// a resource server, no password form restrictions or groups.
    pub fn apply(self, client: &mut Client) {
        client.name = self.name;
        client.redirect_uris = self.redirect_uris;
        client.post_logout_redirect_uris = self.post_logout_redirect_uris;
        client.grant_types = self.grant_types;
        client.scopes = self.scope;
        client.first_party = false;
        client.resource_server = false;
        client.id_token_signed_response_alg = self.id_token_alg;
        client.registration.keys = self.keys;
        client.registration.application_type = self.application_type;
        client.registration.secret_post = self.auth_method == AuthMethod::ClientSecretPost;
        client.registration.display = self.display;
    }
}

/// RFC 7591 §3.2.1 / RFC 7592 §3: the client's registered metadata, with `client_id`,
/// `client_id_issued_at` and `registration_client_uri` (the caller adds secrets).
pub fn client_information(client: &Client, registration_client_uri: &str) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("client_id".into(), json!(client.client_id));
    out.insert("client_id_issued_at".into(), json!(client.created_at));
    out.insert("client_name".into(), json!(client.name));
    out.insert("redirect_uris".into(), json!(client.redirect_uris));
    if !client.post_logout_redirect_uris.is_empty() {
        out.insert(
            "post_logout_redirect_uris".into(),
            json!(client.post_logout_redirect_uris),
        );
    }
    let grants: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
    let response_types: Vec<&str> = if client.allows_grant(GrantType::AuthorizationCode) {
        vec!["code"]
    } else {
        Vec::new()
    };
    out.insert("grant_types".into(), json!(grants));
    out.insert("response_types".into(), json!(response_types));
    out.insert("token_endpoint_auth_method".into(), json!(client.auth_method()));
    out.insert(
        "application_type".into(),
        json!(client.registration.application_type.as_str()),
    );
    out.insert("scope".into(), json!(client.scopes.to_string()));
    out.insert(
        "id_token_signed_response_alg".into(),
        json!(client.id_token_signed_response_alg.to_string()),
    );
    match &client.registration.keys {
        Some(ClientKeys::Jwks(set)) => {
            out.insert("jwks".into(), serde_json::from_str(set).unwrap_or(Value::Null));
        }
        Some(ClientKeys::JwksUri(uri)) => {
            out.insert("jwks_uri".into(), json!(uri));
        }
        None => {}
    }
    for (name, value) in client.registration.display.fields() {
        if let Some(uri) = value {
            out.insert(name.into(), json!(uri));
        }
    }
    out.insert("registration_client_uri".into(), json!(registration_client_uri));
    out
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn policy(allowed: &[String]) -> Policy<'_> {
        Policy {
            allowed_scopes: allowed,
            allow_http_loopback: false,
            signing_algs: &[Alg::Rs256],
            default_alg: Alg::Rs256,
        }
    }

    fn allowed() -> Vec<String> {
        ["openid", "profile", "email", "offline_access"]
            .map(String::from)
            .to_vec()
    }

    fn run(body: Value) -> Result<Metadata, OAuthError> {
        let a = allowed();
        check(read(body.to_string().as_bytes())?, &policy(&a))
    }

    #[test]
    fn defaults_follow_rfc7591() {
        let m = run(json!({ "redirect_uris": ["https://app.example/cb"] })).unwrap();
        assert_eq!(m.grant_types, vec![GrantType::AuthorizationCode]);
        assert_eq!(m.auth_method, AuthMethod::ClientSecretBasic);
        assert_eq!(m.name, "app.example");
        assert_eq!(m.application_type, ApplicationType::Web);
        assert_eq!(m.scope.to_string(), "email offline_access openid profile");
    }

    #[test]
    fn password_grant_is_refused_to_registered_clients() {
        let e = run(json!({ "redirect_uris": ["https://a.example/cb"], "grant_types": ["authorization_code", "password"] }))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClientMetadata);
    }

    #[test]
    fn admin_and_unoffered_scopes_are_refused() {
        for scope in ["openid portcullis:admin", "openid api:write"] {
            let e = run(json!({ "redirect_uris": ["https://a.example/cb"], "scope": scope })).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidClientMetadata, "{scope}");
        }
        let m = run(json!({ "redirect_uris": ["https://a.example/cb"], "scope": "openid" })).unwrap();
        assert_eq!(m.scope.to_string(), "openid");
    }

    #[test]
    fn response_types_and_grant_types_must_agree() {
        for body in [
            json!({ "redirect_uris": ["https://a.example/cb"], "response_types": ["token"] }),
            json!({ "redirect_uris": ["https://a.example/cb"], "response_types": [] }),
            json!({ "grant_types": ["client_credentials"], "response_types": ["code"] }),
        ] {
            assert_eq!(
                run(body.clone()).unwrap_err().code,
                ErrorCode::InvalidClientMetadata,
                "{body}"
            );
        }
        let m = run(json!({ "grant_types": ["client_credentials"], "client_name": "Svc" })).unwrap();
        assert_eq!(m.grant_types, vec![GrantType::ClientCredentials]);
    }

    #[test]
    fn bad_redirect_uris_are_invalid_redirect_uri() {
        for uri in [
            "https://a.example/cb#f",
            "http://a.example/cb",
            "https://*.a.example/cb",
        ] {
            let e = run(json!({ "redirect_uris": [uri] })).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRedirectUri, "{uri}");
        }
        let e =
            run(json!({ "redirect_uris": ["http://127.0.0.1/cb"], "application_type": "web" })).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRedirectUri);
    }

    #[test]
    fn malformed_requests_are_invalid_client_metadata() {
        for body in ["[]", "not json", r#"{"redirect_uris": "https://a.example/cb"}"#] {
            assert_eq!(
                read(body.as_bytes()).unwrap_err().code,
                ErrorCode::InvalidClientMetadata
            );
        }
    }
}
