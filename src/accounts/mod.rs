//! Users and their browser sessions: password hashing, login sessions, CSRF, rate limits
//! (DESIGN.md §1 accounts/, SECURITY.md D).

pub mod csrf;
pub mod devices;
pub mod login;
pub mod overview;
pub mod password;
pub mod ratelimit;
pub mod session;
pub mod users;

use crate::storage::{AuditEvent, DynStore};

/// Writes an audit event (never a secret). A failure is logged, not raised: the audit log must
/// not turn a successful login or change into an error.
pub async fn audit(
    store: &DynStore,
    kind: &str,
    user_id: Option<&str>,
    client_id: Option<&str>,
    ip: Option<&str>,
) {
    let event = AuditEvent {
        at: crate::util::now(),
        kind: kind.to_string(),
        user_id: user_id.map(str::to_string),
        client_id: client_id.map(str::to_string),
        ip: ip.map(str::to_string),
        detail: "{}".into(),
    };
    if let Err(e) = store.record(event).await {
        tracing::warn!(error = %e, "could not write audit event");
    }
}
