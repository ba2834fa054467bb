//! Dynamic Client Registration at this server (RFC 7591 §3, RFC 7592; docs/clients.md,
//! docs/security.md K.2): who may register (`registration.mode`, initial access tokens counted
//! atomically, a limit per address), the client record made from the checked metadata
//! (`oauth/registration.rs`), and reading, replacing and deleting a registration with its
//! registration access token (stored as a SHA-256 digest).

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::accounts::Audit;
use crate::accounts::ratelimit::address_key;
use crate::config::RegistrationMode;
use crate::context::{Context, RequestMeta};
use crate::digest::{ct_eq, sha256_hex};
use crate::oauth::registration::{self, Policy};
use crate::oauth::{ErrorCode, OAuthError};
use crate::random::secret_256;
use crate::storage::{AuditKind, Client, ClientSource, Kind, Registration, StorageError};

/// Why a registration request is refused (the endpoint renders each as its RFC prescribes).
#[derive(Debug)]
pub enum RegistrationError {
    /// `registration.mode = "off"`: there is no registration endpoint (404).
    Off,
    /// No bearer token where one is needed: 401 with a bare `Bearer` challenge.
    NoToken,
    /// A wrong, expired or used-up token: 401 `invalid_token`.
    BadToken,
    /// Over `registration.per_ip`: 429, try again in this many seconds.
    TooMany(u64),
    /// `invalid_redirect_uri`, `invalid_client_metadata`, or a server error.
    Invalid(OAuthError),
}

impl From<OAuthError> for RegistrationError {
    fn from(e: OAuthError) -> Self {
        RegistrationError::Invalid(e)
    }
}

impl From<StorageError> for RegistrationError {
    fn from(e: StorageError) -> Self {
        RegistrationError::Invalid(e.into())
    }
}

type Result<T> = std::result::Result<T, RegistrationError>;

/// The URL a registered client manages itself at (RFC 7592 §1).
pub fn client_uri(ctx: &Context, client_id: &str) -> String {
    format!("{}/register/{client_id}", ctx.issuer)
}

fn policy<'a>(ctx: &'a Context, signing_algs: &'a [crate::keys::Alg]) -> Policy<'a> {
    Policy {
        allowed_scopes: &ctx.registration.allowed_scopes,
        allow_http_loopback: ctx.registration.cimd_allow_http_loopback,
        signing_algs,
        default_alg: ctx.default_alg,
    }
}

/// RFC 7591 §3: registers a client from the JSON `body`; `bearer` is the initial access token
/// when one came. Returns the client information response (§3.2.1) with the secrets.
pub async fn register(
    ctx: &Context,
    bearer: Option<&str>,
    body: &[u8],
    meta: &RequestMeta,
) -> Result<Map<String, Value>> {
    match ctx.registration.mode {
        RegistrationMode::Off => return Err(RegistrationError::Off),
        RegistrationMode::Token | RegistrationMode::Open => {}
    }
    admit(ctx, &meta.ip).await?;
    if ctx.registration.mode == RegistrationMode::Token {
        let token = bearer.ok_or(RegistrationError::NoToken)?;
        if !ctx
            .store
            .use_registration_token(&sha256_hex(token), ctx.now())
            .await?
        {
            return Err(RegistrationError::BadToken);
        }
    }
    let algs = ctx.keys.signing_algs();
    let metadata = registration::check(registration::read(body)?, &policy(ctx, &algs))?;
    let method = metadata.auth_method;
    let secret = method.uses_secret().then(secret_256);
    let access_token = secret_256();
    let registration = Registration {
        source: ClientSource::Dynamic,
        access_token_hash: Some(sha256_hex(&access_token)),
        ..Registration::default()
    };
    let mut client = super::self_described(crate::random::client_id(), ctx.now(), ctx, registration);
    client.secret_hash = secret.as_deref().map(sha256_hex);
    metadata.apply(&mut client);
    ctx.store.create_client(client.clone()).await?;
    Audit::new(AuditKind::ClientRegistered)
        .client(Some(&client.client_id))
        .ip(Some(&meta.ip))
        .detail(json!({ "name": client.name, "method": method.as_str() }))
        .write(&ctx.store, ctx.now())
        .await;
    let mut out = registration::client_information(&client, &client_uri(ctx, &client.client_id));
    if let Some(secret) = secret {
        out.insert("client_secret".into(), json!(secret));
        out.insert("client_secret_expires_at".into(), json!(0));
    }
    out.insert("registration_access_token".into(), json!(access_token));
    Ok(out)
}

/// docs/security.md K.2: registrations per address (an IPv6 /64) in fixed windows, in the shared
/// store, so every node counts the same.
async fn admit(ctx: &Context, ip: &str) -> Result<()> {
    let window = ctx.registration.window_secs.max(1);
    let now = u64::try_from(ctx.now()).unwrap_or_default();
    let start = now - now % window;
    let key = format!("register:{}:{start}", address_key(ip));
    let count = ctx
        .ephemeral
        .incr(Kind::RateLimit, &key, Duration::from_secs(window))
        .await?;
    if count > ctx.registration.per_ip {
        return Err(RegistrationError::TooMany((start + window - now).max(1)));
    }
    Ok(())
}

/// RFC 7592 §2: the dynamically registered client `client_id`, if `bearer` is its registration
/// access token. An unknown client is the same 401 as a wrong token (§2.1).
async fn managed(ctx: &Context, client_id: &str, bearer: Option<&str>) -> Result<Client> {
    if ctx.registration.mode == RegistrationMode::Off {
        return Err(RegistrationError::Off);
    }
    let token = bearer.ok_or(RegistrationError::NoToken)?;
    let client = ctx
        .store
        .client_by_id(client_id)
        .await?
        .ok_or(RegistrationError::BadToken)?;
    match &client.registration.access_token_hash {
        Some(hash) if ct_eq(&sha256_hex(token), hash) => Ok(client),
        _ => Err(RegistrationError::BadToken),
    }
}

/// RFC 7592 §2.1: the client's current registration.
pub async fn read(ctx: &Context, client_id: &str, bearer: Option<&str>) -> Result<Map<String, Value>> {
    let client = managed(ctx, client_id, bearer).await?;
    Ok(registration::client_information(
        &client,
        &client_uri(ctx, client_id),
    ))
}

/// RFC 7592 §2.2: replaces the registration with the JSON `body` (the same rules as a new one).
/// A client that moves to a secret method gets a new secret; one that leaves it loses its secret.
pub async fn update(
    ctx: &Context,
    client_id: &str,
    bearer: Option<&str>,
    body: &[u8],
    meta: &RequestMeta,
) -> Result<Map<String, Value>> {
    let mut client = managed(ctx, client_id, bearer).await?;
    let req = registration::read(body)?;
    if req.client_id.as_deref() != Some(client_id) {
        return Err(OAuthError::invalid_request("the update must name the client's client_id").into());
    }
    if let Some(secret) = &req.client_secret {
        let matches = client
            .secret_hash
            .as_deref()
            .is_some_and(|h| ct_eq(&sha256_hex(secret), h));
        if !matches {
            return Err(OAuthError::new(
                ErrorCode::InvalidClientMetadata,
                "client_secret is not the client's",
            )
            .into());
        }
    }
    let algs = ctx.keys.signing_algs();
    let metadata = registration::check(req, &policy(ctx, &algs))?;
    let method = metadata.auth_method;
    let new_secret = (method.uses_secret() && client.secret_hash.is_none()).then(secret_256);
    if !method.uses_secret() {
        client.secret_hash = None;
    } else if let Some(s) = &new_secret {
        client.secret_hash = Some(sha256_hex(s));
    }
    metadata.apply(&mut client);
    if !ctx.store.update_client(client.clone()).await? {
        return Err(RegistrationError::BadToken);
    }
    Audit::new(AuditKind::ClientRegistrationUpdated)
        .client(Some(client_id))
        .ip(Some(&meta.ip))
        .detail(json!({ "name": client.name, "method": method.as_str() }))
        .write(&ctx.store, ctx.now())
        .await;
    let mut out = registration::client_information(&client, &client_uri(ctx, client_id));
    if let Some(secret) = new_secret {
        out.insert("client_secret".into(), json!(secret));
        out.insert("client_secret_expires_at".into(), json!(0));
    }
    Ok(out)
}

/// RFC 7592 §2.3: deletes the client with its consents and tokens.
pub async fn delete(ctx: &Context, client_id: &str, bearer: Option<&str>, meta: &RequestMeta) -> Result<()> {
    managed(ctx, client_id, bearer).await?;
    ctx.store.delete_client(client_id).await?;
    Audit::new(AuditKind::ClientDeregistered)
        .client(Some(client_id))
        .ip(Some(&meta.ip))
        .detail(json!({}))
        .write(&ctx.store, ctx.now())
        .await;
    Ok(())
}
