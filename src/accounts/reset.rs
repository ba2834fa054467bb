//! docs/security.md N.1-N.4: self-service password reset. The request always gets the same
//! answer (no account enumeration); a mail with a signed, single-use link that expires and dies
//! when the password changes goes to the account's address, within the mail limits; choosing a
//! new password through it ends every session and token family of the user.

use askama::Template;
use serde_json::json;

use crate::accounts::password_policy::{self, PolicyProblem};
use crate::accounts::users::{self, AccountError};
use crate::accounts::{Audit, ratelimit};
use crate::context::Context;
use crate::mail::limits;
use crate::mail::links::{self, LinkProblem, Purpose};
use crate::mail::templates::ResetMail;
use crate::oauth::OAuthError;
use crate::storage::{AuditKind, StorageError, User};

/// The account a "forgot password" form names: by username, else by email address when exactly
/// one account has it.
async fn find(ctx: &Context, login: &str) -> Result<Option<User>, StorageError> {
    let login = login.trim();
    if login.is_empty() || login.len() > 320 {
        return Ok(None);
    }
    if let Some(user) = ctx.store.user_by_username(login).await? {
        return Ok(Some(user));
    }
    if !login.contains('@') {
        return Ok(None);
    }
    let mut found = ctx.store.users_by_email(login).await?;
    Ok(if found.len() == 1 { found.pop() } else { None })
}

/// docs/security.md N.1, N.5: a reset asked for `login` from `ip`. Whatever happens the caller
/// shows the same page: a mail goes out only for an enabled account with an address, within the
/// per-address and per-recipient limits.
pub async fn request(ctx: &Context, login: &str, ip: &str) -> Result<(), OAuthError> {
    if !ctx.mail.is_enabled() {
        return Ok(());
    }
    let ip_ok = limits::request_from(ctx, ip).await?;
    let Some(user) = find(ctx, login).await?.filter(|u| !u.disabled) else {
        return Ok(());
    };
    let Some(address) = user.email.clone().filter(|a| !a.is_empty()) else {
        return Ok(());
    };
    if !ip_ok || !limits::mail_to(ctx, &address).await? {
        let limit = if ip_ok { "recipient" } else { "address" };
        Audit::new(AuditKind::MailLimited)
            .user(Some(&user.id))
            .ip(Some(ip))
            .detail(json!({ "limit": limit, "what": "reset" }))
            .write(&ctx.store, ctx.now())
            .await;
        return Ok(());
    }
    // In the language of the request that asked (docs/guides/languages.md).
    let subject = crate::i18n::t("mail-reset-subject");
    links::send(
        ctx,
        Purpose::Reset,
        &user,
        address,
        "/reset",
        &subject,
        "reset",
        |m| ResetMail { m }.render(),
    )
    .await?;
    Audit::new(AuditKind::PasswordResetRequested)
        .user(Some(&user.id))
        .ip(Some(ip))
        .write(&ctx.store, ctx.now())
        .await;
    Ok(())
}

/// The new password as typed twice on the reset form.
pub struct NewPassword {
    pub password: String,
    pub confirm: String,
}

/// What became of a reset.
#[derive(Debug)]
pub enum ResetOutcome {
    /// The password is set; every session and token family of the user ended.
    Done,
    /// The form is shown again with this message for the person.
    Refused(String),
    /// The link does not work (any more).
    Link(LinkProblem),
}

/// The user a reset link is for, if it works now (the form page; nothing is consumed).
pub async fn user_of_link(ctx: &Context, token: &str) -> Result<Result<User, LinkProblem>, StorageError> {
    links::check(ctx, Purpose::Reset, token).await
}

/// docs/security.md N.2-N.4: sets the password through the link: the link is spent only once
/// the new password meets the policy; then sessions, access tokens and refresh families end.
pub async fn complete(
    ctx: &Context,
    token: &str,
    new: NewPassword,
    ip: &str,
) -> Result<ResetOutcome, AccountError> {
    let user = match links::check(ctx, Purpose::Reset, token).await? {
        Ok(user) => user,
        Err(p) => return Ok(ResetOutcome::Link(p)),
    };
    if new.password != new.confirm {
        return Ok(ResetOutcome::Refused(crate::i18n::t("password-mismatch")));
    }
    let names = [user.username.as_str(), user.email.as_deref().unwrap_or_default()];
    if let Err(p) = password_policy::check(&ctx.password_policy, &new.password, &names) {
        return Ok(ResetOutcome::Refused(refusal(&p)));
    }
    let user = match links::redeem(ctx, Purpose::Reset, token).await? {
        Ok(user) => user,
        Err(p) => return Ok(ResetOutcome::Link(p)),
    };
    users::change_password(&ctx.store, &ctx.hasher, &ctx.clock, &user.id, new.password).await?;
    ctx.store.revoke_sessions(&user.id, ctx.clock.now_ms()).await?;
    ratelimit::reset(&ctx.ephemeral, &user.username).await?;
    let at = ctx.now();
    Audit::new(AuditKind::PasswordReset)
        .user(Some(&user.id))
        .ip(Some(ip))
        .write(&ctx.store, at)
        .await;
    Audit::new(AuditKind::FamilyRevoked)
        .user(Some(&user.id))
        .ip(Some(ip))
        .detail(json!({ "by": "password_reset" }))
        .write(&ctx.store, at)
        .await;
    Ok(ResetOutcome::Done)
}

/// "Your new password must be ..." for people.
pub fn refusal(problem: &PolicyProblem) -> String {
    problem.for_people()
}
