//! Groups and their local members (docs/clients.md, "Groups") for `portcullis group ...` and
//! `/admin/api/v1/groups`.

use serde_json::json;

use super::audit::{Actor, record};
use super::{AdminError, Page, PageRequest};
use crate::storage::{AuditKind, DynStore, Group, GroupMember, LOCAL_GROUP_SOURCE, StorageError, User};

/// Creates a group (a valid, unused name).
pub async fn create(store: &DynStore, actor: &Actor, name: &str, now: i64) -> Result<Group, AdminError> {
    crate::groups::validate_name(name).map_err(AdminError::invalid)?;
    store.create_group(name, now).await.map_err(|e| match e {
        StorageError::Conflict(_) => AdminError::conflict(format!("a group named {name} already exists")),
        e => e.into(),
    })?;
    record(
        store,
        actor,
        AuditKind::GroupCreated,
        None,
        None,
        json!({ "group": name }),
    )
    .await;
    Ok(Group {
        name: name.to_string(),
        created_at: now,
        members: 0,
    })
}

/// Every group, by name.
pub async fn all(store: &DynStore) -> Result<Vec<Group>, AdminError> {
    Ok(store.list_groups().await?)
}

/// Groups by name, a page at a time.
pub async fn list(store: &DynStore, page: &PageRequest) -> Result<Page<Group>, AdminError> {
    page.paginate(all(store).await?, |g| g.name.clone())
}

pub async fn get(store: &DynStore, name: &str) -> Result<Group, AdminError> {
    all(store)
        .await?
        .into_iter()
        .find(|g| g.name == name)
        .ok_or_else(|| no_group(name))
}

/// Deletes a group and every membership of it.
pub async fn delete(store: &DynStore, actor: &Actor, name: &str) -> Result<(), AdminError> {
    if !store.delete_group(name).await? {
        return Err(no_group(name));
    }
    record(
        store,
        actor,
        AuditKind::GroupRemoved,
        None,
        None,
        json!({ "group": name }),
    )
    .await;
    Ok(())
}

/// Every member of an existing group (any source), by username.
pub async fn members(store: &DynStore, name: &str) -> Result<Vec<GroupMember>, AdminError> {
    if !store.group_exists(name).await? {
        return Err(no_group(name));
    }
    Ok(store.group_members(name).await?)
}

/// Puts `user` in the existing group `name` (local membership), audited.
pub async fn add_member(
    store: &DynStore,
    actor: &Actor,
    name: &str,
    user: &User,
    now: i64,
) -> Result<(), AdminError> {
    if !store
        .add_group_member(name, &user.id, LOCAL_GROUP_SOURCE, now)
        .await?
    {
        return Err(no_group(name));
    }
    let detail = json!({ "group": name, "source": LOCAL_GROUP_SOURCE });
    record(
        store,
        actor,
        AuditKind::GroupMemberAdded,
        Some(&user.id),
        None,
        detail,
    )
    .await;
    Ok(())
}

/// Takes `user` out of group `name` (the local membership), audited.
pub async fn remove_member(
    store: &DynStore,
    actor: &Actor,
    name: &str,
    user: &User,
) -> Result<(), AdminError> {
    if !store
        .remove_group_member(name, &user.id, LOCAL_GROUP_SOURCE)
        .await?
    {
        return Err(AdminError::not_found(format!(
            "{} is not a local member of {name}",
            user.username
        )));
    }
    let detail = json!({ "group": name, "source": LOCAL_GROUP_SOURCE });
    record(
        store,
        actor,
        AuditKind::GroupMemberRemoved,
        Some(&user.id),
        None,
        detail,
    )
    .await;
    Ok(())
}

/// Fails unless every group in `names` exists (checked before a user is created with them).
pub async fn require(store: &DynStore, names: &[String]) -> Result<(), AdminError> {
    for name in names {
        if !store.group_exists(name).await? {
            return Err(no_group(name));
        }
    }
    Ok(())
}

fn no_group(name: &str) -> AdminError {
    AdminError::not_found(format!(
        "no group named {name} (create it with `portcullis group add {name}`)"
    ))
}
