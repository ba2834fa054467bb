//! OpenID Provider Metadata (OpenID Discovery 1.0 §3) and OAuth 2.0 Authorization Server
//! Metadata (RFC 8414 §2): true to what is implemented, rendered once and served from memory.

use std::sync::{Arc, RwLock};

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthUrl, IssuerUrl, JsonWebKeySetUrl, ProviderMetadata, RegistrationUrl,
    ResponseTypes, Scope, TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};

use crate::config::{RegistrationMode, Settings};
use crate::keys::Alg;
use crate::oauth::client_assertion;
use crate::oauth::scope::STANDARD_SCOPES;
use crate::oidc::claims;

/// The two well-known documents, pre-rendered.
pub struct DiscoveryCache {
    inner: RwLock<Arc<Rendered>>,
}

pub struct Rendered {
    pub openid_configuration: String,
    pub oauth_authorization_server: String,
}

impl DiscoveryCache {
    pub fn new(settings: &Settings, signing_algs: &[Alg]) -> DiscoveryCache {
        DiscoveryCache {
            inner: RwLock::new(Arc::new(render(settings, signing_algs))),
        }
    }

    pub fn get(&self) -> Arc<Rendered> {
        match self.inner.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Re-renders after the key ring's algorithms changed.
    pub fn refresh(&self, settings: &Settings, signing_algs: &[Alg]) {
        let rendered = Arc::new(render(settings, signing_algs));
        match self.inner.write() {
            Ok(mut g) => *g = rendered,
            Err(p) => *p.into_inner() = rendered,
        }
    }
}

fn render(settings: &Settings, signing_algs: &[Alg]) -> Rendered {
    let text = match document(settings, signing_algs) {
        Ok(doc) => serde_json::to_string(&doc).unwrap_or_default(),
        Err(e) => {
            // Settings::validate refuses an issuer that is not a URL, so this is unreachable.
            tracing::error!(error = %e, "could not build the discovery document");
            String::from("{}")
        }
    };
    Rendered {
        openid_configuration: text.clone(),
        oauth_authorization_server: text,
    }
}

/// The members OpenID Discovery leaves to extensions: RFC 8414, RFC 7662, RFC 7009, RFC 7636,
/// RFC 9207, RP-Initiated Logout, RFC 9126 (PAR), RFC 9449 (DPoP) and RFC 8628 (device authorization).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extensions {
    pub introspection_endpoint: String,
    pub revocation_endpoint: String,
    pub end_session_endpoint: String,
    pub introspection_endpoint_auth_methods_supported: Vec<CoreClientAuthMethod>,
    pub revocation_endpoint_auth_methods_supported: Vec<CoreClientAuthMethod>,
    pub code_challenge_methods_supported: Vec<String>,
    pub prompt_values_supported: Vec<String>,
    pub authorization_response_iss_parameter_supported: bool,
    pub frontchannel_logout_supported: bool,
    pub backchannel_logout_supported: bool,
    /// OpenID Back-Channel Logout 1.0 §2.1: logout tokens carry `sid`.
    pub backchannel_logout_session_supported: bool,
    /// RFC 9126 §5.
    pub pushed_authorization_request_endpoint: String,
    /// RFC 9126 §5: `par.required`; a client registered with it must push its requests anyway.
    pub require_pushed_authorization_requests: bool,
    /// RFC 9449 §5.1.
    pub dpop_signing_alg_values_supported: Vec<String>,
    /// RFC 8628 §4: only when `device.enabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    /// RFC 8414 §2: the `private_key_jwt` assertion algorithms at introspection and revocation.
    pub introspection_endpoint_auth_signing_alg_values_supported: Vec<String>,
    pub revocation_endpoint_auth_signing_alg_values_supported: Vec<String>,
    /// draft-ietf-oauth-client-id-metadata-document: client_ids that are URLs of metadata
    /// documents are accepted (`registration.client_id_metadata_documents`).
    pub client_id_metadata_document_supported: bool,
}

impl AdditionalProviderMetadata for Extensions {}

/// The discovery document, typed by the `openidconnect` crate's `ProviderMetadata` (the same
/// types relying parties parse it with) plus [`Extensions`].
pub type Metadata = ProviderMetadata<
    Extensions,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn jws_alg(alg: Alg) -> CoreJwsSigningAlgorithm {
    match alg {
        Alg::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        Alg::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        Alg::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
    }
}

/// The metadata document. Every endpoint and value listed here works.
pub fn document(settings: &Settings, signing_algs: &[Alg]) -> Result<Metadata, url::ParseError> {
    let iss = &settings.issuer;
    let endpoint = |path: &str| format!("{iss}{path}");
    let mut algs = vec![Alg::Rs256];
    algs.extend(signing_algs.iter().filter(|a| **a != Alg::Rs256));
    let secret_methods = vec![
        CoreClientAuthMethod::ClientSecretBasic,
        CoreClientAuthMethod::ClientSecretPost,
        CoreClientAuthMethod::PrivateKeyJwt,
    ];
    let mut any_client = secret_methods.clone();
    any_client.push(CoreClientAuthMethod::None);
    let extensions = Extensions {
        introspection_endpoint: endpoint("/introspect"),
        revocation_endpoint: endpoint("/revoke"),
        end_session_endpoint: endpoint("/logout"),
        introspection_endpoint_auth_methods_supported: secret_methods,
        revocation_endpoint_auth_methods_supported: any_client.clone(),
        code_challenge_methods_supported: strings(if settings.security.allow_plain_pkce {
            &["S256", "plain"]
        } else {
            &["S256"]
        }),
        prompt_values_supported: strings(&["none", "login", "consent", "select_account"]),
        authorization_response_iss_parameter_supported: true,
        frontchannel_logout_supported: false,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
        pushed_authorization_request_endpoint: endpoint("/par"),
        require_pushed_authorization_requests: settings.par.required,
        dpop_signing_alg_values_supported: strings(&crate::oauth::dpop::SIGNING_ALGS),
        device_authorization_endpoint: settings.device.enabled.then(|| endpoint("/device_authorization")),
        introspection_endpoint_auth_signing_alg_values_supported: strings(&client_assertion::SIGNING_ALGS),
        revocation_endpoint_auth_signing_alg_values_supported: strings(&client_assertion::SIGNING_ALGS),
        client_id_metadata_document_supported: settings.registration.client_id_metadata_documents,
    };
    // Every grant the token endpoint implements (`GrantType::ALL`), the device grant only when on.
    let grants: Vec<CoreGrantType> = crate::storage::GrantType::ALL
        .iter()
        .filter_map(|g| match g {
            crate::storage::GrantType::AuthorizationCode => Some(CoreGrantType::AuthorizationCode),
            crate::storage::GrantType::RefreshToken => Some(CoreGrantType::RefreshToken),
            crate::storage::GrantType::Password => Some(CoreGrantType::Password),
            crate::storage::GrantType::ClientCredentials => Some(CoreGrantType::ClientCredentials),
            crate::storage::GrantType::DeviceCode => {
                settings.device.enabled.then_some(CoreGrantType::DeviceCode)
            }
            other => Some(CoreGrantType::Extension(other.as_str().to_string())),
        })
        .collect();
    let doc = Metadata::new(
        IssuerUrl::new(iss.clone())?,
        AuthUrl::new(endpoint("/authorize"))?,
        JsonWebKeySetUrl::new(endpoint("/jwks"))?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        algs.into_iter().map(jws_alg).collect(),
        extensions,
    )
    .set_token_endpoint(Some(TokenUrl::new(endpoint("/token"))?))
    .set_userinfo_endpoint(Some(UserInfoUrl::new(endpoint("/userinfo"))?))
    .set_scopes_supported(Some(
        STANDARD_SCOPES
            .iter()
            .chain(&[crate::groups::SCOPE])
            .map(|s| Scope::new(s.to_string()))
            .collect(),
    ))
    .set_response_modes_supported(Some(vec![CoreResponseMode::Query, CoreResponseMode::FormPost]))
    .set_grant_types_supported(Some(grants))
    .set_token_endpoint_auth_methods_supported(Some(any_client))
    // RFC 7523 / OpenID Core §9: private_key_jwt assertion algorithms (docs/security.md K.1).
    .set_token_endpoint_auth_signing_alg_values_supported(Some(
        client_assertion::SIGNING_ALGS
            .iter()
            .map(|a| serde_json::from_value(serde_json::Value::from(*a)))
            .collect::<Result<Vec<CoreJwsSigningAlgorithm>, _>>()
            .unwrap_or_default(),
    ))
    // RFC 7591 §3: only when registration is on.
    .set_registration_endpoint(match settings.registration.mode {
        RegistrationMode::Off => None,
        _ => Some(RegistrationUrl::new(endpoint("/register"))?),
    })
    .set_claims_supported(Some(
        claims::SUPPORTED
            .iter()
            .map(|c| CoreClaimName::new(c.to_string()))
            .collect(),
    ))
    // docs/security.md G.1-G.2: the `acr` values a request may ask for and an ID token carries.
    .set_acr_values_supported(Some(
        crate::mfa::policy::ACR_VALUES_SUPPORTED
            .iter()
            .map(|a| openidconnect::AuthenticationContextClass::new(a.to_string()))
            .collect(),
    ))
    // OpenID Discovery 1.0 §3: the languages of the pages (docs/guides/languages.md).
    .set_ui_locales_supported(Some(
        crate::i18n::supported_tags()
            .into_iter()
            .map(|t| openidconnect::LanguageTag::new(t.to_string()))
            .collect(),
    ))
    .set_claims_parameter_supported(Some(false))
    .set_request_parameter_supported(Some(false))
    .set_request_uri_parameter_supported(Some(false));
    Ok(doc)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The whole document, member for member.
    fn expected(iss: &str) -> serde_json::Value {
        json!({
            "issuer": iss,
            "authorization_endpoint": format!("{iss}/authorize"),
            "token_endpoint": format!("{iss}/token"),
            "userinfo_endpoint": format!("{iss}/userinfo"),
            "jwks_uri": format!("{iss}/jwks"),
            "introspection_endpoint": format!("{iss}/introspect"),
            "revocation_endpoint": format!("{iss}/revoke"),
            "end_session_endpoint": format!("{iss}/logout"),
            "scopes_supported": ["openid", "profile", "email", "address", "phone", "offline_access", "groups"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "form_post"],
            "grant_types_supported": [
                "authorization_code",
                "refresh_token",
                "password",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:token-exchange",
                "urn:ietf:params:oauth:grant-type:device_code"
            ],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "introspection_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "revocation_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
            "client_id_metadata_document_supported": true,
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": claims::SUPPORTED,
            "acr_values_supported": crate::mfa::policy::ACR_VALUES_SUPPORTED,
            "ui_locales_supported": ["en", "de"],
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "prompt_values_supported": ["none", "login", "consent", "select_account"],
            "authorization_response_iss_parameter_supported": true,
            "frontchannel_logout_supported": false,
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "pushed_authorization_request_endpoint": format!("{iss}/par"),
            "require_pushed_authorization_requests": false,
            "dpop_signing_alg_values_supported": ["ES256", "ES384", "EdDSA", "PS256", "RS256"],
            "device_authorization_endpoint": format!("{iss}/device_authorization"),
        })
    }

    #[test]
    fn typed_document_has_exactly_the_members_it_should() {
        let settings = Settings {
            issuer: "https://id.example.com".into(),
            ..Settings::default()
        };
        let rendered = render(&settings, &[Alg::Es256, Alg::Rs256]).openid_configuration;
        let got: serde_json::Value = serde_json::from_str(&rendered).unwrap();
        assert_eq!(got, expected("https://id.example.com"));
    }

    /// L.1: RFC 8628 §4: the device authorization endpoint and the grant are advertised exactly
    /// when `device.enabled`.
    #[test]
    fn device_authorization_is_advertised_only_when_enabled() {
        let mut settings = Settings::default();
        let on: serde_json::Value =
            serde_json::from_str(&render(&settings, &[]).openid_configuration).unwrap();
        assert_eq!(
            on["device_authorization_endpoint"],
            "http://127.0.0.1:8080/device_authorization"
        );
        let device = json!("urn:ietf:params:oauth:grant-type:device_code");
        assert!(on["grant_types_supported"].as_array().unwrap().contains(&device));
        settings.device.enabled = false;
        let off: serde_json::Value =
            serde_json::from_str(&render(&settings, &[]).openid_configuration).unwrap();
        assert!(off.get("device_authorization_endpoint").is_none());
        assert!(!off["grant_types_supported"].as_array().unwrap().contains(&device));
    }

    #[test]
    fn relying_parties_parse_it_with_openidconnect_core_types() {
        let rendered = render(&Settings::default(), &[Alg::EdDsa]).openid_configuration;
        let parsed: openidconnect::core::CoreProviderMetadata = serde_json::from_str(&rendered).unwrap();
        assert_eq!(parsed.issuer().as_str(), "http://127.0.0.1:8080");
        let algs = parsed.id_token_signing_alg_values_supported();
        assert_eq!(
            algs,
            &[
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                CoreJwsSigningAlgorithm::EdDsa
            ]
        );
    }
}
