//! docs/security.md N.6: the rules every new password meets (NIST SP 800-63B §3.1.1.2): a
//! length from `password_policy.min_chars` to 1024 characters (the bound on Argon2's input), not
//! the account's own username or email address, and not one of the 10,000 most common passwords
//! (`data/common-passwords.txt`, from the MIT-licensed zxcvbn-ts dictionary; see
//! `data/common-passwords.LICENSE.txt`). No composition rules.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::accounts::password::MAX_PASSWORD_CHARS;
use crate::config::PasswordPolicySettings;

/// The most common passwords, lower-case, read once.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

/// Why a new password is refused; `Display` completes "Your new ..." for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyProblem {
    #[error("password must be at least {0} characters long")]
    TooShort(usize),
    #[error("password must be at most {0} characters long")]
    TooLong(usize),
    #[error("password must not be your username or email address")]
    SameAsName,
    #[error("password is one of the most common passwords, which attackers try first: choose another")]
    Common,
}

impl PolicyProblem {
    /// "Your new password must be ..." for people, in the request's language (`locales/*/email.ftl`).
    pub fn for_people(&self) -> String {
        use crate::i18n::{t, tn};
        match self {
            PolicyProblem::TooShort(n) => tn("password-too-short", n),
            PolicyProblem::TooLong(n) => tn("password-too-long", n),
            PolicyProblem::SameAsName => t("password-same-as-name"),
            PolicyProblem::Common => t("password-common"),
        }
    }
}

/// True when `password` (compared without case) is on the common-passwords list.
pub fn is_common(password: &str) -> bool {
    COMMON.contains(password.trim().to_lowercase().as_str())
}

/// Checks a new password against the policy; `names` are the account's username and email.
pub fn check(settings: &PasswordPolicySettings, password: &str, names: &[&str]) -> Result<(), PolicyProblem> {
    let n = password.chars().count();
    let min = settings
        .min_chars
        .max(crate::accounts::password::MIN_PASSWORD_CHARS);
    if n < min {
        return Err(PolicyProblem::TooShort(min));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(PolicyProblem::TooLong(MAX_PASSWORD_CHARS));
    }
    let folded = password.trim().to_lowercase();
    if names
        .iter()
        .any(|name| !name.trim().is_empty() && name.trim().to_lowercase() == folded)
    {
        return Err(PolicyProblem::SameAsName);
    }
    if is_common(password) {
        return Err(PolicyProblem::Common);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn policy(min_chars: usize) -> PasswordPolicySettings {
        PasswordPolicySettings { min_chars }
    }

    /// N.6: the bundled list is the top 10,000, and the best-known passwords are on it.
    #[test]
    fn common_password_list_is_bundled_and_read_once() {
        assert_eq!(COMMON.len(), 10_000);
        for p in [
            "password",
            "12345678",
            "qwertyuiop",
            "iloveyou",
            "PassWord",
            "trustno1",
        ] {
            assert!(is_common(p), "{p}");
        }
        assert!(!is_common("correct horse battery staple"));
    }

    /// N.6: common passwords are refused whatever their case.
    #[test]
    fn breached_passwords_are_refused() {
        assert_eq!(check(&policy(8), "password", &[]), Err(PolicyProblem::Common));
        assert_eq!(check(&policy(8), "PASSWORD", &[]), Err(PolicyProblem::Common));
        assert_eq!(check(&policy(8), "1qaz2wsx", &[]), Err(PolicyProblem::Common));
        assert_eq!(check(&policy(8), "correct horse battery staple", &[]), Ok(()));
    }

    /// N.6: the minimum length is a setting (never below 8), the maximum bounds Argon2's input.
    #[test]
    fn password_length_has_a_configured_minimum_and_a_maximum() {
        assert_eq!(check(&policy(12), "tangerine-71", &[]), Ok(()));
        assert_eq!(
            check(&policy(12), "tangerine71", &[]),
            Err(PolicyProblem::TooShort(12))
        );
        assert_eq!(check(&policy(8), "ñandú-9x", &[]), Ok(()));
        let long = "x".repeat(MAX_PASSWORD_CHARS + 1);
        assert_eq!(
            check(&policy(8), &long, &[]),
            Err(PolicyProblem::TooLong(MAX_PASSWORD_CHARS))
        );
    }

    /// N.6: the password may not be the username or the email address.
    #[test]
    fn password_equal_to_username_or_email_is_refused() {
        let names = ["Bartholomew", "bart@example.com"];
        assert_eq!(
            check(&policy(8), "bartholomew", &names),
            Err(PolicyProblem::SameAsName)
        );
        assert_eq!(
            check(&policy(8), "Bart@Example.com", &names),
            Err(PolicyProblem::SameAsName)
        );
        assert_eq!(check(&policy(8), "bartholomew-the-great", &names), Ok(()));
        assert_eq!(
            PolicyProblem::SameAsName.to_string(),
            "password must not be your username or email address"
        );
    }
}
