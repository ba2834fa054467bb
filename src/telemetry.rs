//! Logging (STYLE.md §8): a `tracing` subscriber writing to stderr, compact for a terminal or
//! JSON lines for log collectors, filtered by `RUST_LOG` or else `log.level`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogSettings;

/// STYLE.md §8: installs the global subscriber. `RUST_LOG` overrides `settings.level`; an
/// unparsable level falls back to `info`. A second call is a no-op (tests may call it twice).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // An Err means a subscriber is already installed: keep it.
    let _ = if settings.format == "json" {
        builder.json().with_current_span(true).try_init()
    } else {
        builder.compact().try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_twice_is_harmless() {
        let settings = LogSettings {
            format: "json".into(),
            level: "warn".into(),
        };
        init(&settings);
        init(&LogSettings {
            format: "pretty".into(),
            level: "not a valid directive ===".into(),
        });
    }
}
