//! `portcullis config check`: the effective configuration with secrets masked (docs/configuration.md).

use clap::Subcommand;

use super::{CliError, output};
use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the configuration (defaults, file, environment) and print it, secrets masked.
    Check {
        #[arg(long)]
        json: bool,
    },
}

/// Settings are loaded and validated before this runs: an invalid configuration never gets here.
pub fn run(settings: &Settings, cmd: ConfigCommand) -> Result<(), CliError> {
    match cmd {
        ConfigCommand::Check { json: true } => {
            // Settings' serializers mask the secrets.
            output::json(settings)?;
            eprintln!("configuration is valid");
            Ok(())
        }
        ConfigCommand::Check { json: false } => {
            output::line(settings.to_masked_toml().trim_end())?;
            output::line("\nconfiguration is valid")
        }
    }
}
