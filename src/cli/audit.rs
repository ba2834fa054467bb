//! `portcullis audit`: the audit trail, newest first, filtered by user, client, kind and time
//! (docs/operations.md, "Audit trail"). A table for people, or `--json` for scripts.

use std::collections::HashMap;

use clap::Args;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::output::{self, fmt_time};
use super::{CliError, open_store};
use crate::clock::Clock;
use crate::config::Settings;
use crate::storage::{AuditEvent, AuditFilter, AuditKind, DynStore};

/// The most events one listing prints.
const MAX_LIMIT: i64 = 100_000;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only events about this user: a username or a user id.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Only events about this client_id.
    #[arg(long, value_name = "CLIENT_ID")]
    pub client: Option<String>,
    /// Only events of this kind (login.failure, family.revoked, ...); repeatable.
    #[arg(long = "kind", value_name = "KIND", value_parser = parse_kind)]
    pub kinds: Vec<AuditKind>,
    /// Only events since this time: RFC 3339 (2026-11-27T08:00:00Z) or a duration ago (90s,
    /// 30m, 24h, 7d, 2w).
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    pub since: Option<Since>,
    /// At most this many events, newest first.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=MAX_LIMIT))]
    pub limit: i64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The start of a listing: a moment, or a duration before now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    At(i64),
    Ago(i64),
}

impl Since {
    /// The moment, in seconds, given `now`.
    pub fn at(self, now: i64) -> i64 {
        match self {
            Since::At(t) => t,
            Since::Ago(secs) => now.saturating_sub(secs),
        }
    }
}

/// An audit kind by its stored name.
pub fn parse_kind(s: &str) -> Result<AuditKind, String> {
    AuditKind::parse(s).ok_or_else(|| {
        let known: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("unknown kind {s:?}; known kinds: {}", known.join(", "))
    })
}

/// RFC 3339 (`2026-11-27T08:00:00Z`, `2026-11-27T09:00:00+01:00`) or a whole number with a unit
/// (`s`, `m`, `h`, `d`, `w`) meaning that long ago.
pub fn parse_since(s: &str) -> Result<Since, String> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(Since::At(t.unix_timestamp()));
    }
    let bad = || format!("{s:?} is neither an RFC 3339 time (2026-11-27T08:00:00Z) nor a duration (24h, 7d)");
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = s.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_secs).map(Since::Ago).ok_or_else(bad)
}

/// An event as `--json` prints it: the time in RFC 3339 and seconds, the username when known,
/// the detail as an object.
#[derive(Debug, Serialize)]
struct EventView<'a> {
    at: String,
    at_unix: i64,
    kind: &'static str,
    user_id: Option<&'a str>,
    username: Option<&'a str>,
    client_id: Option<&'a str>,
    ip: Option<&'a str>,
    detail: Value,
}

pub async fn run(settings: Settings, args: AuditArgs) -> Result<(), CliError> {
    let store = open_store(&settings).await?;
    let now = Clock::system().now();
    let user_id = match &args.user {
        Some(u) => Some(user_id_of(&store, u).await?),
        None => None,
    };
    let filter = AuditFilter {
        user_id,
        client_id: args.client.clone(),
        kinds: args.kinds.clone(),
        since: args.since.map(|s| s.at(now)),
        limit: args.limit,
    };
    let events = store.audit_events(&filter).await?;
    let names = usernames(&store, &events).await?;
    if args.json {
        let views: Vec<EventView<'_>> = events.iter().map(|e| view(e, &names)).collect();
        return output::json(&views);
    }
    let rows: Vec<Vec<String>> = events.iter().map(|e| row(e, &names)).collect();
    output::print_table(
        &["TIME", "KIND", "USER", "CLIENT", "IP", "DETAIL"],
        &rows,
        "no audit events",
    )
}

/// A username's id, or the argument itself when no user has that name (a user id, perhaps of a
/// user since removed).
async fn user_id_of(store: &DynStore, user: &str) -> Result<String, CliError> {
    Ok(store
        .user_by_username(user)
        .await?
        .map_or_else(|| user.to_string(), |u| u.id))
}

/// The usernames of the users the events name, each looked up once.
async fn usernames(store: &DynStore, events: &[AuditEvent]) -> Result<HashMap<String, String>, CliError> {
    let mut names = HashMap::new();
    for id in events.iter().filter_map(|e| e.user_id.as_deref()) {
        if !names.contains_key(id) {
            if let Some(user) = store.user_by_id(id).await? {
                names.insert(id.to_string(), user.username);
            }
        }
    }
    Ok(names)
}

fn view<'a>(e: &'a AuditEvent, names: &'a HashMap<String, String>) -> EventView<'a> {
    EventView {
        at: crate::timefmt::rfc3339(e.at),
        at_unix: e.at,
        kind: e.kind.as_str(),
        user_id: e.user_id.as_deref(),
        username: e
            .user_id
            .as_ref()
            .and_then(|id| names.get(id))
            .map(String::as_str),
        client_id: e.client_id.as_deref(),
        ip: e.ip.as_deref(),
        detail: serde_json::from_str(&e.detail).unwrap_or(Value::Null),
    }
}

fn row(e: &AuditEvent, names: &HashMap<String, String>) -> Vec<String> {
    let dash = || "-".to_string();
    let user = e
        .user_id
        .as_ref()
        .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()));
    vec![
        fmt_time(e.at),
        e.kind.as_str().to_string(),
        user.unwrap_or_else(dash),
        e.client_id.clone().unwrap_or_else(dash),
        e.ip.clone().unwrap_or_else(dash),
        detail_text(&e.detail),
    ]
}

/// A detail object as `key=value` pairs (`reason=wrong_password`), or the raw text if it is not one.
pub fn detail_text(detail: &str) -> String {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(detail) else {
        return detail.to_string();
    };
    map.iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_rfc3339_or_a_duration() {
        assert_eq!(parse_since("2026-11-23T14:05:59Z"), Ok(Since::At(1_795_442_759)));
        assert_eq!(
            parse_since("2026-11-23T15:05:59+01:00"),
            Ok(Since::At(1_795_442_759))
        );
        assert_eq!(parse_since("24h"), Ok(Since::Ago(86_400)));
        assert_eq!(parse_since("90s"), Ok(Since::Ago(90)));
        assert_eq!(
            parse_since("7d").map(|s| s.at(1_000_000)),
            Ok(1_000_000 - 604_800)
        );
        for bad in ["", "h", "24", "24y", "-1h", "yesterday", "2026-11-23"] {
            assert!(parse_since(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kinds_are_their_stored_names() {
        assert_eq!(parse_kind("login.failure"), Ok(AuditKind::LoginFailure));
        let err = parse_kind("login.oops").unwrap_err();
        assert!(err.contains("login.success"), "{err}");
    }

    #[test]
    fn details_read_as_pairs() {
        assert_eq!(
            detail_text(r#"{"reason":"locked","secs":900}"#),
            "reason=locked secs=900"
        );
        assert_eq!(detail_text("{}"), "");
        assert_eq!(detail_text("not json"), "not json");
    }
}
