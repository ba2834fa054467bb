//! `portcullis user show` and `portcullis user unlink`: a user with the identities linked to them
//! at upstream OpenID providers, and removing one (audited; docs/guides/federation.md).

use serde::Serialize;
use serde_json::json;

use super::output::{self, fmt_time};
use super::user::UserView;
use super::{CliError, audit};
use crate::storage::{AuditKind, DynStore, IdentityLink, User};

/// A user as `user show` prints it.
#[derive(Debug, Serialize)]
struct UserDetail<'a> {
    #[serde(flatten)]
    user: UserView,
    linked_identities: &'a [IdentityLink],
}

pub async fn show(store: &DynStore, user: &User, json: bool) -> Result<(), CliError> {
    let links = store.identity_links_for_user(&user.id).await?;
    if json {
        return output::json(&UserDetail {
            user: UserView::from(user),
            linked_identities: &links,
        });
    }
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let mut lines = vec![
        format!("username:       {}", user.username),
        format!("id:             {}", user.id),
        format!(
            "email:          {} (verified: {})",
            opt(&user.email),
            user.email_verified
        ),
        format!("name:           {}", opt(&user.name)),
        format!(
            "state:          {}",
            if user.disabled { "disabled" } else { "active" }
        ),
        format!("created:        {}", fmt_time(user.created_at)),
    ];
    if links.is_empty() {
        lines.push("linked:         none".into());
    } else {
        let rows: Vec<Vec<String>> = links
            .iter()
            .map(|l| vec![l.upstream_id.clone(), l.subject.clone(), fmt_time(l.linked_at)])
            .collect();
        lines.push(String::new());
        lines.push(output::table(&["UPSTREAM", "SUBJECT", "LINKED"], &rows));
    }
    output::line(lines.join("\n").trim_end())
}

pub async fn unlink(store: &DynStore, user: &User, upstream: &str) -> Result<(), CliError> {
    let removed = store.unlink_identity(&user.id, upstream).await?;
    if removed == 0 {
        return Err(CliError::NotFound(format!(
            "{} has no identity linked at upstream {upstream}",
            user.username
        )));
    }
    let detail = json!({ "upstream": upstream });
    audit(store, AuditKind::IdentityUnlinked, Some(&user.id), None, detail).await;
    output::line(&format!(
        "unlinked {} from upstream {upstream}; the next sign-in there links or provisions again",
        user.username
    ))
}
