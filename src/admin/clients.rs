//! Clients (RFC 6749 §2) for `portcullis client ...` and `/admin/api/v1/clients`: the one place
//! their registration is checked and built (docs/security.md A.2, C.11, K.2), created, replaced,
//! deleted and given a new secret, and how they are shown (never the secret's digest).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{Actor, record};
pub use super::client_patch::{ClientPatch, spec_of};
pub use super::client_view::ClientView;
use super::{AdminError, Page, PageRequest, dedup};
use crate::config::UpstreamSettings;
use crate::digest::sha256_hex;
use crate::keys::Alg;
use crate::oauth::client_metadata::{self, AuthMethod};
use crate::oauth::scope::{STANDARD_SCOPES, Scope};
use crate::random::secret_256;
use crate::storage::{
    ApplicationType, AuditKind, BackchannelLogout, Client, ClientApiPolicy, ClientDisplay, ClientGroups,
    ClientKeys, ClientListFilter, ClientSource, DynStore, GrantType, Registration,
};

/// What an administrator registers (`client add`'s options, the API's JSON body). Every field but
/// `name` is optional; defaults as `portcullis client add --help` says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    /// Display name, shown on the login and consent pages.
    pub name: String,
    /// The client_id [default: random]. 1 to 128 of `A-Z a-z 0-9 - . _ ~`. Ignored on replace.
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// client_secret_basic (default), client_secret_post, none (public) or private_key_jwt.
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    /// private_key_jwt: the client's JWK Set (public keys), as JSON text.
    #[serde(default)]
    pub jwks: Option<String>,
    /// private_key_jwt: an https URL of the client's JWK Set.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// web or native [default: inferred from the redirect URIs].
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub application_type: Option<ApplicationType>,
    /// [default: authorization_code refresh_token]: authorization_code, refresh_token, password,
    /// client_credentials, token_exchange, device_code.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub grant_types: Vec<GrantType>,
    /// [default: openid profile email address phone offline_access].
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub first_party: bool,
    #[serde(default)]
    pub resource_server: bool,
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    #[serde(default)]
    pub require_mfa: bool,
    #[serde(default)]
    pub groups_claim_filter: Vec<String>,
    #[serde(default)]
    pub require_groups: Vec<String>,
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    #[serde(default)]
    pub upstreams: Vec<String>,
    /// [default: true].
    #[serde(default)]
    pub password_login: Option<bool>,
    /// [default: keys.default_alg].
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub id_token_signed_response_alg: Option<Alg>,
    /// Its access tokens' algorithm [default: tokens.access_token_alg; an API's own wins]
    /// (docs/security.md C.15).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub access_token_alg: Option<Alg>,
    /// RFC 8707: the API its tokens are for when a request names no `resource`.
    #[serde(default)]
    pub api: Option<String>,
    /// RFC 8693: the APIs it may exchange tokens into.
    #[serde(default)]
    pub exchange_to: Vec<String>,
    /// RFC 7591 §2: the app's home page, linked on the consent page (https).
    #[serde(default)]
    pub client_uri: Option<String>,
    /// RFC 7591 §2: the app's logo (https; the browser loads it, the server never does).
    #[serde(default)]
    pub logo_uri: Option<String>,
    /// RFC 7591 §2: the app's privacy policy (https).
    #[serde(default)]
    pub policy_uri: Option<String>,
    /// RFC 7591 §2: the app's terms of service (https).
    #[serde(default)]
    pub tos_uri: Option<String>,
    /// docs/guides/email.md: its login page offers "Create an account" when `signup.enabled`.
    #[serde(default)]
    pub allow_signup: bool,
}

/// What the operations need from the configuration.
#[derive(Clone, Copy)]
pub struct ClientRules<'a> {
    pub upstreams: &'a [UpstreamSettings],
    pub default_alg: Alg,
}

/// RFC 6749 §2 + docs/security.md A.2, C.11, K.2: checks `spec` and builds the client record
/// and, for a confidential client with a secret, its new secret (stored only as a SHA-256 digest).
pub fn build(spec: ClientSpec, default_alg: Alg, now: i64) -> Result<(Client, Option<String>), AdminError> {
    let grant_types = if spec.grant_types.is_empty() {
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
    } else {
        dedup(spec.grant_types)
    };
    let auth_method = match spec.token_endpoint_auth_method.as_deref() {
        None => AuthMethod::ClientSecretBasic,
        Some(m) => AuthMethod::parse(m).ok_or_else(|| {
            AdminError::invalid(format!(
                "unknown token_endpoint_auth_method {m:?} (client_secret_basic, client_secret_post, none, private_key_jwt)"
            ))
        })?,
    };
    let keys = match (spec.jwks, spec.jwks_uri) {
        (Some(_), Some(_)) => return Err(AdminError::invalid("give jwks or jwks_uri, not both")),
        (Some(set), None) => Some(ClientKeys::Jwks(set)),
        (None, Some(uri)) => Some(ClientKeys::JwksUri(uri)),
        (None, None) => None,
    };
    let application_type = client_metadata::check(&client_metadata::Registration {
        name: &spec.name,
        redirect_uris: &spec.redirect_uris,
        post_logout_redirect_uris: &spec.post_logout_redirect_uris,
        grant_types: &grant_types,
        auth_method,
        keys: keys.as_ref(),
        application_type: spec.application_type,
        allow_http_loopback: false,
    })
    .map_err(|e| AdminError::invalid(e.message))?;
    let display = ClientDisplay {
        client_uri: spec.client_uri,
        logo_uri: spec.logo_uri,
        policy_uri: spec.policy_uri,
        tos_uri: spec.tos_uri,
    };
    client_metadata::check_display(&display, true).map_err(|e| AdminError::invalid(e.message))?;
    let scopes = if spec.scopes.is_empty() {
        Scope::from_tokens(STANDARD_SCOPES)
    } else {
        Scope::parse(&spec.scopes.join(" "))
            .map_err(|_| AdminError::invalid("a scope contains a character RFC 6749 §3.3 forbids"))?
    };
    for group in spec.groups_claim_filter.iter().chain(&spec.require_groups) {
        crate::groups::validate_name(group).map_err(|e| AdminError::invalid(format!("{group:?}: {e}")))?;
    }
    if let Some(uri) = &spec.backchannel_logout_uri {
        crate::backchannel::validate_uri(uri).map_err(|e| AdminError::invalid(format!("{uri}: {e}")))?;
    }
    if spec.backchannel_logout_session_required && spec.backchannel_logout_uri.is_none() {
        return Err(AdminError::invalid(
            "backchannel_logout_session_required needs backchannel_logout_uri",
        ));
    }
    let client_id = match spec.client_id {
        Some(id) => validate_client_id(id)?,
        None => crate::random::client_id(),
    };
    let secret = auth_method.uses_secret().then(secret_256);
    let client = Client {
        client_id,
        name: spec.name.trim().to_string(),
        secret_hash: secret.as_deref().map(sha256_hex),
        redirect_uris: dedup(spec.redirect_uris),
        post_logout_redirect_uris: dedup(spec.post_logout_redirect_uris),
        grant_types,
        scopes,
        first_party: spec.first_party,
        id_token_signed_response_alg: spec.id_token_signed_response_alg.unwrap_or(default_alg),
        access_token_alg: spec.access_token_alg,
        created_at: now,
        resource_server: spec.resource_server,
        require_pushed_authorization_requests: spec.require_pushed_authorization_requests,
        require_mfa: spec.require_mfa,
        groups: ClientGroups {
            claim_filter: dedup(spec.groups_claim_filter),
            required: dedup(spec.require_groups),
        },
        backchannel_logout: spec.backchannel_logout_uri.map(|uri| BackchannelLogout {
            uri,
            session_required: spec.backchannel_logout_session_required,
        }),
        upstreams: dedup(spec.upstreams),
        password_login: spec.password_login.unwrap_or(true),
        registration: Registration {
            keys,
            application_type,
            display,
            ..Registration::default()
        },
    };
    Ok((client, secret))
}

/// RFC 6749 §2.2: a client_id of 1 to 128 unreserved characters (`A-Z a-z 0-9 - . _ ~`), so it
/// needs no escaping anywhere.
pub fn validate_client_id(id: String) -> Result<String, AdminError> {
    let ok = (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if ok {
        Ok(id)
    } else {
        Err(AdminError::invalid(
            "client_id must be 1 to 128 characters of A-Z a-z 0-9 - . _ ~",
        ))
    }
}

/// The checks beyond one record: upstreams configured, the APIs named registered, token exchange
/// allowed when `exchange_to` is given.
async fn check_policy(
    store: &DynStore,
    rules: ClientRules<'_>,
    spec: &ClientSpec,
    client: &Client,
) -> Result<ClientApiPolicy, AdminError> {
    let no_password = spec.password_login == Some(false);
    crate::federation::check_client_upstreams(rules.upstreams, &spec.upstreams, no_password)
        .map_err(AdminError::invalid)?;
    let policy = ClientApiPolicy {
        default_api: spec.api.clone(),
        exchange_to: dedup(spec.exchange_to.clone()),
    };
    if !policy.exchange_to.is_empty() && !client.allows_grant(GrantType::TokenExchange) {
        return Err(AdminError::invalid(
            "exchange_to needs the token-exchange grant type",
        ));
    }
    for api in policy.default_api.iter().chain(&policy.exchange_to) {
        if store.api_by_identifier(api).await?.is_none() {
            return Err(AdminError::invalid(format!(
                "no API with identifier {api} (portcullis api add)"
            )));
        }
    }
    Ok(policy)
}

/// Registers a client: the view carries its secret, shown this once.
pub async fn create(
    store: &DynStore,
    rules: ClientRules<'_>,
    actor: &Actor,
    spec: ClientSpec,
    now: i64,
) -> Result<ClientView, AdminError> {
    let (client, secret) = build(spec.clone(), rules.default_alg, now)?;
    let policy = check_policy(store, rules, &spec, &client).await?;
    store.create_client(client.clone()).await.map_err(|e| match e {
        crate::storage::StorageError::Conflict(_) => {
            AdminError::conflict(format!("client_id {} already exists", client.client_id))
        }
        e => e.into(),
    })?;
    if policy != ClientApiPolicy::default() {
        store
            .set_client_api_policy(&client.client_id, policy.clone())
            .await?;
    }
    if spec.allow_signup {
        store.set_client_signup(&client.client_id, true).await?;
    }
    let detail = json!({
        "name": client.name,
        "public": client.is_public(),
        "api": policy.default_api,
        "exchange_to": policy.exchange_to,
    });
    record(
        store,
        actor,
        AuditKind::ClientCreated,
        None,
        Some(&client.client_id),
        detail,
    )
    .await;
    Ok(ClientView::new(&client, secret.as_deref()).with_policy(&policy))
}

/// Replaces every registered property of an administrator's client with `spec` (its client_id,
/// `created_at`, consents and tokens stay). A secret stays valid while the client keeps using
/// one; a client that newly needs one gets a new secret, shown this once.
pub async fn replace(
    store: &DynStore,
    rules: ClientRules<'_>,
    actor: &Actor,
    client_id: &str,
    mut spec: ClientSpec,
) -> Result<ClientView, AdminError> {
    let old = find(store, client_id).await?;
    if old.registration.source != ClientSource::Admin {
        return Err(AdminError::invalid(
            "a client that registered itself is changed through its own registration",
        ));
    }
    spec.client_id = Some(client_id.to_string());
    let (mut client, mut secret) = build(spec.clone(), rules.default_alg, old.created_at)?;
    let policy = check_policy(store, rules, &spec, &client).await?;
    if client.secret_hash.is_some() && old.secret_hash.is_some() {
        client.secret_hash = old.secret_hash.clone();
        secret = None;
    }
    if !store.update_client(client.clone()).await? {
        return Err(not_found(client_id));
    }
    store.set_client_api_policy(client_id, policy.clone()).await?;
    store.set_client_signup(client_id, spec.allow_signup).await?;
    let detail = json!({ "name": client.name });
    record(
        store,
        actor,
        AuditKind::ClientUpdated,
        None,
        Some(client_id),
        detail,
    )
    .await;
    Ok(ClientView::new(&client, secret.as_deref()).with_policy(&policy))
}

/// Changes some members of an administrator's client's registration (docs/admin-api.md,
/// "Clients"): the change is applied to the registration as it stands and stored through
/// [`replace`], under the same rules. `client edit` and `PATCH /clients/{client_id}`.
pub async fn update(
    store: &DynStore,
    rules: ClientRules<'_>,
    actor: &Actor,
    client_id: &str,
    patch: ClientPatch,
) -> Result<ClientView, AdminError> {
    let old = find(store, client_id).await?;
    let policy = store.client_api_policy(client_id).await?;
    let signup = store.client_allows_signup(client_id).await?;
    let spec = patch.apply(spec_of(&old, &policy, signup))?;
    replace(store, rules, actor, client_id, spec).await
}

/// One client with its API policy.
pub async fn get(store: &DynStore, client_id: &str) -> Result<ClientView, AdminError> {
    let client = find(store, client_id).await?;
    let policy = store.client_api_policy(client_id).await?;
    Ok(ClientView::new(&client, None).with_policy(&policy))
}

/// Filters of the client list (docs/admin-api.md).
#[derive(Debug, Clone, Default)]
pub struct ClientFilter {
    /// Only clients that came this way (admin, dynamic, metadata_document).
    pub source: Option<ClientSource>,
    /// Only clients allowed this grant type.
    pub grant_type: Option<GrantType>,
}

/// Clients by client_id, a page at a time, read from the store a page at a time.
pub async fn list(
    store: &DynStore,
    filter: &ClientFilter,
    page: &PageRequest,
) -> Result<Page<ClientView>, AdminError> {
    let query = ClientListFilter {
        source: filter.source,
        grant_type: filter.grant_type,
    };
    let after = page.after()?;
    let rows = store
        .clients_page(&query, after.as_deref(), page.fetch()?)
        .await?;
    Ok(page
        .page_of(rows, |c| c.client_id.clone())?
        .map(|c| ClientView::new(&c, None)))
}

/// Deletes a client with its consents, families and refresh tokens.
pub async fn delete(store: &DynStore, actor: &Actor, client_id: &str) -> Result<(), AdminError> {
    if !store.delete_client(client_id).await? {
        return Err(not_found(client_id));
    }
    record(
        store,
        actor,
        AuditKind::ClientRemoved,
        None,
        Some(client_id),
        json!({}),
    )
    .await;
    Ok(())
}

/// A new secret for a client that uses one; the old one stops working at once.
pub async fn rotate_secret(store: &DynStore, actor: &Actor, client_id: &str) -> Result<String, AdminError> {
    let client = find(store, client_id).await?;
    if client.secret_hash.is_none() {
        return Err(AdminError::invalid(format!(
            "client {client_id} authenticates with {}: it has no secret",
            client.auth_method()
        )));
    }
    let secret = secret_256();
    if !store
        .set_client_secret_hash(client_id, &sha256_hex(&secret))
        .await?
    {
        return Err(not_found(client_id));
    }
    record(
        store,
        actor,
        AuditKind::ClientSecretRotated,
        None,
        Some(client_id),
        json!({}),
    )
    .await;
    Ok(secret)
}

pub async fn find(store: &DynStore, client_id: &str) -> Result<Client, AdminError> {
    store
        .client_by_id(client_id)
        .await?
        .ok_or_else(|| not_found(client_id))
}

fn not_found(client_id: &str) -> AdminError {
    AdminError::not_found(format!("no client with client_id {client_id}"))
}
