//! `portcullis user ...`: add, list, change password, disable, enable and remove users.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{self, fmt_time};
use serde_json::json;

use super::{CliError, audit, open_store};
use crate::accounts::password::{PasswordHasher, check_policy};
use crate::accounts::password_policy;
use crate::accounts::users::{self, AccountState};
use crate::clock::Clock;
use crate::config::Settings;
use crate::storage::{AuditKind, DynStore, NewUser, User};

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

/// A user as printed: never the password hash.
#[derive(Debug, Serialize)]
pub struct UserView<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub email: Option<&'a str>,
    pub email_verified: bool,
    pub name: Option<&'a str>,
    pub disabled: bool,
    pub created_at: i64,
}

impl<'a> From<&'a User> for UserView<'a> {
    fn from(u: &'a User) -> Self {
        UserView {
            id: &u.id,
            username: &u.username,
            email: u.email.as_deref(),
            email_verified: u.email_verified,
            name: u.name.as_deref(),
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

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
            let user = find(&store, &username).await?;
            let names = [user.username.as_str(), user.email.as_deref().unwrap_or_default()];
            password_policy::check(&settings.password_policy, &password, &names)
                .map_err(|p| CliError::Invalid(p.to_string()))?;
            users::change_password(&store, &hasher, &Clock::system(), &user.id, password).await?;
            audit(&store, AuditKind::PasswordSet, Some(&user.id), None, json!({})).await;
            let by = json!({ "by": "password_change" });
            audit(&store, AuditKind::FamilyRevoked, Some(&user.id), None, by).await;
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
            let ended = users::logout_everywhere(&store, &Clock::system(), &user.id).await?;
            let count = json!({ "families_revoked": ended });
            audit(&store, AuditKind::UserLoggedOut, Some(&user.id), None, count).await;
            let by = json!({ "by": "admin", "count": ended });
            audit(&store, AuditKind::FamilyRevoked, Some(&user.id), None, by).await;
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
            let user = find(&store, &username).await?;
            crate::backchannel::user_logged_out(&store, &user.id, Clock::system().now()).await?;
            if !store.delete_user(&user.id).await? {
                return Err(not_found(&username));
            }
            let name = json!({ "username": username });
            audit(&store, AuditKind::UserRemoved, Some(&user.id), None, name).await;
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
    let names = [args.username.as_str(), args.email.as_deref().unwrap_or_default()];
    password_policy::check(&settings.password_policy, &password, &names)
        .map_err(|p| CliError::Invalid(p.to_string()))?;
    let hasher = PasswordHasher::new(&settings.argon2)?;
    let store = open_store(settings).await?;
    super::group::require_groups(&store, &args.groups).await?;
    if store.user_by_username(&args.username).await?.is_some() {
        return Err(CliError::Invalid(format!(
            "a user named {} already exists",
            args.username
        )));
    }
    let password_hash = hasher.hash(password).await?;
    let user = store
        .create_user(NewUser {
            id: crate::random::random_id(),
            username: args.username,
            email: args.email,
            email_verified: args.email_verified,
            name: args.name,
            password_hash,
            created_at: Clock::system().now(),
        })
        .await?;
    let name = json!({ "username": user.username });
    audit(&store, AuditKind::UserCreated, Some(&user.id), None, name).await;
    for group in &args.groups {
        super::group::add_member(&store, group, &user, Clock::system().now()).await?;
    }
    if args.json {
        output::json(&UserView::from(&user))
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
    let user = find(&store, username).await?;
    users::set_state(&store, &Clock::system(), &user.id, state).await?;
    let kind = match state {
        AccountState::Disabled => AuditKind::UserDisabled,
        AccountState::Enabled => AuditKind::UserEnabled,
    };
    audit(&store, kind, Some(&user.id), None, json!({})).await;
    if state == AccountState::Disabled {
        let by = json!({ "by": "admin" });
        audit(&store, AuditKind::FamilyRevoked, Some(&user.id), None, by).await;
    }
    let what = match state {
        AccountState::Disabled => "disabled; their refresh tokens are revoked",
        AccountState::Enabled => "enabled",
    };
    output::line(&format!("user {username} {what}"))
}

async fn find(store: &DynStore, username: &str) -> Result<User, CliError> {
    store
        .user_by_username(username)
        .await?
        .ok_or_else(|| not_found(username))
}

fn not_found(username: &str) -> CliError {
    CliError::NotFound(format!("no user named {username}"))
}

/// A username: 1 to 64 characters, no whitespace or control characters.
pub fn validate_username(username: &str) -> Result<(), CliError> {
    let n = username.chars().count();
    if n == 0 || n > 64 || username.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(CliError::Invalid(
            "username must be 1 to 64 characters without spaces or control characters".into(),
        ));
    }
    Ok(())
}

/// A plausible email address: `local@domain`, no whitespace, at most 254 characters.
pub fn validate_email(email: &str) -> Result<(), CliError> {
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(CliError::Invalid(format!("{email:?} is not an email address")))
    }
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
