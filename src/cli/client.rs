//! `portcullis client ...`: register (RFC 6749 §2), list, show, remove clients and rotate secrets.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{self, fmt_time};
use serde_json::json;

use super::{CliError, audit, open_store, parse_grant_type};
use crate::clock::Clock;
use crate::config::Settings;
use crate::digest::sha256_hex;
use crate::keys::Alg;
use crate::oauth::client_metadata::{self, AuthMethod};
use crate::oauth::scope::{STANDARD_SCOPES, Scope};
use crate::random::secret_256;
use crate::storage::{
    ApplicationType, AuditKind, BackchannelLogout, Client, ClientApiPolicy, ClientGroups, ClientKeys,
    DynStore, GrantType, Registration,
};

const SECRET_NOTE: &str =
    "note: the client secret is shown only this once and cannot be shown again; store it now";

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client.
    Add(Box<AddArgs>),
    /// List clients.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one client.
    Show {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client with its consents and tokens.
    Remove { client_id: String },
    /// Give a confidential client a new secret (the old one stops working at once).
    RotateSecret {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Display name, shown on the login and consent pages.
    pub name: String,
    /// Registered redirect URI (exact match); repeatable.
    #[arg(long = "redirect-uri", value_name = "URI", num_args = 1..)]
    pub redirect_uris: Vec<String>,
    /// Registered post-logout redirect URI; repeatable.
    #[arg(long = "post-logout-redirect-uri", value_name = "URI", num_args = 1..)]
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client (RFC 6749 §2.1: no secret; PKCE is then required). The same as
    /// `--auth-method none`.
    #[arg(long)]
    pub public: bool,
    /// How the client authenticates (OpenID Core §9): client_secret_basic (default; it may also
    /// use client_secret_post), client_secret_post, none (public), or private_key_jwt (RFC 7523,
    /// with --jwks or --jwks-uri; no secret).
    #[arg(long, value_name = "METHOD", value_parser = parse_auth_method)]
    pub auth_method: Option<AuthMethod>,
    /// private_key_jwt: a file holding the client's JWK Set (public keys).
    #[arg(long, value_name = "FILE", conflicts_with = "jwks_uri")]
    pub jwks: Option<std::path::PathBuf>,
    /// private_key_jwt: an https URL the client's JWK Set is fetched from.
    #[arg(long, value_name = "URL")]
    pub jwks_uri: Option<String>,
    /// OpenID Registration `application_type`: web (https redirect URIs off loopback) or native
    /// (loopback http, reverse-domain custom schemes, https) [default: native when every redirect
    /// URI is loopback http or a custom scheme, else web].
    #[arg(long, value_name = "TYPE", value_parser = parse_application_type)]
    pub application_type: Option<ApplicationType>,
    /// Allowed grant types [default: authorization_code refresh_token].
    #[arg(long = "grant-type", value_name = "GRANT", num_args = 1.., value_parser = parse_grant_type)]
    pub grant_types: Vec<GrantType>,
    /// Allowed scopes [default: openid profile email address phone offline_access].
    #[arg(long = "scope", value_name = "SCOPE", num_args = 1..)]
    pub scopes: Vec<String>,
    /// First-party client: no consent page.
    #[arg(long)]
    pub first_party: bool,
    /// A resource server (RFC 7662 §4): it may introspect access tokens meant for it.
    #[arg(long)]
    pub resource_server: bool,
    /// RFC 9126 §6: the client must push its authorization requests to /par; plain /authorize
    /// requests are refused.
    #[arg(long)]
    pub require_par: bool,
    /// docs/guides/mfa.md: every login to this client needs a second factor (TOTP or a passkey);
    /// users without one enrol first.
    #[arg(long)]
    pub require_mfa: bool,
    /// Only these groups may appear in the `groups` claim of its tokens [default: every group];
    /// repeatable.
    #[arg(long = "groups-claim-filter", value_name = "GROUP", num_args = 1..)]
    pub groups_claim_filter: Vec<String>,
    /// Only members of this group may use the client (any of them, when repeated).
    #[arg(long = "require-group", value_name = "GROUP", num_args = 1..)]
    pub require_groups: Vec<String>,
    /// OpenID Back-Channel Logout 1.0: where the client receives logout tokens (https, or http
    /// on loopback).
    #[arg(long, value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,
    /// Logout tokens must carry `sid` (OpenID Back-Channel Logout 1.0 §2.2).
    #[arg(long, requires = "backchannel_logout_uri")]
    pub backchannel_logout_session_required: bool,
    /// Offer only this upstream OpenID provider (an `[[upstream]]` id) on the client's login
    /// page; repeatable [default: every configured one].
    #[arg(long = "upstream", value_name = "ID", num_args = 1..)]
    pub upstreams: Vec<String>,
    /// Upstream sign-in only: the password form is hidden and refused (docs/security.md I.6).
    #[arg(long)]
    pub no_password_login: bool,
    /// ID token signing algorithm [default: keys.default_alg].
    #[arg(long, value_enum)]
    pub id_token_alg: Option<Alg>,
    /// Access token signing algorithm [default: tokens.access_token_alg; an API's own wins].
    #[arg(long, value_enum)]
    pub access_token_alg: Option<Alg>,
    /// RFC 8707: the API (`portcullis api add`) its tokens are for when a request names no
    /// `resource` (docs/guides/apis.md).
    #[arg(long, value_name = "IDENTIFIER")]
    pub api: Option<String>,
    /// RFC 8693: an API it may exchange tokens into (token exchange); repeatable.
    #[arg(long = "exchange-to", value_name = "IDENTIFIER", num_args = 1..)]
    pub exchange_to: Vec<String>,
    /// The client_id [default: random].
    #[arg(long)]
    pub client_id: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// A client as printed: the secret only right after it was made, never its digest.
#[derive(Debug, Serialize)]
pub struct ClientView<'a> {
    pub client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<&'a str>,
    pub name: &'a str,
    pub public: bool,
    pub token_endpoint_auth_method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    pub application_type: ApplicationType,
    pub source: crate::storage::ClientSource,
    pub first_party: bool,
    pub redirect_uris: &'a [String],
    pub post_logout_redirect_uris: &'a [String],
    pub grant_types: &'a [GrantType],
    pub scopes: Vec<&'a str>,
    pub id_token_signed_response_alg: Alg,
    pub require_pushed_authorization_requests: bool,
    pub require_mfa: bool,
    pub upstreams: &'a [String],
    pub password_login: bool,
    pub created_at: i64,
    pub groups_claim_filter: &'a [String],
    pub require_groups: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<&'a str>,
    pub backchannel_logout_session_required: bool,
    /// RFC 8707: the API its tokens are for by default (docs/guides/apis.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// RFC 8693: the APIs it may exchange tokens into.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exchange_to: Vec<String>,
}

impl<'a> ClientView<'a> {
    pub fn new(c: &'a Client, client_secret: Option<&'a str>) -> Self {
        ClientView {
            client_id: &c.client_id,
            client_secret,
            name: &c.name,
            public: c.is_public(),
            token_endpoint_auth_method: c.auth_method(),
            jwks_uri: match &c.registration.keys {
                Some(ClientKeys::JwksUri(u)) => Some(u.as_str()),
                _ => None,
            },
            jwks: match &c.registration.keys {
                Some(ClientKeys::Jwks(set)) => serde_json::from_str(set).ok(),
                _ => None,
            },
            application_type: c.registration.application_type,
            source: c.registration.source,
            first_party: c.first_party,
            redirect_uris: &c.redirect_uris,
            post_logout_redirect_uris: &c.post_logout_redirect_uris,
            grant_types: &c.grant_types,
            scopes: c.scopes.iter().collect(),
            id_token_signed_response_alg: c.id_token_signed_response_alg,
            require_pushed_authorization_requests: c.require_pushed_authorization_requests,
            require_mfa: c.require_mfa,
            upstreams: &c.upstreams,
            password_login: c.password_login,
            created_at: c.created_at,
            groups_claim_filter: &c.groups.claim_filter,
            require_groups: &c.groups.required,
            backchannel_logout_uri: c.backchannel_logout.as_ref().map(|b| b.uri.as_str()),
            backchannel_logout_session_required: c
                .backchannel_logout
                .as_ref()
                .is_some_and(|b| b.session_required),
            api: None,
            exchange_to: Vec::new(),
        }
    }

    /// With the client's API policy (`client add --api`, `--exchange-to`).
    pub fn with_policy(self, policy: &ClientApiPolicy) -> Self {
        ClientView {
            api: policy.default_api.clone(),
            exchange_to: policy.exchange_to.clone(),
            ..self
        }
    }
}

pub async fn run(settings: Settings, cmd: ClientCommand) -> Result<(), CliError> {
    match cmd {
        ClientCommand::Add(args) => {
            let json = args.json;
            crate::federation::check_client_upstreams(
                &settings.upstream,
                &args.upstreams,
                args.no_password_login,
            )
            .map_err(CliError::Invalid)?;
            let policy = ClientApiPolicy {
                default_api: args.api.clone(),
                exchange_to: dedup(args.exchange_to.clone()),
            };
            let (client, secret) = build_client(*args, settings.keys.default_alg, &Clock::system())?;
            if !policy.exchange_to.is_empty() && !client.allows_grant(GrantType::TokenExchange) {
                return Err(CliError::Invalid(
                    "--exchange-to needs --grant-type token-exchange".into(),
                ));
            }
            let store = open_store(&settings).await?;
            for api in policy.default_api.iter().chain(&policy.exchange_to) {
                if store.api_by_identifier(api).await?.is_none() {
                    return Err(CliError::Invalid(format!(
                        "no API with identifier {api} (portcullis api add)"
                    )));
                }
            }
            store.create_client(client.clone()).await.map_err(|e| match e {
                crate::storage::StorageError::Conflict(_) => {
                    CliError::Invalid(format!("client_id {} already exists", client.client_id))
                }
                e => e.into(),
            })?;
            if policy != ClientApiPolicy::default() {
                store
                    .set_client_api_policy(&client.client_id, policy.clone())
                    .await?;
            }
            let detail = json!({
                "name": client.name,
                "public": client.is_public(),
                "api": policy.default_api,
                "exchange_to": policy.exchange_to,
            });
            audit(
                &store,
                AuditKind::ClientCreated,
                None,
                Some(&client.client_id),
                detail,
            )
            .await;
            print_client(&client, &policy, secret.as_deref(), json)
        }
        ClientCommand::List { json } => list(&open_store(&settings).await?, json).await,
        ClientCommand::Show { client_id, json } => {
            let store = open_store(&settings).await?;
            let client = find(&store, &client_id).await?;
            let policy = store.client_api_policy(&client_id).await?;
            print_client(&client, &policy, None, json)
        }
        ClientCommand::Remove { client_id } => {
            let store = open_store(&settings).await?;
            if !store.delete_client(&client_id).await? {
                return Err(not_found(&client_id));
            }
            audit(
                &store,
                AuditKind::ClientRemoved,
                None,
                Some(&client_id),
                json!({}),
            )
            .await;
            output::line(&format!("client {client_id} removed"))
        }
        ClientCommand::RotateSecret { client_id, json } => {
            let store = open_store(&settings).await?;
            let client = find(&store, &client_id).await?;
            if client.secret_hash.is_none() {
                return Err(CliError::Invalid(format!(
                    "client {client_id} authenticates with {}: it has no secret",
                    client.auth_method()
                )));
            }
            let secret = secret_256();
            if !store
                .set_client_secret_hash(&client_id, &sha256_hex(&secret))
                .await?
            {
                return Err(not_found(&client_id));
            }
            audit(
                &store,
                AuditKind::ClientSecretRotated,
                None,
                Some(&client_id),
                json!({}),
            )
            .await;
            if json {
                output::json(&serde_json::json!({ "client_id": client_id, "client_secret": secret }))?;
            } else {
                output::line(&format!("client_id:     {client_id}\nclient_secret: {secret}"))?;
            }
            eprintln!("{SECRET_NOTE}");
            Ok(())
        }
    }
}

/// RFC 6749 §2 + docs/security.md A.2, C.11: checks the arguments and builds the client record
/// and, for a confidential client, its new secret (stored only as a SHA-256 digest).
pub fn build_client(
    args: AddArgs,
    default_alg: Alg,
    clock: &Clock,
) -> Result<(Client, Option<String>), CliError> {
    let grant_types = if args.grant_types.is_empty() {
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
    } else {
        dedup(args.grant_types)
    };
    let auth_method = match (args.public, args.auth_method) {
        (true, None | Some(AuthMethod::None)) => AuthMethod::None,
        (true, Some(_)) => {
            return Err(CliError::Invalid(
                "--public is --auth-method none; give one of them".into(),
            ));
        }
        (false, method) => method.unwrap_or(AuthMethod::ClientSecretBasic),
    };
    let keys = match (args.jwks, args.jwks_uri) {
        (Some(path), _) => {
            Some(ClientKeys::Jwks(std::fs::read_to_string(&path).map_err(|e| {
                CliError::Invalid(format!("--jwks {}: {e}", path.display()))
            })?))
        }
        (None, Some(uri)) => Some(ClientKeys::JwksUri(uri)),
        (None, None) => None,
    };
    // The rules dynamic registration applies too (docs/security.md K.2).
    let application_type = client_metadata::check(&client_metadata::Registration {
        name: &args.name,
        redirect_uris: &args.redirect_uris,
        post_logout_redirect_uris: &args.post_logout_redirect_uris,
        grant_types: &grant_types,
        auth_method,
        keys: keys.as_ref(),
        application_type: args.application_type,
        allow_http_loopback: false,
    })
    .map_err(|e| CliError::Invalid(e.message))?;
    let scopes = if args.scopes.is_empty() {
        Scope::from_tokens(STANDARD_SCOPES)
    } else {
        Scope::parse(&args.scopes.join(" "))
            .map_err(|_| CliError::Invalid("a scope contains a character RFC 6749 §3.3 forbids".into()))?
    };
    for group in args.groups_claim_filter.iter().chain(&args.require_groups) {
        crate::groups::validate_name(group).map_err(|e| CliError::Invalid(format!("{group:?}: {e}")))?;
    }
    if let Some(uri) = &args.backchannel_logout_uri {
        crate::backchannel::validate_uri(uri).map_err(|e| CliError::Invalid(format!("{uri}: {e}")))?;
    }
    let client_id = match args.client_id {
        Some(id) => validate_client_id(id)?,
        None => crate::random::client_id(),
    };
    let secret = auth_method.uses_secret().then(secret_256);
    let client = Client {
        client_id,
        name: args.name.trim().to_string(),
        secret_hash: secret.as_deref().map(sha256_hex),
        redirect_uris: dedup(args.redirect_uris),
        post_logout_redirect_uris: dedup(args.post_logout_redirect_uris),
        grant_types,
        scopes,
        first_party: args.first_party,
        id_token_signed_response_alg: args.id_token_alg.unwrap_or(default_alg),
        access_token_alg: args.access_token_alg,
        created_at: clock.now(),
        resource_server: args.resource_server,
        require_pushed_authorization_requests: args.require_par,
        require_mfa: args.require_mfa,
        groups: ClientGroups {
            claim_filter: dedup(args.groups_claim_filter),
            required: dedup(args.require_groups),
        },
        backchannel_logout: args.backchannel_logout_uri.map(|uri| BackchannelLogout {
            uri,
            session_required: args.backchannel_logout_session_required,
        }),
        upstreams: dedup(args.upstreams),
        password_login: !args.no_password_login,
        registration: Registration {
            keys,
            application_type,
            ..Registration::default()
        },
    };
    Ok((client, secret))
}

fn parse_auth_method(s: &str) -> Result<AuthMethod, String> {
    AuthMethod::parse(s).ok_or_else(|| {
        format!("unknown method {s:?} (client_secret_basic, client_secret_post, none, private_key_jwt)")
    })
}

fn parse_application_type(s: &str) -> Result<ApplicationType, String> {
    ApplicationType::parse(s).ok_or_else(|| format!("unknown application type {s:?} (web, native)"))
}

/// RFC 6749 §2.2: a client_id of 1 to 128 unreserved characters (`A-Z a-z 0-9 - . _ ~`), so it
/// needs no escaping anywhere.
fn validate_client_id(id: String) -> Result<String, CliError> {
    let ok = (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if ok {
        Ok(id)
    } else {
        Err(CliError::Invalid(
            "client_id must be 1 to 128 characters of A-Z a-z 0-9 - . _ ~".into(),
        ))
    }
}

/// Drops repeated values, keeping the first of each in order.
fn dedup<T: PartialEq>(v: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn print_client(
    c: &Client,
    policy: &ClientApiPolicy,
    secret: Option<&str>,
    json: bool,
) -> Result<(), CliError> {
    if json {
        output::json(&ClientView::new(c, secret).with_policy(policy))?;
    } else {
        let mut lines = vec![format!("client_id:     {}", c.client_id)];
        if let Some(s) = secret {
            lines.push(format!("client_secret: {s}"));
        }
        lines.extend([
            format!("name:          {}", c.name),
            format!("type:          {}", client_type(c)),
            format!(
                "grant_types:   {}",
                join(c.grant_types.iter().map(|g| g.as_str()))
            ),
            format!("scopes:        {}", c.scopes),
            format!(
                "redirect_uris: {}",
                join(c.redirect_uris.iter().map(String::as_str))
            ),
            format!(
                "post_logout:   {}",
                join(c.post_logout_redirect_uris.iter().map(String::as_str))
            ),
            format!("id_token_alg:  {}", c.id_token_signed_response_alg),
            format!("require_par:   {}", c.require_pushed_authorization_requests),
            format!("require_mfa:   {}", c.require_mfa),
            format!(
                "groups_filter: {}",
                join(c.groups.claim_filter.iter().map(String::as_str))
            ),
            format!(
                "require_group: {}",
                join(c.groups.required.iter().map(String::as_str))
            ),
            format!(
                "backchannel:   {}",
                c.backchannel_logout
                    .as_ref()
                    .map_or("-".into(), |b| if b.session_required {
                        format!("{} (sid required)", b.uri)
                    } else {
                        b.uri.clone()
                    })
            ),
            format!("upstreams:     {}", upstreams_line(c)),
            format!("password:      {}", c.password_login),
            format!("api:           {}", policy.default_api.as_deref().unwrap_or("-")),
            format!(
                "exchange_to:   {}",
                join(policy.exchange_to.iter().map(String::as_str))
            ),
            format!("created:       {}", fmt_time(c.created_at)),
        ]);
        output::line(&lines.join("\n"))?;
    }
    if secret.is_some() {
        eprintln!("{SECRET_NOTE}");
    }
    Ok(())
}

/// The upstreams a client offers, as printed.
fn upstreams_line(c: &Client) -> String {
    if c.upstreams.is_empty() {
        "all configured".into()
    } else {
        join(c.upstreams.iter().map(String::as_str))
    }
}

fn client_type(c: &Client) -> String {
    let kind = match c.auth_method() {
        "none" => "public",
        "private_key_jwt" => "confidential, private_key_jwt",
        _ => "confidential",
    };
    if c.first_party {
        format!("{kind}, first-party")
    } else {
        kind.to_string()
    }
}

fn join<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = it.collect();
    if v.is_empty() { "-".into() } else { v.join(" ") }
}

async fn list(store: &DynStore, json: bool) -> Result<(), CliError> {
    let all = store.list_clients().await?;
    if json {
        return output::json(&all.iter().map(|c| ClientView::new(c, None)).collect::<Vec<_>>());
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|c| {
            vec![
                c.client_id.clone(),
                c.name.clone(),
                client_type(c),
                join(c.grant_types.iter().map(|g| g.as_str())),
                join(c.redirect_uris.iter().map(String::as_str)),
            ]
        })
        .collect();
    output::print_table(
        &["CLIENT_ID", "NAME", "TYPE", "GRANT_TYPES", "REDIRECT_URIS"],
        &rows,
        "no clients",
    )
}

async fn find(store: &DynStore, client_id: &str) -> Result<Client, CliError> {
    store
        .client_by_id(client_id)
        .await?
        .ok_or_else(|| not_found(client_id))
}

fn not_found(client_id: &str) -> CliError {
    CliError::NotFound(format!("no client with client_id {client_id}"))
}
