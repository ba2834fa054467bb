//! Users and their browser sessions: password hashing, login sessions, CSRF, rate limits, the
//! account page's data (docs/security.md D).

pub mod csrf;
pub mod devices;
pub mod login;
pub mod overview;
pub mod password;
pub mod ratelimit;
pub mod session;
pub mod users;

use crate::storage::{AuditEvent, AuditKind, DynStore};

/// Who and what an audit event is about (never a secret).
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditSubject<'a> {
    pub user_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// Writes an audit event at `at` (seconds). A failure is logged, not raised: the audit log must
/// not turn a successful login or change into an error.
pub async fn audit(store: &DynStore, at: i64, kind: AuditKind, subject: AuditSubject<'_>) {
    let event = AuditEvent {
        at,
        kind,
        user_id: subject.user_id.map(str::to_string),
        client_id: subject.client_id.map(str::to_string),
        ip: subject.ip.map(str::to_string),
        detail: "{}".into(),
    };
    if let Err(e) = store.record(event).await {
        tracing::warn!(error = %e, "could not write audit event");
    }
}
