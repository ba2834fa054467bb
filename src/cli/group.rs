//! `portcullis group ...`: local groups and their members (docs/clients.md, "Groups").

use clap::Subcommand;
use serde_json::json;

use super::output::{self, fmt_time};
use super::{CliError, audit, open_store};
use crate::clock::Clock;
use crate::config::Settings;
use crate::storage::{AuditKind, DynStore, LOCAL_GROUP_SOURCE, StorageError, User};

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group.
    Add { name: String },
    /// List groups with their member counts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Delete a group and every membership of it.
    Remove { name: String },
    /// List a group's members (local ones and those an upstream provider gave).
    Members {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Put a user in a group.
    AddMember { name: String, username: String },
    /// Take a user out of a group (the membership added with `add-member`).
    RemoveMember { name: String, username: String },
}

pub async fn run(settings: Settings, cmd: GroupCommand) -> Result<(), CliError> {
    let store = open_store(&settings).await?;
    let now = Clock::system().now();
    match cmd {
        GroupCommand::Add { name } => {
            crate::groups::validate_name(&name).map_err(CliError::Invalid)?;
            store.create_group(&name, now).await.map_err(|e| match e {
                StorageError::Conflict(_) => {
                    CliError::Invalid(format!("a group named {name} already exists"))
                }
                e => e.into(),
            })?;
            audit(
                &store,
                AuditKind::GroupCreated,
                None,
                None,
                json!({ "group": name }),
            )
            .await;
            output::line(&format!("created group {name}"))
        }
        GroupCommand::List { json } => {
            let groups = store.list_groups().await?;
            if json {
                return output::json(&groups);
            }
            let rows: Vec<Vec<String>> = groups
                .iter()
                .map(|g| vec![g.name.clone(), g.members.to_string(), fmt_time(g.created_at)])
                .collect();
            output::print_table(&["GROUP", "MEMBERS", "CREATED"], &rows, "no groups")
        }
        GroupCommand::Remove { name } => {
            if !store.delete_group(&name).await? {
                return Err(no_group(&name));
            }
            audit(
                &store,
                AuditKind::GroupRemoved,
                None,
                None,
                json!({ "group": name }),
            )
            .await;
            output::line(&format!("group {name} removed"))
        }
        GroupCommand::Members { name, json } => {
            if !store.group_exists(&name).await? {
                return Err(no_group(&name));
            }
            let members = store.group_members(&name).await?;
            if json {
                return output::json(&members);
            }
            let rows: Vec<Vec<String>> = members
                .iter()
                .map(|m| {
                    vec![
                        m.username.clone(),
                        m.user_id.clone(),
                        m.source.clone(),
                        fmt_time(m.added_at),
                    ]
                })
                .collect();
            output::print_table(&["USERNAME", "ID", "SOURCE", "ADDED"], &rows, "no members")
        }
        GroupCommand::AddMember { name, username } => {
            let user = user(&store, &username).await?;
            add_member(&store, &name, &user, now).await?;
            output::line(&format!("{username} is a member of {name}"))
        }
        GroupCommand::RemoveMember { name, username } => {
            let user = user(&store, &username).await?;
            if !store
                .remove_group_member(&name, &user.id, LOCAL_GROUP_SOURCE)
                .await?
            {
                return Err(CliError::NotFound(format!(
                    "{username} is not a local member of {name}"
                )));
            }
            let detail = json!({ "group": name, "source": LOCAL_GROUP_SOURCE });
            audit(
                &store,
                AuditKind::GroupMemberRemoved,
                Some(&user.id),
                None,
                detail,
            )
            .await;
            output::line(&format!("{username} is no longer a member of {name}"))
        }
    }
}

/// Puts `user` in the existing group `name` (local membership), audited. Also used by `user add --group`.
pub async fn add_member(store: &DynStore, name: &str, user: &User, now: i64) -> Result<(), CliError> {
    if !store
        .add_group_member(name, &user.id, LOCAL_GROUP_SOURCE, now)
        .await?
    {
        return Err(no_group(name));
    }
    let detail = json!({ "group": name, "source": LOCAL_GROUP_SOURCE });
    audit(store, AuditKind::GroupMemberAdded, Some(&user.id), None, detail).await;
    Ok(())
}

/// Fails unless every group in `names` exists (checked before a user is created with them).
pub async fn require_groups(store: &DynStore, names: &[String]) -> Result<(), CliError> {
    for name in names {
        if !store.group_exists(name).await? {
            return Err(no_group(name));
        }
    }
    Ok(())
}

async fn user(store: &DynStore, username: &str) -> Result<User, CliError> {
    store
        .user_by_username(username)
        .await?
        .ok_or_else(|| CliError::NotFound(format!("no user named {username}")))
}

fn no_group(name: &str) -> CliError {
    CliError::NotFound(format!(
        "no group named {name} (create it with `portcullis group add {name}`)"
    ))
}
