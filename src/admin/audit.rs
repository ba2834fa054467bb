//! Who made an admin change, and the audit trail as the admin API lists it (docs/operations.md,
//! "Audit trail"; docs/admin-api.md, "Audit events").

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{AdminError, Page, PageRequest};
use crate::accounts::Audit;
use crate::clock::Clock;
use crate::storage::{AuditEvent, AuditFilter, AuditKind, DynStore};

/// Who made a change: a person at the command line, or an admin API client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// `portcullis ...`; the operator's login name when the environment says it.
    Cli { operator: Option<String> },
    /// `/admin/api/v1`, with the client_id of the token's client.
    Api { client_id: String },
}

impl Actor {
    /// The person running the CLI (`$USER`, else `$LOGNAME`).
    pub fn cli() -> Actor {
        Actor::Cli {
            operator: std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).ok(),
        }
    }

    /// The `detail` of its audit events: `via` and who, then `extra`'s members.
    pub fn detail(&self, extra: Value) -> Value {
        let mut detail = match self {
            Actor::Cli { operator } => {
                let mut d = serde_json::json!({ "via": "cli" });
                if let Some(op) = operator {
                    d["operator"] = op.clone().into();
                }
                d
            }
            Actor::Api { client_id } => serde_json::json!({ "via": "admin_api", "admin_client": client_id }),
        };
        if let (Some(into), Value::Object(extra)) = (detail.as_object_mut(), extra) {
            into.extend(extra);
        }
        detail
    }
}

/// Writes an audit event for an admin change (a failure to write is logged, never fatal).
pub async fn record(
    store: &DynStore,
    actor: &Actor,
    kind: AuditKind,
    user_id: Option<&str>,
    client_id: Option<&str>,
    extra: Value,
) {
    Audit::new(kind)
        .user(user_id)
        .client(client_id)
        .detail(actor.detail(extra))
        .write(store, Clock::system().now())
        .await
}

/// An audit event as listed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventView {
    pub at: i64,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The event's JSON detail (never a secret).
    #[schema(value_type = Object)]
    pub detail: Value,
}

impl From<AuditEvent> for EventView {
    fn from(e: AuditEvent) -> EventView {
        EventView {
            at: e.at,
            kind: e.kind.as_str().to_string(),
            user_id: e.user_id,
            client_id: e.client_id,
            ip: e.ip,
            detail: serde_json::from_str(&e.detail).unwrap_or(Value::String(e.detail)),
        }
    }
}

/// Filters of the audit list (docs/admin-api.md): every one given must match.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    /// Stored kind names (`login.failure`, `client.created`, ...); any of them.
    pub kinds: Vec<String>,
    /// Events at or after this second.
    pub since: Option<i64>,
}

/// Events newest first, a page at a time; the cursor is the position of the last one.
pub async fn list(
    store: &DynStore,
    filter: EventFilter,
    page: &PageRequest,
) -> Result<Page<EventView>, AdminError> {
    let limit = page.limit()?;
    let before = match page.after()? {
        None => None,
        Some(c) => Some(parse_position(&c)?),
    };
    let mut kinds = Vec::with_capacity(filter.kinds.len());
    for k in &filter.kinds {
        kinds.push(AuditKind::parse(k).ok_or_else(|| AdminError::invalid(format!("unknown kind {k:?}")))?);
    }
    let query = AuditFilter {
        user_id: filter.user_id,
        client_id: filter.client_id,
        kinds,
        since: filter.since,
        limit: limit as i64 + 1,
    };
    let mut events = store.audit_page(&query, before).await?;
    let next_cursor = if events.len() > limit {
        events.truncate(limit);
        events
            .last()
            .map(|((at, id), _)| URL_SAFE_NO_PAD.encode(format!("{at}:{id}")))
    } else {
        None
    };
    Ok(Page {
        items: events.into_iter().map(|(_, e)| EventView::from(e)).collect(),
        next_cursor,
    })
}

fn parse_position(cursor: &str) -> Result<(i64, i64), AdminError> {
    cursor
        .split_once(':')
        .and_then(|(a, i)| Some((a.parse().ok()?, i.parse().ok()?)))
        .ok_or_else(|| AdminError::invalid("cursor is not one this API returned"))
}
