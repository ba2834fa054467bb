//! `portcullis keys ...`: list signing keys and rotate them (docs/security.md E.24-25).

use clap::Subcommand;
use serde_json::{Value, json};

use super::output::{self, fmt_opt_time, fmt_time};
use super::{CliError, audit, open_store};
use crate::clock::Clock;
use crate::config::Settings;
use crate::keys::{Activation, Alg, KeyStore};
use crate::storage::AuditKind;

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
    let keys = KeyStore {
        store: &store,
        clock: &clock,
    };
    match cmd {
        KeysCommand::List { json } => list(keys, json).await,
        KeysCommand::Rotate {
            alg,
            now: immediate,
            json,
        } => {
            let activation = if immediate {
                Activation::Now
            } else {
                Activation::AfterPublishDelay
            };
            rotate(&settings, keys, alg, activation, json).await
        }
    }
}

/// `keys list`: every stored key with its state.
async fn list(keys: KeyStore<'_>, json: bool) -> Result<(), CliError> {
    let t = keys.clock.now();
    let infos = keys
        .store
        .list_keys()
        .await?
        .iter()
        .map(|k| serde_json::to_value(crate::keys::describe(k, t)))
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

/// `keys rotate`: a new key, published now; running servers learn of it at once (Redis notice)
/// or within seconds (poll).
async fn rotate(
    settings: &Settings,
    keys: KeyStore<'_>,
    alg: Option<Alg>,
    activation: Activation,
    json: bool,
) -> Result<(), CliError> {
    let alg = alg.unwrap_or(settings.keys.default_alg);
    let t = &settings.tokens;
    let max_lifetime = t.access_token_ttl_secs.max(t.id_token_ttl_secs) as i64;
    let key = crate::keys::rotate(keys, &settings.keys, alg, max_lifetime, activation).await?;
    crate::keys::notify::announce(&settings.redis).await;
    let detail =
        json!({ "by": "cli", "kid": key.kid, "alg": key.alg.as_str(), "activates_at": key.activates_at });
    audit(keys.store, AuditKind::KeyRotated, None, None, detail).await;
    let now = keys.clock.now();
    if json {
        return output::json(&crate::keys::describe(&key, now));
    }
    let when = if key.activates_at <= now {
        "now".to_string()
    } else {
        format!("from {}", fmt_time(key.activates_at))
    };
    output::line(&format!(
        "new {} key {} is published and signs {when}; running servers pick it up within seconds",
        key.alg, key.kid
    ))
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
