//! A client as the CLI and the admin API show it (docs/admin-api.md, "Clients"): never the
//! secret's digest; the secret itself only in the answer that made or rotated it.

use serde::{Deserialize, Serialize};

use crate::keys::Alg;
use crate::storage::{ApplicationType, Client, ClientApiPolicy, ClientKeys, ClientSource, GrantType};

/// A client as shown: the secret only right after it was made, never its digest.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientView {
    pub client_id: String,
    /// Only in the answer that made (or rotated) it; it cannot be shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub name: String,
    pub public: bool,
    pub token_endpoint_auth_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// web or native.
    #[schema(value_type = String)]
    pub application_type: ApplicationType,
    /// admin, dynamic or metadata_document.
    #[schema(value_type = String)]
    pub source: ClientSource,
    pub first_party: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    #[schema(value_type = Vec<String>)]
    pub grant_types: Vec<GrantType>,
    pub scopes: Vec<String>,
    #[schema(value_type = String)]
    pub id_token_signed_response_alg: Alg,
    /// Its access tokens' algorithm when it names one (else the server's `tokens.access_token_alg`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub access_token_alg: Option<Alg>,
    pub resource_server: bool,
    pub require_pushed_authorization_requests: bool,
    pub require_mfa: bool,
    pub upstreams: Vec<String>,
    pub password_login: bool,
    pub created_at: i64,
    pub groups_claim_filter: Vec<String>,
    pub require_groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    /// RFC 8707: the API its tokens are for by default (docs/guides/apis.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// RFC 8693: the APIs it may exchange tokens into.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchange_to: Vec<String>,
    /// RFC 7591 §2 display metadata shown on the consent page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
}

impl ClientView {
    pub fn new(c: &Client, client_secret: Option<&str>) -> Self {
        ClientView {
            client_id: c.client_id.clone(),
            client_secret: client_secret.map(str::to_string),
            name: c.name.clone(),
            public: c.is_public(),
            token_endpoint_auth_method: c.auth_method().to_string(),
            jwks_uri: match &c.registration.keys {
                Some(ClientKeys::JwksUri(u)) => Some(u.clone()),
                _ => None,
            },
            jwks: match &c.registration.keys {
                Some(ClientKeys::Jwks(set)) => serde_json::from_str(set).ok(),
                _ => None,
            },
            application_type: c.registration.application_type,
            source: c.registration.source,
            first_party: c.first_party,
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            grant_types: c.grant_types.clone(),
            scopes: c.scopes.iter().map(str::to_string).collect(),
            id_token_signed_response_alg: c.id_token_signed_response_alg,
            access_token_alg: c.access_token_alg,
            resource_server: c.resource_server,
            require_pushed_authorization_requests: c.require_pushed_authorization_requests,
            require_mfa: c.require_mfa,
            upstreams: c.upstreams.clone(),
            password_login: c.password_login,
            created_at: c.created_at,
            groups_claim_filter: c.groups.claim_filter.clone(),
            require_groups: c.groups.required.clone(),
            backchannel_logout_uri: c.backchannel_logout.as_ref().map(|b| b.uri.clone()),
            backchannel_logout_session_required: c
                .backchannel_logout
                .as_ref()
                .is_some_and(|b| b.session_required),
            api: None,
            exchange_to: Vec::new(),
            client_uri: c.registration.display.client_uri.clone(),
            logo_uri: c.registration.display.logo_uri.clone(),
            policy_uri: c.registration.display.policy_uri.clone(),
            tos_uri: c.registration.display.tos_uri.clone(),
        }
    }

    /// With the client's API policy (`api`, `exchange_to`).
    pub fn with_policy(self, policy: &ClientApiPolicy) -> Self {
        ClientView {
            api: policy.default_api.clone(),
            exchange_to: policy.exchange_to.clone(),
            ..self
        }
    }
}
