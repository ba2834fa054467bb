//! Prometheus metrics (docs/operations.md, "Monitoring"): what the server counts and times, kept in
//! the process-wide `metrics` recorder and rendered in the Prometheus text format at `/metrics`.
//! Names and labels are listed in docs/operations.md; labels only ever take values from a small set
//! (route patterns, grant types, algorithms, audit kinds, upstream ids), never user input.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Histogram buckets (seconds) for request latency and signing time.
const BUCKETS: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls return the same handle). `None` only if
/// another recorder was installed first, in which case nothing is exported.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    metrics::describe_counter!(
        "portcullis_http_requests_total",
        "HTTP requests answered, by route pattern, method and status"
    );
    metrics::describe_histogram!(
        "portcullis_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by route pattern"
    );
    metrics::describe_counter!("portcullis_tokens_issued_total", "Token responses, by grant type");
    metrics::describe_histogram!(
        "portcullis_signing_duration_seconds",
        metrics::Unit::Seconds,
        "Time to sign one JWT, by algorithm"
    );
    metrics::describe_counter!(
        "portcullis_events_total",
        "Audit events by kind: sign-ins and failures, lockouts, refresh and code reuse, back-channel give-ups, ..."
    );
    metrics::describe_counter!(
        "portcullis_upstream_errors_total",
        "Failures talking to upstream OpenID providers, by upstream and reason"
    );
    metrics::describe_counter!(
        "portcullis_backchannel_errors_total",
        "Back-channel logout deliveries that failed (each attempt)"
    );
    metrics::describe_gauge!(
        "portcullis_database_up",
        "1 when the database answered the last scrape's ping"
    );
    metrics::describe_gauge!(
        "portcullis_ephemeral_store_up",
        "1 when the short-lived store (Redis or SQL) answered the last scrape's ping"
    );
    metrics::describe_gauge!("portcullis_db_pool_connections", "Open database connections");
    metrics::describe_gauge!("portcullis_db_pool_idle_connections", "Idle database connections");
}

/// One answered HTTP request.
pub fn request(route: &str, method: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("route", route.to_string()),
        ("method", method.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!("portcullis_http_requests_total", &labels).increment(1);
    metrics::histogram!("portcullis_http_request_duration_seconds", "route" => route.to_string())
        .record(elapsed.as_secs_f64());
}

/// A token response for `grant_type`.
pub fn token_issued(grant_type: &'static str) {
    metrics::counter!("portcullis_tokens_issued_total", "grant_type" => grant_type).increment(1);
}

/// One JWT signed with `alg`.
pub fn signed(alg: &'static str, elapsed: Duration) {
    metrics::histogram!("portcullis_signing_duration_seconds", "alg" => alg).record(elapsed.as_secs_f64());
}

/// One audit event of `kind` (the audit trail's names, e.g. `login.failure`).
pub fn event(kind: &'static str) {
    metrics::counter!("portcullis_events_total", "kind" => kind).increment(1);
}

/// A failure at upstream `upstream` (a configured `[[upstream]]` id) for `reason`.
pub fn upstream_error(upstream: &str, reason: &'static str) {
    metrics::counter!(
        "portcullis_upstream_errors_total",
        "upstream" => upstream.to_string(),
        "reason" => reason
    )
    .increment(1);
}

/// A failed back-channel logout delivery attempt.
pub fn backchannel_error() {
    metrics::counter!("portcullis_backchannel_errors_total").increment(1);
}

/// The health of the stores, sampled when `/metrics` is scraped.
pub struct Health {
    pub database_up: bool,
    pub ephemeral_up: bool,
    /// (open, idle) connections of the database pool, where there is one.
    pub pool: Option<(u32, u32)>,
}

/// How often [`fold_samples`] runs on a server (`upkeep`).
pub const FOLD_EVERY: Duration = Duration::from_secs(1);

/// Folds the histogram samples recorded since the last call into their buckets. The exporter
/// keeps every sample it is given until then (or until `/metrics` is scraped): without this a
/// server nobody scrapes grew by about 20 bytes a request, for good (bench/PROFILES.md, "Memory").
pub fn fold_samples() {
    if let Some(handle) = HANDLE.get().and_then(Option::as_ref) {
        handle.run_upkeep();
    }
}

/// The Prometheus text exposition of everything recorded, with `health` sampled now.
pub fn render(health: &Health) -> String {
    metrics::gauge!("portcullis_database_up").set(f64::from(u8::from(health.database_up)));
    metrics::gauge!("portcullis_ephemeral_store_up").set(f64::from(u8::from(health.ephemeral_up)));
    if let Some((open, idle)) = health.pool {
        metrics::gauge!("portcullis_db_pool_connections").set(f64::from(open));
        metrics::gauge!("portcullis_db_pool_idle_connections").set(f64::from(idle));
    }
    install().map(|h| h.render()).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn recorded_values_appear_in_the_text_format() {
        install().expect("recorder");
        token_issued("client_credentials");
        signed("ES256", Duration::from_micros(30));
        let text = render(&Health {
            database_up: true,
            ephemeral_up: false,
            pool: Some((3, 2)),
        });
        assert!(
            text.contains("portcullis_tokens_issued_total{grant_type=\"client_credentials\"}"),
            "{text}"
        );
        assert!(
            text.contains("portcullis_signing_duration_seconds_bucket{alg=\"ES256\",le=\"0.00005\"}"),
            "{text}"
        );
        assert!(text.contains("portcullis_database_up 1"), "{text}");
        assert!(text.contains("portcullis_ephemeral_store_up 0"), "{text}");
        assert!(text.contains("portcullis_db_pool_idle_connections 2"), "{text}");
        assert!(
            text.contains("# TYPE portcullis_tokens_issued_total counter"),
            "{text}"
        );
    }

    /// Folded samples still count: the periodic fold (no scrape in between) loses none.
    #[test]
    fn histogram_samples_folded_without_a_scrape_are_all_counted() {
        install().expect("recorder");
        for _ in 0..1_000 {
            signed("EdDSA", Duration::from_micros(20));
        }
        fold_samples();
        signed("EdDSA", Duration::from_micros(20));
        fold_samples();
        let text = render(&Health {
            database_up: true,
            ephemeral_up: true,
            pool: None,
        });
        assert!(
            text.contains("portcullis_signing_duration_seconds_count{alg=\"EdDSA\"} 1001"),
            "{text}"
        );
    }
}
