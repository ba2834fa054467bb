//! docs/security.md N.7: self-service sign-up, off unless `[signup] enabled` and offered only by
//! clients made with `--allow-signup`. A username, an address and a password that meets the
//! policy; the account starts with its address not verified, and a verification link is mailed.
//! The person is then signed in and the authorization request goes on (docs/guides/email.md).

use crate::accounts::Audit;
use crate::accounts::password_policy;
use crate::accounts::users::AccountError;
use crate::accounts::verify::{self, Via};
use crate::context::Context;
use crate::i18n::t;
use crate::storage::{AuditKind, Client, NewUser, StorageError, User};

/// Whether `client`'s login page offers "Create an account".
pub async fn offered(ctx: &Context, client: Option<&Client>) -> Result<bool, StorageError> {
    match client {
        Some(c) if ctx.signup.enabled && c.password_login => {
            ctx.store.client_allows_signup(&c.client_id).await
        }
        _ => Ok(false),
    }
}

/// The sign-up form's fields.
#[derive(Debug, Clone, Default)]
pub struct SignupForm {
    pub username: String,
    pub email: String,
    pub password: String,
    pub confirm: String,
}

/// What became of a sign-up.
#[derive(Debug)]
pub enum SignupOutcome {
    Created(User),
    /// The form comes back with this message about input `field`.
    Refused {
        field: &'static str,
        message: String,
    },
}

fn refused(field: &'static str, message: impl Into<String>) -> SignupOutcome {
    SignupOutcome::Refused {
        field,
        message: message.into(),
    }
}

/// What is wrong with the typed username or address, if anything.
fn check_names(form: &SignupForm) -> Option<SignupOutcome> {
    let u = &form.username;
    let n = u.chars().count();
    if n == 0 || n > 64 || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some(refused("username", t("signup-bad-username")));
    }
    let e = &form.email;
    let plausible = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(e.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.contains('@'));
    if !plausible {
        return Some(refused("email", t("profile-error-email")));
    }
    None
}

/// docs/security.md N.6-N.7: makes the account (address not verified) and mails its
/// verification link from `ip`.
pub async fn create(
    ctx: &Context,
    form: SignupForm,
    client_id: &str,
    ip: &str,
) -> Result<SignupOutcome, AccountError> {
    if let Some(problem) = check_names(&form) {
        return Ok(problem);
    }
    if form.password != form.confirm {
        return Ok(refused("password", t("password-mismatch")));
    }
    let names = [form.username.as_str(), form.email.as_str()];
    if let Err(p) = password_policy::check(&ctx.password_policy, &form.password, &names) {
        return Ok(refused("password", p.for_people()));
    }
    if ctx.store.user_by_username(&form.username).await?.is_some() {
        return Ok(refused("username", t("signup-username-taken")));
    }
    let password_hash = ctx.hasher.hash(form.password).await?;
    let new = NewUser {
        id: crate::random::random_id(),
        username: form.username,
        email: Some(form.email),
        email_verified: false,
        name: None,
        password_hash,
        created_at: ctx.now(),
    };
    let user = match ctx.store.create_user(new).await {
        Ok(user) => user,
        Err(StorageError::Conflict(_)) => {
            return Ok(refused("username", t("signup-username-taken")));
        }
        Err(e) => return Err(e.into()),
    };
    Audit::new(AuditKind::SignedUp)
        .user(Some(&user.id))
        .client(Some(client_id))
        .ip(Some(ip))
        .write(&ctx.store, ctx.now())
        .await;
    if let Err(e) = verify::send_from(ctx, &user, Via::Signup, ip).await {
        // The account exists; the person can ask for the link again from the account page.
        tracing::warn!(error = %e, "verification mail after sign-up not sent");
    }
    Ok(SignupOutcome::Created(user))
}
