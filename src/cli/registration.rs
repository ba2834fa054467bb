//! `portcullis registration token`: an initial access token for dynamic registration when
//! `registration.mode = "token"` (RFC 7591 §3; docs/clients.md). Shown once, stored as its
//! SHA-256 digest, with an optional lifetime and number of uses.

use clap::Subcommand;
use serde_json::json;

use super::output::{self, fmt_time};
use super::{CliError, audit, open_store};
use crate::clock::Clock;
use crate::config::{RegistrationMode, Settings};
use crate::digest::sha256_hex;
use crate::random::secret_256;
use crate::storage::{AuditKind, RegistrationToken};

#[derive(Debug, Subcommand)]
pub enum RegistrationCommand {
    /// Make an initial access token for POST /register (shown only this once).
    Token {
        /// Seconds until it stops working [default: never].
        #[arg(long, value_name = "SECONDS")]
        ttl: Option<u64>,
        /// How many registrations it allows [default: any number].
        #[arg(long, value_name = "N")]
        max_uses: Option<u64>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(settings: Settings, cmd: RegistrationCommand) -> Result<(), CliError> {
    match cmd {
        RegistrationCommand::Token { ttl, max_uses, json } => {
            if ttl == Some(0) || max_uses == Some(0) {
                return Err(CliError::Invalid(
                    "--ttl and --max-uses must be at least 1".into(),
                ));
            }
            let to_i64 = |v: u64| i64::try_from(v).map_err(|_| CliError::Invalid("value too large".into()));
            let now = Clock::system().now();
            let expires_at = ttl.map(to_i64).transpose()?.map(|t| now.saturating_add(t));
            let max_uses = max_uses.map(to_i64).transpose()?;
            let token = secret_256();
            let store = open_store(&settings).await?;
            store
                .create_registration_token(RegistrationToken {
                    token_hash: sha256_hex(&token),
                    created_at: now,
                    expires_at,
                    max_uses,
                    uses: 0,
                })
                .await?;
            audit(
                &store,
                AuditKind::RegistrationTokenCreated,
                None,
                None,
                json!({ "expires_at": expires_at, "max_uses": max_uses }),
            )
            .await;
            if settings.registration.mode != RegistrationMode::Token {
                eprintln!("note: registration.mode is not \"token\": the token is not needed until it is");
            }
            if json {
                output::json(&json!({
                    "initial_access_token": token,
                    "expires_at": expires_at,
                    "max_uses": max_uses,
                }))?;
            } else {
                output::line(&format!(
                    "initial_access_token: {token}\nexpires:              {}\nmax_uses:             {}",
                    expires_at.map_or("never".into(), fmt_time),
                    max_uses.map_or("any".into(), |n| n.to_string()),
                ))?;
            }
            eprintln!(
                "note: the token is shown only this once; send it as `Authorization: Bearer <token>` to POST /register"
            );
            Ok(())
        }
    }
}
