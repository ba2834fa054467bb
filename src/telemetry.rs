//! Logging (docs/operations.md, "Logs"): a `tracing` subscriber writing to stderr, compact for a
//! terminal or JSON lines for log collectors, filtered by `RUST_LOG` or else `log.level`; and the
//! hop onto the blocking pool that carries the current span along.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber. `RUST_LOG` overrides `settings.level`; an
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
    let _ = match settings.format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// Runs blocking work (diesel queries) on the blocking pool with the current span carried in.
pub async fn spawn_blocking_traced<F, R>(f: F) -> Result<R, tokio::task::JoinError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f)).await
}

/// The per-request root span (docs/security.md E.27): method, path (never the query string, which can
/// carry `id_token_hint` or a code), status and a request id.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        // docs/operations.md, "Request ids": the id on the response is the one on the log lines.
        let request_id = request
            .extensions()
            .get::<crate::http::observe::RequestId>()
            .map(|id| id.to_string());
        tracing::info_span!(
            "http",
            method = %request.method(),
            path = %request.path(),
            request_id = request_id.as_deref().unwrap_or_default(),
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        match outcome {
            Ok(res) => {
                span.record("status", res.status().as_u16());
            }
            Err(e) => {
                span.record("status", e.as_response_error().status_code().as_u16());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_twice_is_harmless() {
        let settings = LogSettings {
            format: LogFormat::Json,
            level: "warn".into(),
        };
        init(&settings);
        init(&LogSettings {
            format: LogFormat::Pretty,
            level: "not a valid directive ===".into(),
        });
    }
}
