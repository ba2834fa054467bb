//! `portcullis user ...`: add, list, change password, disable, enable and remove users.

use clap::{Args, Subcommand};

use super::output::{self, fmt_time};

use super::{CliError, open_store};
use crate::accounts::password::{PasswordHasher, check_policy};
use crate::accounts::users::AccountState;
use crate::admin::audit::Actor;
use crate::admin::users::{self, UserSpec};
use crate::clock::Clock;
use crate::config::Settings;
use crate::storage::{DynStore, User};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Add(AddArgs),
    /// List users.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password (ends their sessions and refresh tokens).
    Passwd {
        username: String,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user (they can no longer sign in or refresh tokens).
    Disable { username: String },
    /// Enable a disabled user.
    Enable { username: String },
    /// Delete a user with their consents and tokens.
    Remove { username: String },
    /// List a user's active sessions: one per token family (client and device).
    Sessions {
        username: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// End every session and token family of a user (forced logout).
    Logout { username: String },
    /// Show a user's second factors (TOTP, recovery codes left, passkeys).
    Mfa {
        username: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a user with their linked upstream identities.
    Show {
        username: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove every second factor of a user (lost phone or key); audited.
    MfaReset { username: String },
    /// Remove a user's linked identity at an upstream OpenID provider.
    Unlink {
        username: String,
        /// The `[[upstream]]` id.
        #[arg(long)]
        upstream: String,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub username: String,
    #[arg(long)]
    pub email: Option<String>,
    /// Mark the email address as verified (the `email_verified` claim).
    #[arg(long)]
    pub email_verified: bool,
    /// Display name (the `name` claim).
    #[arg(long)]
    pub name: Option<String>,
    /// Read the password from the first line of stdin.
    #[arg(long)]
    pub password_stdin: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Put the user in this existing group; repeatable.
    #[arg(long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
}

/// A user as printed: never the password hash (the admin API's view).
pub use crate::admin::users::UserView;

pub async fn run(settings: Settings, cmd: UserCommand) -> Result<(), CliError> {
    // Validate input and read the password before touching the database.
    match cmd {
        UserCommand::Add(args) => add(&settings, args).await,
        UserCommand::List { json } => list(&open_store(&settings).await?, json).await,
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let password = output::read_new_password(password_stdin)?;
            check_policy(&password).map_err(CliError::Invalid)?;
            let hasher = PasswordHasher::new(&settings.argon2)?;
            let store = open_store(&settings).await?;
            let user = users::by_username(&store, &username).await?;
            let passwords = users::Passwords {
                hasher: &hasher,
                policy: &settings.password_policy,
            };
            users::set_password(&store, passwords, &Actor::cli(), &user, password).await?;
            output::line(&format!(
                "password of {username} changed; their sessions and refresh tokens are ended"
            ))
        }
        UserCommand::Disable { username } => toggle(&settings, &username, AccountState::Disabled).await,
        UserCommand::Enable { username } => toggle(&settings, &username, AccountState::Enabled).await,
        UserCommand::Sessions { username, json } => {
            let store = open_store(&settings).await?;
            let user = find(&store, &username).await?;
            sessions(&store, &user.id, json).await
        }
        UserCommand::Logout { username } => {
            let store = open_store(&settings).await?;
            let user = find(&store, &username).await?;
            let ended = crate::admin::sessions::logout_user(&store, &Actor::cli(), &user).await?;
            output::line(&format!(
                "{username} is signed out everywhere ({ended} token families revoked)"
            ))
        }
        UserCommand::Mfa { username, json } => super::user_mfa::show(&settings, &username, json).await,
        UserCommand::MfaReset { username } => super::user_mfa::reset(&settings, &username).await,
        UserCommand::Show { username, json } => {
            let store = open_store(&settings).await?;
            let user = find(&store, &username).await?;
            super::identities::show(&store, &user, json).await
        }
        UserCommand::Unlink { username, upstream } => {
            let store = open_store(&settings).await?;
            let user = find(&store, &username).await?;
            super::identities::unlink(&store, &user, &upstream).await
        }
        UserCommand::Remove { username } => {
            let store = open_store(&settings).await?;
            let user = users::by_username(&store, &username).await?;
            users::delete(&store, &Actor::cli(), &user).await?;
            output::line(&format!("user {username} removed"))
        }
    }
}

async fn add(settings: &Settings, args: AddArgs) -> Result<(), CliError> {
    validate_username(&args.username)?;
    if let Some(email) = &args.email {
        validate_email(email)?;
    }
    let password = output::read_new_password(args.password_stdin)?;
    let spec = UserSpec {
        username: args.username,
        password,
        email: args.email,
        email_verified: args.email_verified,
        name: args.name,
        groups: args.groups,
    };
    users::check_spec(&spec, &settings.password_policy)?;
    let hasher = PasswordHasher::new(&settings.argon2)?;
    let store = open_store(settings).await?;
    let passwords = users::Passwords {
        hasher: &hasher,
        policy: &settings.password_policy,
    };
    let user = users::create(&store, passwords, &Actor::cli(), spec, Clock::system().now()).await?;
    if args.json {
        output::json(&user)
    } else {
        output::line(&format!("created user {} (id {})", user.username, user.id))
    }
}

async fn list(store: &DynStore, json: bool) -> Result<(), CliError> {
    let all = store.list_users().await?;
    if json {
        return output::json(&all.iter().map(UserView::from).collect::<Vec<_>>());
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|u| {
            vec![
                u.username.clone(),
                u.id.clone(),
                u.email.clone().unwrap_or_else(|| "-".into()),
                u.name.clone().unwrap_or_else(|| "-".into()),
                if u.disabled { "disabled" } else { "active" }.into(),
                fmt_time(u.created_at),
            ]
        })
        .collect();
    output::print_table(
        &["USERNAME", "ID", "EMAIL", "NAME", "STATUS", "CREATED"],
        &rows,
        "no users",
    )
}

async fn toggle(settings: &Settings, username: &str, state: AccountState) -> Result<(), CliError> {
    let store = open_store(settings).await?;
    let user = users::by_username(&store, username).await?;
    users::set_state(&store, &Actor::cli(), &user, state).await?;
    let what = match state {
        AccountState::Disabled => "disabled; their refresh tokens are revoked",
        AccountState::Enabled => "enabled",
    };
    output::line(&format!("user {username} {what}"))
}

async fn find(store: &DynStore, username: &str) -> Result<User, CliError> {
    Ok(users::by_username(store, username).await?)
}

/// A username: 1 to 64 characters, no whitespace or control characters.
pub fn validate_username(username: &str) -> Result<(), CliError> {
    Ok(users::validate_username(username)?)
}

/// A plausible email address: `local@domain`, no whitespace, at most 254 characters.
pub fn validate_email(email: &str) -> Result<(), CliError> {
    Ok(users::validate_email(email)?)
}

/// `user sessions`: the user's live token families with their client and device.
async fn sessions(store: &crate::storage::DynStore, user_id: &str, json: bool) -> Result<(), CliError> {
    let families = store
        .active_families_for_user(user_id, Clock::system().now())
        .await?;
    if json {
        return output::json(&families);
    }
    let mut rows = Vec::with_capacity(families.len());
    for f in &families {
        let client = store
            .client_by_id(&f.client_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_else(|| f.client_id.clone());
        let device = f
            .device_name
            .clone()
            .or_else(|| f.user_agent.clone())
            .unwrap_or_else(|| "unknown device".into());
        rows.push(vec![
            f.id.clone(),
            client,
            device,
            output::fmt_time(f.created_at),
            output::fmt_time(f.last_used_at),
            f.ip.clone().unwrap_or_default(),
        ]);
    }
    output::print_table(
        &["FAMILY", "CLIENT", "DEVICE", "SIGNED IN", "LAST USED", "IP"],
        &rows,
        "no active sessions",
    )
}
