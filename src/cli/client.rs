//! `portcullis client ...`: register (RFC 6749 §2), list, show, remove clients and rotate secrets.

use clap::{Args, Subcommand};

use super::output::{self, fmt_time};

use super::{CliError, open_store, parse_grant_type};
use crate::admin::audit::Actor;
use crate::admin::clients::{self, ClientPatch, ClientRules, ClientSpec};
use crate::clock::Clock;
use crate::config::Settings;
use crate::keys::Alg;
use crate::oauth::client_metadata::AuthMethod;
use crate::storage::{ApplicationType, Client, ClientApiPolicy, DynStore, GrantType};

const SECRET_NOTE: &str =
    "note: the client secret is shown only this once and cannot be shown again; store it now";

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client.
    Add(Box<AddArgs>),
    /// Change some of a client's registration: the options of `client add`, each replacing what
    /// the client has (a repeatable one replaces the whole list); `--clear NAME` puts a member back
    /// to its default. The rules are `client add`'s; the client_id never changes.
    Edit(Box<EditArgs>),
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
    /// RFC 7591 §2 `client_uri`: the app's home page, linked on the consent page (https, or
    /// http on loopback for development).
    #[arg(long, value_name = "URL")]
    pub client_uri: Option<String>,
    /// RFC 7591 §2 `logo_uri`: the app's logo, shown on the consent page when https (the server
    /// never fetches it; the browser does).
    #[arg(long, value_name = "URL")]
    pub logo_uri: Option<String>,
    /// RFC 7591 §2 `policy_uri`: the app's privacy policy, linked on the consent page.
    #[arg(long, value_name = "URL")]
    pub policy_uri: Option<String>,
    /// RFC 7591 §2 `tos_uri`: the app's terms of service, linked on the consent page.
    #[arg(long, value_name = "URL")]
    pub tos_uri: Option<String>,
    /// The client_id [default: random].
    #[arg(long)]
    pub client_id: Option<String>,
    /// Its login page offers "Create an account" when `[signup] enabled` (docs/guides/email.md).
    #[arg(long, conflicts_with = "no_password_login")]
    pub allow_signup: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The client to change.
    pub client_id: String,
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Redirect URIs (replace the registered ones); repeatable.
    #[arg(long = "redirect-uri", value_name = "URI", num_args = 1..)]
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs (replace the registered ones); repeatable.
    #[arg(long = "post-logout-redirect-uri", value_name = "URI", num_args = 1..)]
    pub post_logout_redirect_uris: Vec<String>,
    /// How the client authenticates: client_secret_basic, client_secret_post, none,
    /// private_key_jwt. A client that newly needs a secret gets one, shown once.
    #[arg(long, value_name = "METHOD", value_parser = parse_auth_method)]
    pub auth_method: Option<AuthMethod>,
    /// private_key_jwt: a file holding the client's JWK Set (public keys).
    #[arg(long, value_name = "FILE", conflicts_with = "jwks_uri")]
    pub jwks: Option<std::path::PathBuf>,
    /// private_key_jwt: an https URL the client's JWK Set is fetched from.
    #[arg(long, value_name = "URL")]
    pub jwks_uri: Option<String>,
    /// web or native.
    #[arg(long, value_name = "TYPE", value_parser = parse_application_type)]
    pub application_type: Option<ApplicationType>,
    /// Allowed grant types (replace the current ones).
    #[arg(long = "grant-type", value_name = "GRANT", num_args = 1.., value_parser = parse_grant_type)]
    pub grant_types: Vec<GrantType>,
    /// Allowed scopes (replace the current ones).
    #[arg(long = "scope", value_name = "SCOPE", num_args = 1..)]
    pub scopes: Vec<String>,
    /// First-party client (no consent page).
    #[arg(long, value_name = "BOOL")]
    pub first_party: Option<bool>,
    /// A resource server (RFC 7662 §4).
    #[arg(long, value_name = "BOOL")]
    pub resource_server: Option<bool>,
    /// RFC 9126 §6: authorization requests must be pushed to /par.
    #[arg(long, value_name = "BOOL")]
    pub require_par: Option<bool>,
    /// Every login needs a second factor.
    #[arg(long, value_name = "BOOL")]
    pub require_mfa: Option<bool>,
    /// Groups allowed in the `groups` claim (replace the current ones).
    #[arg(long = "groups-claim-filter", value_name = "GROUP", num_args = 1..)]
    pub groups_claim_filter: Vec<String>,
    /// Groups whose members may use the client (replace the current ones).
    #[arg(long = "require-group", value_name = "GROUP", num_args = 1..)]
    pub require_groups: Vec<String>,
    /// OpenID Back-Channel Logout 1.0 URI.
    #[arg(long, value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,
    /// Logout tokens must carry `sid`.
    #[arg(long, value_name = "BOOL")]
    pub backchannel_logout_session_required: Option<bool>,
    /// Upstream OpenID providers offered (replace the current ones).
    #[arg(long = "upstream", value_name = "ID", num_args = 1..)]
    pub upstreams: Vec<String>,
    /// Whether the password form is offered (docs/security.md I.6).
    #[arg(long, value_name = "BOOL")]
    pub password_login: Option<bool>,
    /// ID token signing algorithm.
    #[arg(long, value_enum)]
    pub id_token_alg: Option<Alg>,
    /// Access token signing algorithm.
    #[arg(long, value_enum)]
    pub access_token_alg: Option<Alg>,
    /// RFC 8707: the API its tokens are for when a request names no `resource`.
    #[arg(long, value_name = "IDENTIFIER")]
    pub api: Option<String>,
    /// RFC 8693: the APIs it may exchange tokens into (replace the current ones).
    #[arg(long = "exchange-to", value_name = "IDENTIFIER", num_args = 1..)]
    pub exchange_to: Vec<String>,
    /// RFC 7591 §2 `client_uri`.
    #[arg(long, value_name = "URL")]
    pub client_uri: Option<String>,
    /// RFC 7591 §2 `logo_uri`.
    #[arg(long, value_name = "URL")]
    pub logo_uri: Option<String>,
    /// RFC 7591 §2 `policy_uri`.
    #[arg(long, value_name = "URL")]
    pub policy_uri: Option<String>,
    /// RFC 7591 §2 `tos_uri`.
    #[arg(long, value_name = "URL")]
    pub tos_uri: Option<String>,
    /// Its login page offers "Create an account" when `[signup] enabled`.
    #[arg(long, value_name = "BOOL")]
    pub allow_signup: Option<bool>,
    /// Put a member back to its default, by its admin API name (`backchannel_logout_uri`,
    /// `redirect_uris`, `api`, `access_token_alg`, ...); repeatable.
    #[arg(long = "clear", value_name = "NAME", num_args = 1..)]
    pub clear: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

/// `client edit`'s arguments as the shared change (`admin::clients::ClientPatch`, the admin
/// API's PATCH body): the members given, and `null` for each `--clear`ed one. Unknown names are
/// refused as the API refuses unknown members.
fn patch_of(args: &EditArgs) -> Result<ClientPatch, CliError> {
    use serde_json::{Map, Value, json};
    let mut m = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(v) = value {
            m.insert(name.to_string(), v);
        }
    };
    let list = |v: &Vec<String>| (!v.is_empty()).then(|| json!(v));
    put("name", args.name.as_ref().map(|v| json!(v)));
    put("redirect_uris", list(&args.redirect_uris));
    put("post_logout_redirect_uris", list(&args.post_logout_redirect_uris));
    put(
        "token_endpoint_auth_method",
        args.auth_method.map(|m| json!(m.as_str())),
    );
    let jwks = match &args.jwks {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| CliError::Invalid(format!("--jwks {}: {e}", path.display())))?,
        ),
        None => None,
    };
    put("jwks", jwks.map(|v| json!(v)));
    put("jwks_uri", args.jwks_uri.as_ref().map(|v| json!(v)));
    put("application_type", args.application_type.map(|v| json!(v)));
    put(
        "grant_types",
        (!args.grant_types.is_empty()).then(|| json!(args.grant_types)),
    );
    put("scopes", list(&args.scopes));
    put("first_party", args.first_party.map(Value::Bool));
    put("resource_server", args.resource_server.map(Value::Bool));
    put(
        "require_pushed_authorization_requests",
        args.require_par.map(Value::Bool),
    );
    put("require_mfa", args.require_mfa.map(Value::Bool));
    put("groups_claim_filter", list(&args.groups_claim_filter));
    put("require_groups", list(&args.require_groups));
    put(
        "backchannel_logout_uri",
        args.backchannel_logout_uri.as_ref().map(|v| json!(v)),
    );
    put(
        "backchannel_logout_session_required",
        args.backchannel_logout_session_required.map(Value::Bool),
    );
    put("upstreams", list(&args.upstreams));
    put("password_login", args.password_login.map(Value::Bool));
    put(
        "id_token_signed_response_alg",
        args.id_token_alg.map(|v| json!(v)),
    );
    put("access_token_alg", args.access_token_alg.map(|v| json!(v)));
    put("api", args.api.as_ref().map(|v| json!(v)));
    put("exchange_to", list(&args.exchange_to));
    put("client_uri", args.client_uri.as_ref().map(|v| json!(v)));
    put("logo_uri", args.logo_uri.as_ref().map(|v| json!(v)));
    put("policy_uri", args.policy_uri.as_ref().map(|v| json!(v)));
    put("tos_uri", args.tos_uri.as_ref().map(|v| json!(v)));
    put("allow_signup", args.allow_signup.map(Value::Bool));
    for name in &args.clear {
        if m.insert(name.clone(), Value::Null).is_some() {
            return Err(CliError::Invalid(format!(
                "--clear {name} and a value for it: give one of them"
            )));
        }
    }
    serde_json::from_value(Value::Object(m)).map_err(|e| CliError::Invalid(format!("--clear: {e}")))
}

/// A client as printed: the one view the admin API shows too.
pub use crate::admin::clients::ClientView;

pub async fn run(settings: Settings, cmd: ClientCommand) -> Result<(), CliError> {
    let actor = Actor::cli();
    match cmd {
        ClientCommand::Add(args) => {
            let json = args.json;
            let spec = spec_of(*args)?;
            let store = open_store(&settings).await?;
            let rules = ClientRules {
                upstreams: &settings.upstream,
                default_alg: settings.keys.default_alg,
            };
            let view = clients::create(&store, rules, &actor, spec, Clock::system().now()).await?;
            let client = clients::find(&store, &view.client_id).await?;
            let policy = store.client_api_policy(&client.client_id).await?;
            print_client(&client, &policy, view.client_secret.as_deref(), json)
        }
        ClientCommand::Edit(args) => {
            let patch = patch_of(&args)?;
            let store = open_store(&settings).await?;
            let rules = ClientRules {
                upstreams: &settings.upstream,
                default_alg: settings.keys.default_alg,
            };
            let view = clients::update(&store, rules, &actor, &args.client_id, patch).await?;
            let client = clients::find(&store, &view.client_id).await?;
            let policy = store.client_api_policy(&client.client_id).await?;
            print_client(&client, &policy, view.client_secret.as_deref(), args.json)
        }
        ClientCommand::List { json } => list(&open_store(&settings).await?, json).await,
        ClientCommand::Show { client_id, json } => {
            let store = open_store(&settings).await?;
            let client = clients::find(&store, &client_id).await?;
            let policy = store.client_api_policy(&client_id).await?;
            print_client(&client, &policy, None, json)
        }
        ClientCommand::Remove { client_id } => {
            let store = open_store(&settings).await?;
            clients::delete(&store, &actor, &client_id).await?;
            output::line(&format!("client {client_id} removed"))
        }
        ClientCommand::RotateSecret { client_id, json } => {
            let store = open_store(&settings).await?;
            let secret = clients::rotate_secret(&store, &actor, &client_id).await?;
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

/// `client add`'s arguments as the shared registration (the `--jwks` file read here).
fn spec_of(args: AddArgs) -> Result<ClientSpec, CliError> {
    let auth_method = match (args.public, args.auth_method) {
        (true, None | Some(AuthMethod::None)) => AuthMethod::None,
        (true, Some(_)) => {
            return Err(CliError::Invalid(
                "--public is --auth-method none; give one of them".into(),
            ));
        }
        (false, method) => method.unwrap_or(AuthMethod::ClientSecretBasic),
    };
    let jwks = match &args.jwks {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| CliError::Invalid(format!("--jwks {}: {e}", path.display())))?,
        ),
        None => None,
    };
    Ok(ClientSpec {
        name: args.name,
        client_id: args.client_id,
        redirect_uris: args.redirect_uris,
        post_logout_redirect_uris: args.post_logout_redirect_uris,
        token_endpoint_auth_method: Some(auth_method.as_str().to_string()),
        jwks,
        jwks_uri: args.jwks_uri,
        application_type: args.application_type,
        grant_types: args.grant_types,
        scopes: args.scopes,
        first_party: args.first_party,
        resource_server: args.resource_server,
        require_pushed_authorization_requests: args.require_par,
        require_mfa: args.require_mfa,
        groups_claim_filter: args.groups_claim_filter,
        require_groups: args.require_groups,
        backchannel_logout_uri: args.backchannel_logout_uri,
        backchannel_logout_session_required: args.backchannel_logout_session_required,
        upstreams: args.upstreams,
        password_login: Some(!args.no_password_login),
        id_token_signed_response_alg: args.id_token_alg,
        access_token_alg: args.access_token_alg,
        api: args.api,
        exchange_to: args.exchange_to,
        client_uri: args.client_uri,
        logo_uri: args.logo_uri,
        policy_uri: args.policy_uri,
        tos_uri: args.tos_uri,
        allow_signup: args.allow_signup,
    })
}

/// RFC 6749 §2 + docs/security.md A.2, C.11: checks the arguments and builds the client record
/// and, for a confidential client, its new secret (stored only as a SHA-256 digest); the rules
/// are the admin API's (`admin::clients::build`).
pub fn build_client(
    args: AddArgs,
    default_alg: Alg,
    clock: &Clock,
) -> Result<(Client, Option<String>), CliError> {
    Ok(clients::build(spec_of(args)?, default_alg, clock.now())?)
}

fn parse_auth_method(s: &str) -> Result<AuthMethod, String> {
    AuthMethod::parse(s).ok_or_else(|| {
        format!("unknown method {s:?} (client_secret_basic, client_secret_post, none, private_key_jwt)")
    })
}

fn parse_application_type(s: &str) -> Result<ApplicationType, String> {
    ApplicationType::parse(s).ok_or_else(|| format!("unknown application type {s:?} (web, native)"))
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
