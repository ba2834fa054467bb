//! `portcullis user mfa USERNAME` (a user's second factors) and `portcullis user mfa-reset
//! USERNAME` (removes them all, audited as `admin.mfa_reset`), docs/guides/mfa.md.

use serde::Serialize;
use serde_json::json;

use super::output::{self, fmt_opt_time, fmt_time};
use super::{CliError, audit};
use crate::config::Settings;
use crate::storage::{AuditKind, DynStore, User};

/// A user's factors as printed: never a secret.
#[derive(Debug, Serialize)]
struct FactorsView<'a> {
    username: &'a str,
    totp: bool,
    totp_since: Option<i64>,
    recovery_codes_left: i64,
    passkeys: Vec<PasskeyView>,
}

#[derive(Debug, Serialize)]
struct PasskeyView {
    id: String,
    name: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

async fn find(store: &DynStore, username: &str) -> Result<User, CliError> {
    store
        .user_by_username(username)
        .await?
        .ok_or_else(|| CliError::NotFound(format!("no user named {username}")))
}

/// `portcullis user mfa USERNAME [--json]`.
pub async fn show(settings: &Settings, username: &str, as_json: bool) -> Result<(), CliError> {
    let store = super::open_store(settings).await?;
    let user = find(&store, username).await?;
    let factors = crate::mfa::factors(&store, &user.id).await?;
    let view = FactorsView {
        username: &user.username,
        totp: factors.totp_since.is_some(),
        totp_since: factors.totp_since,
        recovery_codes_left: factors.recovery_codes_left,
        passkeys: factors
            .passkeys
            .iter()
            .map(|p| PasskeyView {
                id: p.id.clone(),
                name: p.name.clone(),
                created_at: p.created_at,
                last_used_at: p.last_used_at,
            })
            .collect(),
    };
    if as_json {
        return output::json(&view);
    }
    let totp = match view.totp_since {
        Some(t) => format!(
            "on since {} ({} recovery codes left)",
            fmt_time(t),
            view.recovery_codes_left
        ),
        None => "off".to_string(),
    };
    output::line(&format!(
        "user:     {}\ntotp:     {totp}\npasskeys: {}",
        view.username,
        view.passkeys.len()
    ))?;
    let rows: Vec<Vec<String>> = view
        .passkeys
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.id.clone(),
                fmt_time(p.created_at),
                fmt_opt_time(p.last_used_at),
            ]
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    output::print_table(&["NAME", "CREDENTIAL", "ADDED", "LAST USED"], &rows, "")
}

/// `portcullis user mfa-reset USERNAME`: removes TOTP, recovery codes and passkeys (for a user who
/// lost them); audited.
pub async fn reset(settings: &Settings, username: &str) -> Result<(), CliError> {
    let store = super::open_store(settings).await?;
    let user = find(&store, username).await?;
    let removed = store.reset_mfa(&user.id).await?;
    let detail = json!({ "rows_removed": removed });
    audit(&store, AuditKind::MfaReset, Some(&user.id), None, detail).await;
    output::line(&format!(
        "second factors of {username} removed; they sign in with their password and may enrol again"
    ))
}
