//! docs/security.md N.3, N.7: email verification. A signed, single-use link that expires is
//! mailed on sign-up, on request from the account page, and after an address change
//! ([`send_verification`]); following it sets `email_verified` (the claim follows) if the address
//! is still the one the link was sent to.

use askama::Template;
use serde_json::json;

use crate::accounts::Audit;
use crate::context::Context;
use crate::mail::limits;
use crate::mail::links::{self, LinkProblem, Purpose};
use crate::mail::templates::VerifyMail;
use crate::oauth::OAuthError;
use crate::storage::{AuditKind, StorageError, User};

/// What [`send_verification`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// A link is on its way.
    Sent,
    /// Nothing to verify (no address, already verified), or mail is off.
    NotNeeded,
    /// Over a mail limit (docs/security.md N.5): no mail.
    Limited,
}

/// Why a verification mail is sent, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Signup,
    AccountPage,
    EmailChange,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Signup => "signup",
            Via::AccountPage => "account",
            Via::EmailChange => "email_change",
        }
    }
}

/// Mails `user` a link that verifies their current address (after an address change, say).
/// Limited per recipient address.
pub async fn send_verification(ctx: &Context, user: &User) -> Result<Sent, OAuthError> {
    send(ctx, user, Via::EmailChange, None).await
}

/// Like [`send_verification`] for a request from `ip` (sign-up, the account page): the request
/// also counts against the address's mail limit.
pub async fn send_from(ctx: &Context, user: &User, via: Via, ip: &str) -> Result<Sent, OAuthError> {
    send(ctx, user, via, Some(ip)).await
}

async fn send(ctx: &Context, user: &User, via: Via, ip: Option<&str>) -> Result<Sent, OAuthError> {
    let Some(address) = user.email.clone().filter(|a| !a.is_empty()) else {
        return Ok(Sent::NotNeeded);
    };
    if user.email_verified || !ctx.mail.is_enabled() {
        return Ok(Sent::NotNeeded);
    }
    let ip_ok = match ip {
        Some(ip) => limits::request_from(ctx, ip).await?,
        None => true,
    };
    if !ip_ok || !limits::mail_to(ctx, &address).await? {
        let limit = if ip_ok { "recipient" } else { "address" };
        Audit::new(AuditKind::MailLimited)
            .user(Some(&user.id))
            .ip(ip)
            .detail(json!({ "limit": limit, "what": "verify" }))
            .write(&ctx.store, ctx.now())
            .await;
        return Ok(Sent::Limited);
    }
    // In the language of the request that caused it (docs/guides/languages.md).
    let subject = crate::i18n::t("mail-verify-subject");
    links::send(
        ctx,
        Purpose::Verify,
        user,
        address,
        "/email/verify",
        &subject,
        "verify",
        |m| VerifyMail { m }.render(),
    )
    .await?;
    Audit::new(AuditKind::VerificationSent)
        .user(Some(&user.id))
        .ip(ip)
        .detail(json!({ "by": via.as_str() }))
        .write(&ctx.store, ctx.now())
        .await;
    Ok(Sent::Sent)
}

/// docs/security.md N.3: follows a verification link: the address it was sent to is verified,
/// once; the user, or why the link does not work.
pub async fn confirm(
    ctx: &Context,
    token: &str,
    ip: &str,
) -> Result<Result<User, LinkProblem>, StorageError> {
    let user = match links::redeem(ctx, Purpose::Verify, token).await? {
        Ok(user) => user,
        Err(p) => return Ok(Err(p)),
    };
    let email = user.email.clone().unwrap_or_default();
    if !ctx.store.set_email_verified(&user.id, &email, ctx.now()).await? {
        return Ok(Err(LinkProblem::Used));
    }
    Audit::new(AuditKind::EmailVerified)
        .user(Some(&user.id))
        .ip(Some(ip))
        .write(&ctx.store, ctx.now())
        .await;
    Ok(Ok(user))
}
