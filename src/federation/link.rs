//! The local user behind an upstream identity (docs/security.md I.4): the identity linked before;
//! else, with `link_by = "email"`, the one local user with the email the provider says it
//! verified; else a new user, created together with its link in one transaction
//! (`provisioning = "auto"`), or a refusal (`existing_only`).

use serde_json::json;

use super::FederationError;
use super::claims::Mapped;
use crate::accounts::Audit;
use crate::config::upstream::{LinkBy, Provisioning, UpstreamSettings};
use crate::context::{Context, RequestMeta};
use crate::random::{random_id, secret_256};
use crate::storage::{AuditKind, IdentityLink, NewUser, StorageError, User};

/// How the local user was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkedBy {
    /// The identity was linked before.
    Existing,
    /// Linked now to the local user with the same (upstream-verified) email.
    Email,
    /// The user was created now, linked.
    Provisioned,
}

/// The local user for `m` at `upstream`, linking or provisioning as configured.
pub async fn resolve(
    ctx: &Context,
    upstream: &UpstreamSettings,
    m: &Mapped,
    meta: &RequestMeta,
) -> Result<(User, LinkedBy), FederationError> {
    if let Some(user) = ctx.store.linked_user(&upstream.id, &m.subject).await? {
        return Ok((user, LinkedBy::Existing));
    }
    let link = IdentityLink {
        user_id: String::new(),
        upstream_id: upstream.id.clone(),
        subject: m.subject.clone(),
        linked_at: ctx.now(),
    };
    if let Some(user) = by_email(ctx, upstream, m).await? {
        let link = IdentityLink {
            user_id: user.id.clone(),
            ..link
        };
        return match ctx.store.link_identity(link).await {
            Ok(()) => {
                audit_link(ctx, &user, upstream, "email", meta).await;
                Ok((user, LinkedBy::Email))
            }
            Err(StorageError::Conflict(_)) => linked_meanwhile(ctx, upstream, m).await,
            Err(e) => Err(e.into()),
        };
    }
    if upstream.provisioning == Provisioning::ExistingOnly {
        return Err(FederationError::UnknownUser);
    }
    provision(ctx, upstream, m, link, meta).await
}

/// docs/security.md I.4: by email only with `link_by = "email"`, only when the provider says the
/// email is verified, and only when exactly one local user has it.
async fn by_email(
    ctx: &Context,
    upstream: &UpstreamSettings,
    m: &Mapped,
) -> Result<Option<User>, FederationError> {
    let Some(email) = m.email.as_deref().filter(|_| upstream.link_by == LinkBy::Email) else {
        return Ok(None);
    };
    if !m.email_verified {
        return Ok(None);
    }
    let mut found = ctx.store.users_by_email(email).await?;
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(FederationError::CannotProvision(
            "several local users have this email".into(),
        )),
    }
}

/// A concurrent sign-in of the same identity linked it first: use its user.
async fn linked_meanwhile(
    ctx: &Context,
    upstream: &UpstreamSettings,
    m: &Mapped,
) -> Result<(User, LinkedBy), FederationError> {
    match ctx.store.linked_user(&upstream.id, &m.subject).await? {
        Some(user) => Ok((user, LinkedBy::Existing)),
        None => Err(FederationError::CannotProvision(
            "the identity could not be linked".into(),
        )),
    }
}

/// The local username of a new user: the mapped username claim, else the email, else
/// `<upstream>-<sub>`; never one that exists (linking by name would hand over that account).
fn username_for(upstream: &UpstreamSettings, m: &Mapped) -> Result<String, FederationError> {
    let name = m
        .username
        .clone()
        .or_else(|| m.email.clone())
        .unwrap_or_else(|| format!("{}-{}", upstream.id, m.subject));
    if name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(FederationError::CannotProvision(
            "the username claim is not usable".into(),
        ));
    }
    Ok(name)
}

async fn provision(
    ctx: &Context,
    upstream: &UpstreamSettings,
    m: &Mapped,
    link: IdentityLink,
    meta: &RequestMeta,
) -> Result<(User, LinkedBy), FederationError> {
    let username = username_for(upstream, m)?;
    if ctx.store.user_by_username(&username).await?.is_some() {
        return Err(FederationError::CannotProvision(format!(
            "a local user named {username} exists and is not linked"
        )));
    }
    // A password nobody knows: the user signs in through the upstream (an administrator may set
    // one with `portcullis user passwd`).
    let password_hash = ctx.hasher.hash(secret_256()).await?;
    let new = NewUser {
        id: random_id(),
        username,
        email: m.email.clone(),
        email_verified: m.email.is_some() && m.email_verified,
        name: m.name.clone(),
        password_hash,
        created_at: ctx.now(),
    };
    let user = match ctx.store.create_linked_user(new, link).await {
        Ok(user) => user,
        Err(StorageError::Conflict(_)) => return linked_meanwhile(ctx, upstream, m).await,
        Err(e) => return Err(e.into()),
    };
    let detail = json!({ "username": user.username, "via": "federation", "upstream": upstream.id });
    Audit::new(AuditKind::UserCreated)
        .user(Some(&user.id))
        .ip(Some(&meta.ip))
        .detail(detail)
        .write(&ctx.store, ctx.now())
        .await;
    audit_link(ctx, &user, upstream, "provisioning", meta).await;
    Ok((user, LinkedBy::Provisioned))
}

async fn audit_link(ctx: &Context, user: &User, upstream: &UpstreamSettings, by: &str, meta: &RequestMeta) {
    Audit::new(AuditKind::IdentityLinked)
        .user(Some(&user.id))
        .ip(Some(&meta.ip))
        .detail(json!({ "upstream": upstream.id, "by": by }))
        .write(&ctx.store, ctx.now())
        .await;
}
