//! The `portcullis` command line: serve, migrate, user, client, keys, audit and
//! config commands. Every command works without a terminal (`--password-stdin`, `--json`) so
//! that scripts and tests can drive it. Exit codes: 0 success, 1 error, 2 usage (clap).

pub mod api;
pub mod audit;
pub mod client;
pub mod config;
pub mod dev;
pub mod group;
pub mod identities;
pub mod keys;
pub mod output;
pub mod registration;
pub mod serve;
pub mod token;
pub mod user;
pub mod user_mfa;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::storage::diesel::DieselStore;
use crate::storage::{AuditKind, DynStore, GrantType, Store};

/// Errors of a CLI command: printed as `error: <message>`, exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyError),
    #[error(transparent)]
    Password(#[from] crate::accounts::password::PasswordError),
    #[error(transparent)]
    Account(#[from] crate::accounts::users::AccountError),
    #[error("could not start the server: {0}")]
    Startup(#[from] crate::startup::StartupError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("JSON output: {0}")]
    Json(#[from] serde_json::Error),
    /// Arguments that parse but make no sense together, or fail validation.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
}

/// The shared admin operations (`src/admin/`) fail the way the CLI always did: bad input and
/// conflicts as `Invalid`, a missing record as `NotFound`, a backend failure with its cause.
impl From<crate::admin::AdminError> for CliError {
    fn from(e: crate::admin::AdminError) -> CliError {
        use crate::admin::ErrorKind;
        match e.kind {
            ErrorKind::NotFound => CliError::NotFound(e.description.into_owned()),
            ErrorKind::Internal | ErrorKind::Unavailable => match e.detail {
                Some(cause) => CliError::Invalid(cause.to_string()),
                None => CliError::Invalid(e.description.into_owned()),
            },
            _ => CliError::Invalid(e.description.into_owned()),
        }
    }
}

/// Portcullis: an OAuth 2.0 authorization server and OpenID Provider.
#[derive(Debug, Parser)]
#[command(name = "portcullis", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration file (TOML). Environment: PORTCULLIS_CONFIG.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (applies database migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Read the audit trail, newest first: sign-ins, lockouts, consents, revocations, admin actions.
    Audit(audit::AuditArgs),
    /// Manage groups (the `groups` claim, clients limited to groups).
    #[command(subcommand)]
    Group(group::GroupCommand),
    /// Manage APIs (resource servers): their identifiers (the tokens' `aud`) and scopes.
    #[command(subcommand)]
    Api(api::ApiCommand),
    /// Inspect tokens: decode, verify against the issuer's JWKS, say why one is not valid.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Dynamic client registration (RFC 7591): initial access tokens.
    #[command(subcommand)]
    Registration(registration::RegistrationCommand),
    /// Development and benchmarking helpers (`dev seed`: many users and refresh tokens).
    #[command(subcommand)]
    Dev(dev::DevCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Development mode: on an empty database, create a demo user and client and print how to
    /// sign in with them. Serves /dev/callback.
    #[arg(long)]
    pub dev: bool,
}

impl Cli {
    /// Loads the settings: defaults, then `--config` (or PORTCULLIS_CONFIG), then the environment.
    pub fn load_settings(&self) -> Result<Settings, CliError> {
        Ok(Settings::load(self.config.as_deref())?)
    }
}

/// Loads the settings, starts logging and runs the command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = cli.load_settings()?;
    crate::telemetry::init(&settings.log);
    run_with(cli, settings).await
}

/// Runs the command with settings already loaded (and logging already started).
pub async fn run_with(cli: Cli, settings: Settings) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => serve::run(settings, args.dev).await,
        Command::Migrate => {
            let store = open_store(&settings).await?;
            output::line(&format!("migrations applied ({})", store.backend_name()))
        }
        Command::User(cmd) => user::run(settings, cmd).await,
        Command::Client(cmd) => client::run(settings, cmd).await,
        Command::Keys(cmd) => keys::run(settings, cmd).await,
        Command::Config(cmd) => config::run(&settings, cmd),
        Command::Audit(args) => audit::run(settings, args).await,
        Command::Group(cmd) => group::run(settings, cmd).await,
        Command::Api(cmd) => api::run(settings, cmd).await,
        Command::Registration(cmd) => registration::run(settings, cmd).await,
        Command::Token(cmd) => token::run(settings, cmd).await,
        Command::Dev(cmd) => dev::run(settings, cmd).await,
    }
}

/// Connects to the configured database with one connection and applies pending migrations
/// (idempotent), so every administrative command works on a fresh database. The store closes
/// when the command drops it, before the process exits.
pub async fn open_store(settings: &Settings) -> Result<DynStore, CliError> {
    let db = DieselStore::connect_once(settings.database.url.expose_secret()).await?;
    db.migrate().await?;
    // docs/security.md E.35: a client or user changed here is forgotten by every running node.
    db.announce_changes(&settings.redis);
    Ok(std::sync::Arc::new(db))
}

/// docs/operations.md, "Audit trail": records a change made from the command line, with `extra`
/// (a JSON object) and the operating-system user who ran the command.
pub async fn audit(
    store: &DynStore,
    kind: AuditKind,
    user_id: Option<&str>,
    client_id: Option<&str>,
    extra: serde_json::Value,
) {
    let actor = crate::admin::audit::Actor::cli();
    crate::admin::audit::record(store, &actor, kind, user_id, client_id, extra).await
}

/// RFC 6749 §4: parses a `grant_type` value as clap input.
/// RFC 8628 §3.4 and RFC 8693: `device_code` and `token-exchange` stand for their URNs.
pub fn parse_grant_type(s: &str) -> Result<GrantType, String> {
    GrantType::parse(s)
        .or_else(|| GrantType::ALL.into_iter().find(|g| g.short_name() == s))
        .ok_or_else(|| {
            format!(
                "unknown grant type {s:?} (authorization_code, refresh_token, password, client_credentials, \
                 device_code, token-exchange)"
            )
        })
}
