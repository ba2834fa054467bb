//! `portcullis group ...`: local groups and their members (docs/clients.md, "Groups").

use clap::Subcommand;

use super::output::{self, fmt_time};
use super::{CliError, open_store};
use crate::admin::audit::Actor;
use crate::admin::{groups, users};
use crate::clock::Clock;
use crate::config::Settings;

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
    let actor = Actor::cli();
    match cmd {
        GroupCommand::Add { name } => {
            groups::create(&store, &actor, &name, now).await?;
            output::line(&format!("created group {name}"))
        }
        GroupCommand::List { json } => {
            let groups = groups::all(&store).await?;
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
            groups::delete(&store, &actor, &name).await?;
            output::line(&format!("group {name} removed"))
        }
        GroupCommand::Members { name, json } => {
            let members = groups::members(&store, &name).await?;
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
            let user = users::by_username(&store, &username).await?;
            groups::add_member(&store, &actor, &name, &user, now).await?;
            output::line(&format!("{username} is a member of {name}"))
        }
        GroupCommand::RemoveMember { name, username } => {
            let user = users::by_username(&store, &username).await?;
            groups::remove_member(&store, &actor, &name, &user).await?;
            output::line(&format!("{username} is no longer a member of {name}"))
        }
    }
}
