//! `portcullis api ...`: APIs (resource servers, RFC 8707) with their identifiers, scopes,
//! token lifetime and algorithm, and the client that may introspect their tokens
//! (docs/guides/apis.md, docs/security.md J).

use clap::{Args, Subcommand};

use super::output::{self, fmt_time};
use super::{CliError, open_store};
use crate::admin::apis::{self, ApiPatch, ApiSpec, ApiView, ScopeSpec};
use crate::admin::audit::Actor;
use crate::clock::Clock;
use crate::config::Settings;
use crate::keys::Alg;
use crate::storage::{ApiScope, DynStore};

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
    /// Change an API's name, token lifetime, algorithm or introspecting client (its identifier
    /// never changes: tokens carry it).
    Edit(Box<EditArgs>),
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

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The API to change.
    pub identifier: String,
    /// New display name.
    #[arg(long)]
    pub name: Option<String>,
    /// New lifetime of its access tokens in seconds.
    #[arg(long, value_name = "S", conflicts_with = "default_access_token_ttl")]
    pub access_token_ttl: Option<i64>,
    /// Its access tokens live tokens.access_token_ttl_secs again.
    #[arg(long)]
    pub default_access_token_ttl: bool,
    /// New algorithm of its access tokens.
    #[arg(long, value_enum, conflicts_with = "default_alg")]
    pub alg: Option<Alg>,
    /// Its access tokens are signed with keys.default_alg again.
    #[arg(long)]
    pub default_alg: bool,
    /// The confidential client that may introspect its access tokens (RFC 7662 §4).
    #[arg(long, value_name = "CLIENT_ID", conflicts_with = "no_introspect_client")]
    pub introspect_client: Option<String>,
    /// No client introspects its access tokens any more.
    #[arg(long)]
    pub no_introspect_client: bool,
    #[arg(long)]
    pub json: bool,
}

/// `api edit`'s arguments as the shared change: a flag given sets its field, a `--default-...`
/// or `--no-...` flag clears it.
fn patch_of(args: &EditArgs) -> ApiPatch {
    fn set<T: Clone>(value: &Option<T>, clear: bool) -> Option<Option<T>> {
        if clear {
            Some(None)
        } else {
            value.clone().map(Some)
        }
    }
    ApiPatch {
        identifier: None,
        name: args.name.clone(),
        access_token_ttl_secs: set(&args.access_token_ttl, args.default_access_token_ttl),
        alg: set(&args.alg, args.default_alg),
        introspect_client: set(&args.introspect_client, args.no_introspect_client),
    }
}

pub async fn run(settings: Settings, cmd: ApiCommand) -> Result<(), CliError> {
    let store = open_store(&settings).await?;
    let actor = Actor::cli();
    match cmd {
        ApiCommand::Add(args) => {
            let json = args.json;
            let spec = spec_of(&args)?;
            let now = Clock::system().now();
            let view = apis::create(&store, &actor, spec, &settings.issuer, now).await?;
            print(&view, json)
        }
        ApiCommand::Edit(args) => {
            let view = apis::update(&store, &actor, &args.identifier, patch_of(&args)).await?;
            print(&view, args.json)
        }
        ApiCommand::List { json } => list(&store, json).await,
        ApiCommand::Show { identifier, json } => print(&apis::get(&store, &identifier).await?, json),
        ApiCommand::Remove { identifier } => {
            apis::delete(&store, &actor, &identifier).await?;
            output::line(&format!("api {identifier} removed"))
        }
        ApiCommand::Scope(ScopeCommand::Add { identifier, scope }) => {
            let spec = split_scope(&scope);
            let name = spec.name.clone();
            apis::put_scope(&store, &actor, &identifier, spec).await?;
            output::line(&format!("scope {name} added to {identifier}"))
        }
        ApiCommand::Scope(ScopeCommand::Remove { identifier, name }) => {
            apis::delete_scope(&store, &actor, &identifier, &name).await?;
            output::line(&format!("scope {name} removed from {identifier}"))
        }
    }
}

/// `api add`'s arguments as the shared registration.
fn spec_of(args: &AddArgs) -> Result<ApiSpec, CliError> {
    Ok(ApiSpec {
        identifier: args.identifier.clone(),
        name: args.name.clone(),
        scopes: args.scopes.iter().map(|s| split_scope(s)).collect(),
        access_token_ttl_secs: args.access_token_ttl,
        alg: args.alg,
        introspect_client: args.introspect_client.clone(),
    })
}

/// `NAME[:description]`: a scope name may itself hold colons (`photos:read`) but never a space,
/// so the description follows the last colon before the first space. Without a space the whole
/// value is the name. The identity scopes (`openid`, `profile`, ...) are not an API's to define.
pub fn parse_scope(raw: &str, api_name: &str) -> Result<ApiScope, CliError> {
    Ok(apis::check_scope(split_scope(raw), api_name)?)
}

/// `NAME[:description]` split into its name and description (see [`parse_scope`]).
fn split_scope(raw: &str) -> ScopeSpec {
    let raw = raw.trim();
    let (name, description) = match raw.find(' ') {
        Some(space) => match raw[..space].rfind(':') {
            Some(colon) => (&raw[..colon], raw[colon + 1..].trim()),
            None => (raw, ""),
        },
        None => (raw, ""),
    };
    ScopeSpec {
        name: name.to_string(),
        description: (!description.is_empty()).then(|| description.to_string()),
    }
}

fn print(api: &ApiView, json: bool) -> Result<(), CliError> {
    if json {
        return output::json(api);
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
    let all = apis::all(store).await?;
    if json {
        return output::json(&all);
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
