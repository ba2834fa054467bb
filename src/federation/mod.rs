//! Upstream OpenID providers (identity brokering, docs/guides/federation.md): Portcullis is the
//! relying party (OpenID Core §3.1, with the `openidconnect` crate) of the providers configured as
//! `[[upstream]]`. This file holds the registry of upstreams and what discovery learnt about each
//! ([`discovery`] fills it in the background); [`flow`] sends a sign-in there and takes the answer
//! back; [`claims`] maps the provider's claims; [`link`] finds, links or provisions the local user.

pub mod claims;
pub mod discovery;
pub mod flow;
pub mod link;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use openidconnect::core::CoreProviderMetadata;
use secrecy::SecretString;

use crate::accounts::session::LoginSession;
use crate::config::{FederationSettings, UpstreamSettings};
use crate::oauth::OAuthError;
use crate::storage::{Client, StorageError};

pub use flow::{Callback, FederatedLogin, Start};

/// One upstream provider: its settings and, once discovery succeeded, its metadata and keys.
pub struct Upstream {
    pub settings: UpstreamSettings,
    /// The client secret (read at start; `None` if the file became unreadable since validation).
    secret: Option<SecretString>,
    metadata: RwLock<Option<Arc<CoreProviderMetadata>>>,
    /// When (clock seconds) discovery was last run out of schedule ([`discovery::refresh_now`]).
    forced_at: std::sync::Mutex<Option<i64>>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("id", &self.settings.id)
            .field("available", &self.is_available())
            .finish_non_exhaustive()
    }
}

impl Upstream {
    pub fn id(&self) -> &str {
        &self.settings.id
    }

    /// The discovered metadata (with the provider's JWKS), or `None` while discovery has not
    /// succeeded: the button says "unavailable" (docs/security.md I.2).
    pub fn metadata(&self) -> Option<Arc<CoreProviderMetadata>> {
        self.metadata.read().ok().and_then(|m| m.clone())
    }

    pub fn is_available(&self) -> bool {
        self.secret.is_some() && self.metadata().is_some()
    }

    fn set_metadata(&self, metadata: CoreProviderMetadata) {
        if let Ok(mut slot) = self.metadata.write() {
            *slot = Some(Arc::new(metadata));
        }
    }
}

/// Every configured upstream, and the HTTP client that reaches them.
pub struct Upstreams {
    list: Vec<Arc<Upstream>>,
    /// Redirects are never followed (OpenID Discovery §4.3: the issuer must match exactly; and no
    /// request of ours is sent somewhere a provider points to).
    http: reqwest::Client,
    pub settings: FederationSettings,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.list.iter()).finish()
    }
}

impl Upstreams {
    /// The registry for the configured upstreams; nothing is fetched yet (see [`discovery::run`]).
    pub fn new(upstreams: &[UpstreamSettings], settings: &FederationSettings) -> Upstreams {
        let list = upstreams
            .iter()
            .map(|u| {
                let secret = match u.secret() {
                    Ok(s) => Some(s),
                    Err(e) => {
                        tracing::error!(upstream = %u.id, error = %e, "upstream has no usable client secret");
                        None
                    }
                };
                Arc::new(Upstream {
                    settings: u.clone(),
                    secret,
                    metadata: RwLock::new(None),
                    forced_at: std::sync::Mutex::new(None),
                })
            })
            .collect();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(settings.http_timeout_secs))
            .build()
            .unwrap_or_default();
        Upstreams {
            list,
            http,
            settings: settings.clone(),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Upstream>> {
        self.list.iter().find(|u| u.id() == id)
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// docs/security.md I.6: the upstreams `client` offers (its `upstreams`, or every one).
    pub fn offered_to<'a>(
        &'a self,
        client: Option<&'a Client>,
    ) -> impl Iterator<Item = &'a Arc<Upstream>> + 'a {
        self.list
            .iter()
            .filter(move |u| client.is_none_or(|c| offers(c, u.id())))
    }

    /// Home-realm discovery: the upstream offered to `client` whose `domains` hold `email`'s domain.
    pub fn home_realm<'a>(&'a self, email: &str, client: Option<&'a Client>) -> Option<&'a Arc<Upstream>> {
        self.offered_to(client).find(|u| u.settings.serves_email(email))
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn all(&self) -> &[Arc<Upstream>] {
        &self.list
    }
}

/// Whether `client` offers the upstream `id` (docs/security.md I.6).
pub fn offers(client: &Client, id: &str) -> bool {
    client.upstreams.is_empty() || client.upstreams.iter().any(|u| u == id)
}

/// docs/security.md I.6: whether `client` takes an existing login session. A login through an
/// upstream the client does not offer is not one of its logins, and a client without the password
/// form (upstream sign-in only) takes nothing but a login through one of its upstreams: a browser
/// signed in locally (password or passkey, for another client) is sent to the login page, which
/// offers only the client's upstreams.
pub fn accepts_login(client: &Client, session: &LoginSession) -> bool {
    match session.idp.as_deref() {
        Some(id) => offers(client, id),
        None => client.password_login,
    }
}

/// `client add --upstream ... --no-password-login`: every named upstream is configured, and a
/// client without the password form has some upstream to sign in with.
pub fn check_client_upstreams(
    configured: &[UpstreamSettings],
    named: &[String],
    no_password_login: bool,
) -> Result<(), String> {
    if let Some(unknown) = named.iter().find(|n| !configured.iter().any(|u| &u.id == *n)) {
        return Err(format!(
            "--upstream {unknown}: no [[upstream]] with that id is configured"
        ));
    }
    if no_password_login && configured.is_empty() {
        return Err("--no-password-login needs at least one configured [[upstream]]".into());
    }
    Ok(())
}

/// Why a sign-in through an upstream did not happen. Each is a clear page for the person
/// (docs/security.md I.3); the detail is logged, never shown.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("no upstream with this id")]
    UnknownUpstream,
    #[error("the client does not offer this upstream")]
    NotOffered,
    #[error("the upstream is unavailable: {0}")]
    Unavailable(String),
    #[error("the pending authorization request is gone")]
    RequestExpired,
    #[error("state missing, unknown, expired, used, or another browser's")]
    BadState,
    #[error("the upstream answered with error {0}")]
    Denied(String),
    #[error("the upstream's answer is invalid: {0}")]
    InvalidResponse(String),
    #[error("no local user for this identity and provisioning is existing_only")]
    UnknownUser,
    #[error("cannot provision: {0}")]
    CannotProvision(String),
    #[error("the local user is disabled")]
    Disabled,
    #[error("password sign-in is not offered to this client")]
    PasswordLoginOff,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    OAuth(#[from] OAuthError),
}

impl FederationError {
    /// The reason recorded in the audit trail (`federation.refused`).
    pub fn reason(&self) -> &'static str {
        match self {
            FederationError::UnknownUpstream => "unknown_upstream",
            FederationError::NotOffered => "not_offered",
            FederationError::Unavailable(_) => "unavailable",
            FederationError::RequestExpired => "request_expired",
            FederationError::BadState => "bad_state",
            FederationError::Denied(_) => "denied",
            FederationError::InvalidResponse(_) => "invalid_response",
            FederationError::UnknownUser => "unknown_user",
            FederationError::CannotProvision(_) => "cannot_provision",
            FederationError::Disabled => "disabled",
            FederationError::PasswordLoginOff => "password_login_off",
            FederationError::Storage(_) | FederationError::OAuth(_) => "server_error",
        }
    }
}

impl From<crate::accounts::password::PasswordError> for FederationError {
    fn from(e: crate::accounts::password::PasswordError) -> FederationError {
        FederationError::OAuth(OAuthError::server_error(e))
    }
}
