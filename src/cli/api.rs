//! `portcullis api ...`: APIs (resource servers, RFC 8707) with their identifiers, scopes,
//! token lifetime and algorithm, and the client that may introspect their tokens
//! (docs/guides/apis.md, docs/security.md J).

use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::json;

use super::output::{self, fmt_time};
use super::{CliError, audit, open_store};
use crate::clock::Clock;
use crate::config::Settings;
use crate::keys::Alg;
use crate::oauth::scope::Scope;
use crate::storage::{Api, ApiScope, AuditKind, DynStore, StorageError};

#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Register an API: its identifier is the `aud` of access tokens for it.
    Add(Box<AddArgs>),
    /// List APIs.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one API with its scopes.
    Show {
        identifier: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove an API, its scopes, and every client's default or exchange policy naming it.
    Remove { identifier: String },
    /// Add or remove one of an API's scopes.
    #[command(subcommand)]
    Scope(ScopeCommand),
}

#[derive(Debug, Subcommand)]
pub enum ScopeCommand {
    /// Add a scope (or replace its description): NAME[:description].
    Add { identifier: String, scope: String },
    /// Remove a scope.
    Remove { identifier: String, name: String },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// An absolute URI without a fragment (RFC 8707 §2), e.g. https://photos.example/api.
    pub identifier: String,
    /// Display name, shown on the consent page.
    #[arg(long)]
    pub name: String,
    /// A scope the API defines, NAME[:description] (the description follows the last colon
    /// before its first space: `photos:read:See your photos`); repeatable.
    #[arg(long = "scope", value_name = "NAME[:description]", num_args = 1..)]
    pub scopes: Vec<String>,
    /// Lifetime of its access tokens in seconds [default: tokens.access_token_ttl_secs].
    #[arg(long, value_name = "S")]
    pub access_token_ttl: Option<i64>,
    /// Algorithm of its access tokens [default: keys.default_alg].
    #[arg(long, value_enum)]
    pub alg: Option<Alg>,
    /// The confidential client that may introspect its access tokens (RFC 7662 §4).
    #[arg(long, value_name = "CLIENT_ID")]
    pub introspect_client: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// An API as printed.
#[derive(Debug, Serialize)]
struct ApiView<'a> {
    identifier: &'a str,
    name: &'a str,
    scopes: &'a [ApiScope],
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token_ttl_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alg: Option<Alg>,
    #[serde(skip_serializing_if = "Option::is_none")]
    introspect_client: Option<&'a str>,
    created_at: i64,
}

impl<'a> From<&'a Api> for ApiView<'a> {
    fn from(a: &'a Api) -> Self {
        ApiView {
            identifier: &a.identifier,
            name: &a.name,
            scopes: &a.scopes,
            access_token_ttl_secs: a.access_token_ttl_secs,
            alg: a.alg,
            introspect_client: a.introspect_client.as_deref(),
            created_at: a.created_at,
        }
    }
}

pub async fn run(settings: Settings, cmd: ApiCommand) -> Result<(), CliError> {
    let store = open_store(&settings).await?;
    match cmd {
        ApiCommand::Add(args) => add(&store, *args).await,
        ApiCommand::List { json } => list(&store, json).await,
        ApiCommand::Show { identifier, json } => print(&find(&store, &identifier).await?, json),
        ApiCommand::Remove { identifier } => {
            if !store.delete_api(&identifier).await? {
                return Err(not_found(&identifier));
            }
            audit(
                &store,
                AuditKind::ApiRemoved,
                None,
                None,
                json!({ "api": identifier }),
            )
            .await;
            output::line(&format!("api {identifier} removed"))
        }
        ApiCommand::Scope(ScopeCommand::Add { identifier, scope }) => {
            let api = find(&store, &identifier).await?;
            let scope = parse_scope(&scope, &api.name)?;
            let name = scope.name.clone();
            if !store.put_api_scope(&identifier, scope).await? {
                return Err(not_found(&identifier));
            }
            let detail = json!({ "api": identifier, "change": "scope_added", "scope": name });
            audit(&store, AuditKind::ApiChanged, None, None, detail).await;
            output::line(&format!("scope {name} added to {identifier}"))
        }
        ApiCommand::Scope(ScopeCommand::Remove { identifier, name }) => {
            if !store.delete_api_scope(&identifier, &name).await? {
                return Err(CliError::NotFound(format!("{identifier} has no scope {name}")));
            }
            let detail = json!({ "api": identifier, "change": "scope_removed", "scope": name });
            audit(&store, AuditKind::ApiChanged, None, None, detail).await;
            output::line(&format!("scope {name} removed from {identifier}"))
        }
    }
}

async fn add(store: &DynStore, args: AddArgs) -> Result<(), CliError> {
    let api = build_api(&args)?;
    if let Some(alg) = api.alg {
        let keys = store.list_keys().await?;
        if !keys.iter().any(|k| k.alg == alg && k.retired_at.is_none()) {
            return Err(CliError::Invalid(format!(
                "--alg {alg}: there is no {alg} signing key; make one first with \
                 `portcullis keys rotate --alg {alg} --now`"
            )));
        }
    }
    if let Some(id) = &api.introspect_client {
        let client = store.client_by_id(id).await?.ok_or_else(|| {
            CliError::Invalid(format!("--introspect-client: no client with client_id {id}"))
        })?;
        if client.is_public() {
            return Err(CliError::Invalid(format!(
                "--introspect-client: {id} is a public client; introspection needs a confidential one"
            )));
        }
    }
    store.create_api(api.clone()).await.map_err(|e| match e {
        StorageError::Conflict(_) => CliError::Invalid(format!("an API {} already exists", api.identifier)),
        e => e.into(),
    })?;
    let scopes: Vec<&str> = api.scopes.iter().map(|s| s.name.as_str()).collect();
    let detail = json!({ "api": api.identifier, "scopes": scopes });
    audit(store, AuditKind::ApiCreated, None, None, detail).await;
    print(&api, args.json)
}

/// RFC 8707 §2 + docs/security.md J.1: checks the arguments and builds the API record.
pub fn build_api(args: &AddArgs) -> Result<Api, CliError> {
    crate::oauth::resource::parse(&args.identifier)
        .map_err(|e| CliError::Invalid(format!("{}: {}", args.identifier, e.description)))?;
    let name = args.name.trim();
    if name.is_empty() {
        return Err(CliError::Invalid("the API name must not be empty".into()));
    }
    if args.access_token_ttl.is_some_and(|t| t <= 0) {
        return Err(CliError::Invalid(
            "--access-token-ttl must be a positive number of seconds".into(),
        ));
    }
    let mut scopes: Vec<ApiScope> = Vec::new();
    for raw in &args.scopes {
        let scope = parse_scope(raw, name)?;
        if scopes.iter().any(|s| s.name == scope.name) {
            return Err(CliError::Invalid(format!("scope {} given twice", scope.name)));
        }
        scopes.push(scope);
    }
    Ok(Api {
        identifier: args.identifier.clone(),
        name: name.to_string(),
        scopes,
        access_token_ttl_secs: args.access_token_ttl,
        alg: args.alg,
        introspect_client: args.introspect_client.clone(),
        created_at: Clock::system().now(),
    })
}

/// `NAME[:description]`: a scope name may itself hold colons (`photos:read`) but never a space,
/// so the description follows the last colon before the first space. Without a space the whole
/// value is the name. The identity scopes (`openid`, `profile`, ...) are not an API's to define.
pub fn parse_scope(raw: &str, api_name: &str) -> Result<ApiScope, CliError> {
    let raw = raw.trim();
    let (name, description) = match raw.find(' ') {
        Some(space) => match raw[..space].rfind(':') {
            Some(colon) => (&raw[..colon], raw[colon + 1..].trim()),
            None => (raw, ""),
        },
        None => (raw, ""),
    };
    let parsed = Scope::parse(name).ok().filter(|s| s.iter().count() == 1);
    if parsed.is_none() {
        return Err(CliError::Invalid(format!(
            "{raw:?}: a scope name is one RFC 6749 §3.3 scope token (no spaces)"
        )));
    }
    if crate::apis::identity_scopes().contains(name) {
        return Err(CliError::Invalid(format!(
            "{name} is an OpenID scope, not an API's; pick another name"
        )));
    }
    let description = if description.is_empty() {
        format!("Use {api_name} ({name})")
    } else {
        description.to_string()
    };
    Ok(ApiScope {
        name: name.to_string(),
        description,
    })
}

fn print(api: &Api, json: bool) -> Result<(), CliError> {
    if json {
        return output::json(&ApiView::from(api));
    }
    let mut lines = vec![
        format!("identifier:       {}", api.identifier),
        format!("name:             {}", api.name),
        format!(
            "access_token_ttl: {}",
            api.access_token_ttl_secs
                .map_or("default".into(), |t| format!("{t} s"))
        ),
        format!(
            "alg:              {}",
            api.alg.map_or("default".into(), |a| a.to_string())
        ),
        format!(
            "introspect:       {}",
            api.introspect_client.as_deref().unwrap_or("-")
        ),
        format!("created:          {}", fmt_time(api.created_at)),
        "scopes:".to_string(),
    ];
    if api.scopes.is_empty() {
        lines.push("  -".into());
    }
    lines.extend(
        api.scopes
            .iter()
            .map(|s| format!("  {}  {}", s.name, s.description)),
    );
    output::line(&lines.join("\n"))
}

async fn list(store: &DynStore, json: bool) -> Result<(), CliError> {
    let all = store.list_apis().await?;
    if json {
        return output::json(&all.iter().map(ApiView::from).collect::<Vec<_>>());
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|a| {
            let scopes: Vec<&str> = a.scopes.iter().map(|s| s.name.as_str()).collect();
            vec![a.identifier.clone(), a.name.clone(), scopes.join(" ")]
        })
        .collect();
    output::print_table(&["IDENTIFIER", "NAME", "SCOPES"], &rows, "no APIs")
}

async fn find(store: &DynStore, identifier: &str) -> Result<Api, CliError> {
    store
        .api_by_identifier(identifier)
        .await?
        .ok_or_else(|| not_found(identifier))
}

fn not_found(identifier: &str) -> CliError {
    CliError::NotFound(format!("no API with identifier {identifier}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scope_descriptions_follow_the_last_colon_before_a_space() {
        let s = parse_scope("photos:read:See your photos", "Photos").unwrap();
        assert_eq!(
            (s.name.as_str(), s.description.as_str()),
            ("photos:read", "See your photos")
        );
        let s = parse_scope("photos:read", "Photos").unwrap();
        assert_eq!(
            (s.name.as_str(), s.description.as_str()),
            ("photos:read", "Use Photos (photos:read)")
        );
        let s = parse_scope("write:Change things: all of them", "Photos").unwrap();
        assert_eq!(
            (s.name.as_str(), s.description.as_str()),
            ("write", "Change things: all of them")
        );
        assert!(parse_scope("openid:Who you are", "Photos").is_err());
        assert!(parse_scope("bad\"name", "Photos").is_err());
    }
}
