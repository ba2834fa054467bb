//! The `portcullis` binary: parse the command line, start logging, run the command
//! (the commands live in `portcullis::cli`). Exit codes: 0 success, 1 error, 2 usage (clap).

use std::process::ExitCode;

use clap::Parser;
use portcullis::cli::{self, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.load_settings() {
        Ok(settings) => {
            portcullis::telemetry::init(&settings.log);
            cli::run_with(cli, settings).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
