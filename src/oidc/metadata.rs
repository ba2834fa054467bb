//! OpenID Provider Metadata (OpenID Discovery 1.0 §3) and OAuth 2.0 Authorization Server
//! Metadata (RFC 8414 §2): true to what is implemented, rendered once and served from memory.

use std::sync::{Arc, RwLock};

use serde_json::{Value, json};

use crate::config::Settings;
use crate::keys::Alg;

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
    let doc = document(settings, signing_algs);
    let text = doc.to_string();
    Rendered {
        openid_configuration: text.clone(),
        oauth_authorization_server: text,
    }
}

/// The metadata document. Every endpoint and value listed here works.
pub fn document(settings: &Settings, signing_algs: &[Alg]) -> Value {
    let iss = &settings.issuer;
    let mut algs: Vec<&str> = signing_algs.iter().map(|a| a.as_str()).collect();
    if !algs.contains(&Alg::Rs256.as_str()) {
        algs.insert(0, Alg::Rs256.as_str());
    }
    let pkce: &[&str] = if settings.security.allow_plain_pkce {
        &["S256", "plain"]
    } else {
        &["S256"]
    };
    json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "jwks_uri": format!("{iss}/jwks"),
        "introspection_endpoint": format!("{iss}/introspect"),
        "revocation_endpoint": format!("{iss}/revoke"),
        "end_session_endpoint": format!("{iss}/logout"),
        "scopes_supported": crate::oauth::scope::STANDARD_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "password", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": pkce,
        "claims_supported": crate::oidc::claims::SUPPORTED,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "authorization_response_iss_parameter_supported": true,
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": false,
    })
}
