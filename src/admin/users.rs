//! Users for `portcullis user ...` and `/admin/api/v1/users`: created, listed, changed, disabled,
//! deleted, always shown without their password hash (docs/security.md M.4).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

use super::audit::{Actor, record};
use super::{AdminError, Page, PageRequest, groups};
use crate::accounts::password::PasswordHasher;
use crate::accounts::password_policy;
use crate::accounts::users::{self, AccountError, AccountState};
use crate::clock::Clock;
use crate::config::PasswordPolicySettings;
use crate::storage::{AuditKind, DynStore, NewUser, User, UserListFilter, UserProfile};

/// A user as shown: never the password hash.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.clone(),
            username: u.username.clone(),
            email: u.email.clone(),
            email_verified: u.email_verified,
            name: u.name.clone(),
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

/// A new user (`user add`'s arguments, the API's JSON body).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// 1 to 64 characters without spaces or control characters.
    pub username: String,
    /// At least the policy's minimum length (docs/security.md).
    pub password: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default)]
    pub name: Option<String>,
    /// Existing groups to put the user in.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// A change to a user: absent members stay as they are; `null` clears `email` or `name`.
/// A new password or `disabled: true` ends the user's sessions and refresh tokens.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default)]
    pub email_verified: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(default)]
    pub password: Option<String>,
}

/// A member that is present, possibly `null`.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A username: 1 to 64 characters, no whitespace or control characters.
pub fn validate_username(username: &str) -> Result<(), AdminError> {
    let n = username.chars().count();
    if n == 0 || n > 64 || username.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AdminError::invalid(
            "username must be 1 to 64 characters without spaces or control characters",
        ));
    }
    Ok(())
}

/// A plausible email address: `local@domain`, no whitespace, at most 254 characters.
pub fn validate_email(email: &str) -> Result<(), AdminError> {
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(AdminError::invalid(format!("{email:?} is not an email address")))
    }
}

/// A display name: at most 256 characters, no control characters.
fn validate_name(name: &str) -> Result<(), AdminError> {
    if name.chars().count() > 256 || name.chars().any(char::is_control) {
        return Err(AdminError::invalid(
            "name must be at most 256 characters without control characters",
        ));
    }
    Ok(())
}

/// How new passwords are hashed and which ones are refused (docs/security.md N).
#[derive(Clone, Copy)]
pub struct Passwords<'a> {
    pub hasher: &'a PasswordHasher,
    pub policy: &'a PasswordPolicySettings,
}

/// The password policy for a user called `username` with `email` (docs/security.md N.5).
fn check_policy(
    policy: &PasswordPolicySettings,
    password: &str,
    username: &str,
    email: Option<&str>,
) -> Result<(), AdminError> {
    password_policy::check(policy, password, &[username, email.unwrap_or_default()])
        .map_err(|p| AdminError::invalid(p.to_string()))
}

/// The checks of a new user that need neither the database nor the hasher.
pub fn check_spec(spec: &UserSpec, policy: &PasswordPolicySettings) -> Result<(), AdminError> {
    validate_username(&spec.username)?;
    if let Some(email) = &spec.email {
        validate_email(email)?;
    }
    if let Some(name) = &spec.name {
        validate_name(name)?;
    }
    check_policy(policy, &spec.password, &spec.username, spec.email.as_deref())
}

/// Creates a user and puts them in `spec.groups`.
pub async fn create(
    store: &DynStore,
    passwords: Passwords<'_>,
    actor: &Actor,
    spec: UserSpec,
    now: i64,
) -> Result<UserView, AdminError> {
    check_spec(&spec, passwords.policy)?;
    groups::require(store, &spec.groups).await?;
    if store.user_by_username(&spec.username).await?.is_some() {
        return Err(AdminError::conflict(format!(
            "a user named {} already exists",
            spec.username
        )));
    }
    let password_hash = passwords
        .hasher
        .hash(spec.password)
        .await
        .map_err(AdminError::internal)?;
    let user = store
        .create_user(NewUser {
            id: crate::random::random_id(),
            username: spec.username,
            email: spec.email,
            email_verified: spec.email_verified,
            name: spec.name,
            password_hash,
            created_at: now,
        })
        .await?;
    let name = json!({ "username": user.username });
    record(store, actor, AuditKind::UserCreated, Some(&user.id), None, name).await;
    for group in &spec.groups {
        groups::add_member(store, actor, group, &user, now).await?;
    }
    Ok(UserView::from(&user))
}

/// Filters of the user list (docs/admin-api.md).
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub disabled: Option<bool>,
    /// Usernames that start with this.
    pub username_prefix: Option<String>,
}

/// Users by username, a page at a time, read from the store a page at a time.
pub async fn list(
    store: &DynStore,
    filter: &UserFilter,
    page: &PageRequest,
) -> Result<Page<UserView>, AdminError> {
    let query = UserListFilter {
        disabled: filter.disabled,
        username_prefix: filter.username_prefix.clone(),
    };
    let after = page.after()?;
    let rows = store.users_page(&query, after.as_deref(), page.fetch()?).await?;
    Ok(page
        .page_of(rows, |u| u.username.clone())?
        .map(|u| UserView::from(&u)))
}

pub async fn by_id(store: &DynStore, id: &str) -> Result<User, AdminError> {
    store
        .user_by_id(id)
        .await?
        .ok_or_else(|| AdminError::not_found(format!("no user with id {id}")))
}

pub async fn by_username(store: &DynStore, username: &str) -> Result<User, AdminError> {
    store
        .user_by_username(username)
        .await?
        .ok_or_else(|| AdminError::not_found(format!("no user named {username}")))
}

fn account_error(e: AccountError) -> AdminError {
    match e {
        AccountError::NoSuchUser => AdminError::not_found("no such user"),
        AccountError::Policy(p) => AdminError::invalid(p),
        AccountError::Storage(s) => s.into(),
        AccountError::Hash(h) => AdminError::internal(h),
    }
}

/// Sets a new password: the user's sessions and refresh tokens end.
pub async fn set_password(
    store: &DynStore,
    passwords: Passwords<'_>,
    actor: &Actor,
    user: &User,
    password: String,
) -> Result<(), AdminError> {
    check_policy(passwords.policy, &password, &user.username, user.email.as_deref())?;
    users::change_password(store, passwords.hasher, &Clock::system(), &user.id, password)
        .await
        .map_err(account_error)?;
    record(
        store,
        actor,
        AuditKind::PasswordSet,
        Some(&user.id),
        None,
        json!({}),
    )
    .await;
    let by = json!({ "by": "password_change" });
    record(store, actor, AuditKind::FamilyRevoked, Some(&user.id), None, by).await;
    Ok(())
}

/// Disables (ending their refresh tokens) or enables a user.
pub async fn set_state(
    store: &DynStore,
    actor: &Actor,
    user: &User,
    state: AccountState,
) -> Result<(), AdminError> {
    users::set_state(store, &Clock::system(), &user.id, state)
        .await
        .map_err(account_error)?;
    let kind = match state {
        AccountState::Disabled => AuditKind::UserDisabled,
        AccountState::Enabled => AuditKind::UserEnabled,
    };
    record(store, actor, kind, Some(&user.id), None, json!({})).await;
    if state == AccountState::Disabled {
        let by = json!({ "by": "admin" });
        record(store, actor, AuditKind::FamilyRevoked, Some(&user.id), None, by).await;
    }
    Ok(())
}

/// Applies `patch` to the user with `id`: every value is checked before anything changes.
pub async fn update(
    store: &DynStore,
    passwords: Passwords<'_>,
    actor: &Actor,
    id: &str,
    patch: UserPatch,
    now: i64,
) -> Result<UserView, AdminError> {
    let user = by_id(store, id).await?;
    if let Some(Some(email)) = &patch.email {
        validate_email(email)?;
    }
    if let Some(Some(name)) = &patch.name {
        validate_name(name)?;
    }
    if let Some(password) = &patch.password {
        let email = match &patch.email {
            Some(e) => e.as_deref(),
            None => user.email.as_deref(),
        };
        check_policy(passwords.policy, password, &user.username, email)?;
    }
    let profile = UserProfile {
        email: patch.email.clone().unwrap_or_else(|| user.email.clone()),
        email_verified: patch.email_verified.unwrap_or(user.email_verified),
        name: patch.name.clone().unwrap_or_else(|| user.name.clone()),
    };
    let current = UserProfile {
        email: user.email.clone(),
        email_verified: user.email_verified,
        name: user.name.clone(),
    };
    if profile != current {
        if !store.set_profile(id, profile, now).await? {
            return Err(AdminError::not_found(format!("no user with id {id}")));
        }
        record(store, actor, AuditKind::UserUpdated, Some(id), None, json!({})).await;
    }
    if let Some(password) = patch.password {
        set_password(store, passwords, actor, &user, password).await?;
    }
    match patch.disabled {
        Some(true) if !user.disabled => set_state(store, actor, &user, AccountState::Disabled).await?,
        Some(false) if user.disabled => set_state(store, actor, &user, AccountState::Enabled).await?,
        _ => {}
    }
    Ok(UserView::from(&by_id(store, id).await?))
}

/// Deletes a user with their consents and tokens (back-channel logouts are queued first).
pub async fn delete(store: &DynStore, actor: &Actor, user: &User) -> Result<(), AdminError> {
    crate::backchannel::user_logged_out(store, &user.id, Clock::system().now()).await?;
    if !store.delete_user(&user.id).await? {
        return Err(AdminError::not_found(format!("no user named {}", user.username)));
    }
    let name = json!({ "username": user.username });
    record(store, actor, AuditKind::UserRemoved, Some(&user.id), None, name).await;
    Ok(())
}
