//! `portcullis keys ...`: list signing keys and rotate them (docs/security.md E.24-25).

use clap::Subcommand;
use serde_json::Value;

use super::output::{self, fmt_opt_time, fmt_time};
use super::{CliError, open_store};
use crate::admin::audit::Actor;
use crate::admin::keys::{self, RotateSpec};
use crate::clock::Clock;
use crate::config::Settings;
use crate::keys::Alg;
use crate::storage::DynStore;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys with their state (pending, active, retiring, expired).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Make a new signing key. It is published at once and signs after keys.publish_delay_secs
    /// (or at once with --now); the previous key of that algorithm retires then.
    Rotate {
        /// Algorithm of the new key [default: keys.default_alg].
        #[arg(long, value_enum)]
        alg: Option<Alg>,
        /// Sign with the new key at once instead of after the publish delay.
        #[arg(long)]
        now: bool,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(settings: Settings, cmd: KeysCommand) -> Result<(), CliError> {
    let store = open_store(&settings).await?;
    let clock = Clock::system();
    match cmd {
        KeysCommand::List { json } => list(&store, &clock, json).await,
        KeysCommand::Rotate { alg, now, json } => {
            let spec = RotateSpec { alg, now };
            let key = keys::rotate(&store, &clock, &settings, &Actor::cli(), spec).await?;
            if json {
                return output::json(&key);
            }
            let when = if key.activates_at <= clock.now() {
                "now".to_string()
            } else {
                format!("from {}", fmt_time(key.activates_at))
            };
            output::line(&format!(
                "new {} key {} is published and signs {when}; running servers pick it up within seconds",
                key.alg, key.kid
            ))
        }
    }
}

/// `keys list`: every stored key with its state.
async fn list(store: &DynStore, clock: &Clock, json: bool) -> Result<(), CliError> {
    let infos = keys::all(store, clock)
        .await?
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<Value>, _>>()?;
    if json {
        return output::json(&infos);
    }
    let rows: Vec<Vec<String>> = infos.iter().map(key_row).collect();
    output::print_table(
        &[
            "KID",
            "ALG",
            "STATE",
            "CREATED",
            "SIGNS_FROM",
            "RETIRED",
            "EXPIRES",
        ],
        &rows,
        "no signing keys (the server makes one at first start)",
    )
}

/// One table row from a serialized `KeyInfo`.
fn key_row(info: &Value) -> Vec<String> {
    let text = |k: &str| info.get(k).and_then(Value::as_str).unwrap_or("-").to_string();
    let time = |k: &str| fmt_opt_time(info.get(k).and_then(Value::as_i64));
    vec![
        text("kid"),
        text("alg"),
        text("state"),
        time("created_at"),
        time("activates_at"),
        time("retired_at"),
        time("expires_at"),
    ]
}
