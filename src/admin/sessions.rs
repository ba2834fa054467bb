//! Sessions (refresh-token families, one per login of a user on a client and device) and
//! remembered consents, as an administrator lists and ends them (docs/admin-api.md).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{Actor, record};
use super::{AdminError, Page, PageRequest};
use crate::storage::{AuditKind, Consent, DynStore, TokenFamily};

/// A session as listed: no token, only what identifies the login and device.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    pub user_id: Option<String>,
    pub client_id: String,
    pub scope: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub absolute_expires_at: i64,
    /// `offline` (offline_access) or `session` (ends with the login session).
    pub lifetime: String,
    pub device_name: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// RFC 8707: the APIs its tokens are for.
    pub resources: Vec<String>,
}

impl From<TokenFamily> for SessionView {
    fn from(f: TokenFamily) -> SessionView {
        SessionView {
            id: f.id,
            user_id: f.user_id,
            client_id: f.client_id,
            scope: f.scope.to_string(),
            created_at: f.created_at,
            last_used_at: f.last_used_at,
            absolute_expires_at: f.absolute_expires_at,
            lifetime: match f.lifetime {
                crate::storage::FamilyLifetime::Offline => "offline".into(),
                crate::storage::FamilyLifetime::Session => "session".into(),
            },
            device_name: f.device_name,
            user_agent: f.user_agent,
            ip: f.ip,
            resources: f.resources,
        }
    }
}

/// The live sessions of a user and/or a client (at least one is required), by id, read from the
/// store a page at a time.
pub async fn list(
    store: &DynStore,
    user_id: Option<&str>,
    client_id: Option<&str>,
    page: &PageRequest,
    now: i64,
) -> Result<Page<SessionView>, AdminError> {
    if user_id.is_none() && client_id.is_none() {
        return Err(AdminError::invalid("give user_id or client_id (or both)"));
    }
    let after = page.after()?;
    let families = store
        .families_page(user_id, client_id, now, after.as_deref(), page.fetch()?)
        .await?;
    Ok(page.page_of(families, |f| f.id.clone())?.map(SessionView::from))
}

/// Revokes one session: its refresh tokens stop working at once.
pub async fn revoke(store: &DynStore, actor: &Actor, id: &str, now: i64) -> Result<(), AdminError> {
    let family = store
        .family_by_id(id)
        .await?
        .filter(|f| f.revoked_at.is_none())
        .ok_or_else(|| AdminError::not_found(format!("no live session with id {id}")))?;
    store.revoke_family(id, now).await?;
    let detail = json!({ "by": "admin", "family": id });
    let (user, client) = (family.user_id.as_deref(), Some(family.client_id.as_str()));
    record(store, actor, AuditKind::FamilyRevoked, user, client, detail).await;
    Ok(())
}

/// A remembered consent as listed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsentView {
    pub user_id: String,
    pub client_id: String,
    pub scope: String,
    pub granted_at: i64,
}

impl From<Consent> for ConsentView {
    fn from(c: Consent) -> ConsentView {
        ConsentView {
            user_id: c.user_id,
            client_id: c.client_id,
            scope: c.scope.to_string(),
            granted_at: c.granted_at,
        }
    }
}

/// A user's consents, by client_id.
pub async fn consents(
    store: &DynStore,
    user_id: &str,
    page: &PageRequest,
) -> Result<Page<ConsentView>, AdminError> {
    page.limit()?;
    let all = store.consents_for_user(user_id).await?;
    Ok(page
        .paginate(all, |c| c.client_id.clone())?
        .map(ConsentView::from))
}

/// docs/security.md D.23: withdraws the user's consent for the client and revokes the user's
/// sessions of that client, so the app can neither refresh nor skip the consent page.
pub async fn revoke_consent(
    store: &DynStore,
    actor: &Actor,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> Result<(), AdminError> {
    if !store.delete_consent(user_id, client_id).await? {
        return Err(AdminError::not_found(format!(
            "user {user_id} has no consent for client {client_id}"
        )));
    }
    let mut families = 0u64;
    for f in store.active_families(Some(user_id), Some(client_id), now).await? {
        if store.revoke_family(&f.id, now).await? {
            families += 1;
        }
    }
    let detail = json!({ "by": "admin", "families_revoked": families });
    record(
        store,
        actor,
        AuditKind::ConsentWithdrawn,
        Some(user_id),
        Some(client_id),
        detail,
    )
    .await;
    Ok(())
}

/// Signs a user out everywhere: every login session and session of theirs ends.
/// Returns how many sessions (token families) were revoked.
pub async fn logout_user(
    store: &DynStore,
    actor: &Actor,
    user: &crate::storage::User,
) -> Result<u64, AdminError> {
    let clock = crate::clock::Clock::system();
    let ended = crate::accounts::users::logout_everywhere(store, &clock, &user.id)
        .await
        .map_err(|e| match e {
            crate::accounts::users::AccountError::Storage(s) => s.into(),
            e => AdminError::internal(e),
        })?;
    let count = json!({ "families_revoked": ended });
    record(
        store,
        actor,
        AuditKind::UserLoggedOut,
        Some(&user.id),
        None,
        count,
    )
    .await;
    let by = json!({ "by": "admin", "count": ended });
    record(store, actor, AuditKind::FamilyRevoked, Some(&user.id), None, by).await;
    Ok(ended)
}
