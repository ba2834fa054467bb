//! Users and their browser sessions: password hashing, login sessions, CSRF, rate limits, the
//! account page's data (docs/security.md D), and the audit writer (docs/operations.md, "Audit
//! trail").

pub mod csrf;
pub mod devices;
pub mod login;
pub mod overview;
pub mod password;
pub mod password_policy;
pub mod profile;
pub mod ratelimit;
pub mod reset;
pub mod session;
pub mod signup;
pub mod users;
pub mod verify;

use serde_json::Value;

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
    Audit {
        kind,
        subject,
        detail: Value::Object(serde_json::Map::new()),
    }
    .write(store, at)
    .await
}

/// One audit event being written (docs/operations.md, "Audit trail"): what happened, to whom,
/// through which client, from which address (the real client address, docs/security.md E.33),
/// and a small JSON object with the reason. Never a secret.
#[derive(Debug, Clone)]
pub struct Audit<'a> {
    kind: AuditKind,
    subject: AuditSubject<'a>,
    detail: Value,
}

impl<'a> Audit<'a> {
    pub fn new(kind: AuditKind) -> Audit<'a> {
        Audit {
            kind,
            subject: AuditSubject::default(),
            detail: Value::Object(serde_json::Map::new()),
        }
    }

    pub fn user(mut self, user_id: Option<&'a str>) -> Self {
        self.subject.user_id = user_id;
        self
    }

    pub fn client(mut self, client_id: Option<&'a str>) -> Self {
        self.subject.client_id = client_id;
        self
    }

    pub fn ip(mut self, ip: Option<&'a str>) -> Self {
        self.subject.ip = ip;
        self
    }

    /// The detail: a JSON object (anything else is stored as `{}`).
    pub fn detail(mut self, detail: Value) -> Self {
        if detail.is_object() {
            self.detail = detail;
        }
        self
    }

    /// Writes the event at `at` (seconds); a failure is logged, not raised (see [`audit`]).
    pub async fn write(self, store: &DynStore, at: i64) {
        crate::monitoring::event(self.kind.as_str());
        let event = AuditEvent {
            at,
            kind: self.kind,
            user_id: self.subject.user_id.map(str::to_string),
            client_id: self.subject.client_id.map(str::to_string),
            ip: self.subject.ip.map(str::to_string),
            detail: self.detail.to_string(),
        };
        if let Err(e) = store.record(event).await {
            tracing::warn!(error = %e, kind = self.kind.as_str(), "could not write audit event");
        }
    }
}

/// How a browser session was ended, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutVia {
    /// OpenID RP-Initiated Logout (`/logout`).
    RelyingParty,
    /// "Sign out" on the account page.
    AccountPage,
    /// "Not you? Use another account" on the consent page.
    SwitchAccount,
}

/// Records that `session` was signed out from `ip` (`session.logout`), naming the client that
/// asked for it, if any.
pub async fn record_logout(
    ctx: &crate::context::Context,
    session: &session::LoginSession,
    via: LogoutVia,
    client_id: Option<&str>,
    ip: &str,
) {
    let via = match via {
        LogoutVia::RelyingParty => "rp_initiated",
        LogoutVia::AccountPage => "account_page",
        LogoutVia::SwitchAccount => "switch_account",
    };
    Audit::new(AuditKind::Logout)
        .user(Some(&session.user_id))
        .client(client_id)
        .ip(Some(ip))
        .detail(serde_json::json!({ "via": via, "sid": session.sid }))
        .write(&ctx.store, ctx.now())
        .await
}
