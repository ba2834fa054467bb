//! The user's own name and email (the account page's "Profile" form; docs/security.md O.5),
//! without HTTP. A changed email is no longer verified (`email_verified` false in the `email`
//! claims until it is verified again, and a verification link is mailed to the new address when
//! mail is configured: docs/guides/email.md); the change is audited. [`change`] is the one entry point.

use serde_json::json;

use crate::accounts::Audit;
use crate::accounts::verify::{self, Via};
use crate::context::Context;
use crate::storage::{AuditKind, StorageError, User, UserProfile};

/// At most this many characters in a name.
const MAX_NAME: usize = 100;
/// RFC 5321 §4.5.3.1.3: a path is at most 256 octets, so an address at most 254.
const MAX_EMAIL: usize = 254;

/// What the user typed.
#[derive(Debug, Clone, Default)]
pub struct ProfileForm {
    pub name: String,
    pub email: String,
}

/// How a change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileOutcome {
    /// Stored; `email_changed`: the email is new and now unverified.
    Changed { email_changed: bool },
    /// Nothing differed from what is stored.
    Unchanged,
    /// Refused: what was wrong.
    Refused(ProfileProblem),
}

/// Why a profile change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileProblem {
    Name,
    Email,
    /// The user was deleted meanwhile.
    Gone,
}

impl ProfileProblem {
    /// A short fixed key (the account page's `?notice=`; nothing typed is echoed).
    pub fn key(self) -> &'static str {
        match self {
            ProfileProblem::Name => "profile-name-invalid",
            ProfileProblem::Email => "profile-email-invalid",
            ProfileProblem::Gone => "profile-gone",
        }
    }

    /// The problem named by [`ProfileProblem::key`], if any.
    pub fn from_key(key: &str) -> Option<ProfileProblem> {
        [ProfileProblem::Name, ProfileProblem::Email, ProfileProblem::Gone]
            .into_iter()
            .find(|p| p.key() == key)
    }

    /// The id of its message (`locales/*/account.ftl`).
    pub fn message(self) -> &'static str {
        match self {
            ProfileProblem::Name => "profile-error-name",
            ProfileProblem::Email => "profile-error-email",
            ProfileProblem::Gone => "profile-error-gone",
        }
    }
}

/// Checks `form` and stores it for `user`, from `ip`; an empty field clears it.
pub async fn change(
    ctx: &Context,
    user: &User,
    ip: &str,
    form: ProfileForm,
) -> Result<ProfileOutcome, StorageError> {
    let (name, email) = match (check_name(&form.name), check_email(&form.email)) {
        (Ok(n), Ok(e)) => (n, e),
        (Err(m), _) | (_, Err(m)) => return Ok(ProfileOutcome::Refused(m)),
    };
    let email_changed = !same_email(email.as_deref(), user.email.as_deref());
    if name == user.name && !email_changed {
        return Ok(ProfileOutcome::Unchanged);
    }
    let profile = UserProfile {
        email_verified: user.email_verified && !email_changed,
        name: name.clone(),
        email: email.clone(),
    };
    if !ctx.store.set_profile(&user.id, profile, ctx.now()).await? {
        return Ok(ProfileOutcome::Refused(ProfileProblem::Gone));
    }
    let mut changed = Vec::new();
    if name != user.name {
        changed.push("name");
    }
    if email_changed {
        changed.push("email");
    }
    Audit::new(AuditKind::ProfileChanged)
        .user(Some(&user.id))
        .ip(Some(ip))
        .detail(json!({ "changed": changed }))
        .write(&ctx.store, ctx.now())
        .await;
    if email_changed && email.is_some() {
        let updated = User {
            email,
            email_verified: false,
            name,
            ..user.clone()
        };
        // The change stands whether or not the mail can be queued; the account page offers to send
        // the link again.
        if let Err(e) = verify::send_from(ctx, &updated, Via::EmailChange, ip).await {
            tracing::warn!(error = %e, "the verification mail for a changed address was not sent");
        }
    }
    Ok(ProfileOutcome::Changed { email_changed })
}

fn same_email(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

fn check_name(typed: &str) -> Result<Option<String>, ProfileProblem> {
    let name = typed.trim();
    if name.chars().any(char::is_control) || name.chars().count() > MAX_NAME {
        return Err(ProfileProblem::Name);
    }
    Ok((!name.is_empty()).then(|| name.to_string()))
}

/// A plain `local@domain` address: no spaces or control characters, one `@`, a dotted domain.
fn check_email(typed: &str) -> Result<Option<String>, ProfileProblem> {
    const BAD: ProfileProblem = ProfileProblem::Email;
    let email = typed.trim();
    if email.is_empty() {
        return Ok(None);
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(BAD);
    };
    let plain = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    let dotted = domain.split('.').count() >= 2 && domain.split('.').all(|l| !l.is_empty());
    if email.len() > MAX_EMAIL || !plain(local) || !plain(domain) || domain.contains('@') || !dotted {
        return Err(BAD);
    }
    Ok(Some(email.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_plain_addresses_and_empty_clears() {
        assert_eq!(
            check_email(" alice@example.com ").unwrap().as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(check_email("").unwrap(), None);
        for bad in [
            "alice",
            "a@b",
            "a b@example.com",
            "a@@example.com",
            "@example.com",
            "a@example..com",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_short_and_printable() {
        assert_eq!(
            check_name(" Alice Liddell ").unwrap().as_deref(),
            Some("Alice Liddell")
        );
        assert_eq!(check_name("").unwrap(), None);
        assert!(check_name("a\u{7}b").is_err());
        assert!(check_name(&"x".repeat(101)).is_err());
    }

    #[test]
    fn email_comparison_ignores_case() {
        assert!(same_email(Some("A@Example.com"), Some("a@example.com")));
        assert!(!same_email(Some("a@example.com"), None));
    }
}
