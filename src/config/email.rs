//! `[email]`, `[signup]` and `[password_policy]`: mail to people, self-service sign-up and the
//! password rules (docs/configuration.md, "Email"; docs/guides/email.md; docs/security.md N).

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain SMTP: only for a relay on the same host or a test receiver.
    None,
    /// RFC 3207 STARTTLS, required (a server that does not offer it is refused). Port 587.
    #[default]
    Starttls,
    /// Implicit TLS from the first byte (RFC 8314 §3.3). Port 465.
    Tls,
}

/// `[email]`: how mail reaches people (password reset, email verification).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailSettings {
    /// Off: no mail is sent, the login page offers no "Forgot password?" and sign-up does not
    /// verify addresses.
    pub enabled: bool,
    /// The SMTP server (a relay or a provider's submission host).
    pub smtp_host: String,
    /// 587 for STARTTLS, 465 for TLS, 25 for a local relay.
    pub smtp_port: u16,
    /// `none`, `starttls` (default) or `tls`.
    pub tls: TlsMode,
    /// SMTP AUTH user; none: no authentication.
    pub username: Option<String>,
    /// SMTP AUTH password (`PORTCULLIS_EMAIL__PASSWORD`).
    #[serde(serialize_with = "super::ser_opt_secret")]
    pub password: Option<SecretString>,
    /// The `From:` address, e.g. `Portcullis <no-reply@example.com>`.
    pub from: String,
    /// How long a link in a mail works. Short: a mailbox is read by more than its owner (backups,
    /// forwarding); 30 minutes is enough to read a mail and act on it.
    pub link_ttl_secs: u64,
    /// How long sending one mail may take before it is given up (it runs off the request path).
    pub timeout_secs: u64,
    /// Mails to one address within `window_secs`; more are not sent (the page is the same).
    pub per_recipient: u64,
    /// Mails asked for from one client address (an IPv6 /64) within `window_secs`.
    pub per_ip: u64,
    /// The counting window of `per_recipient` and `per_ip`.
    pub window_secs: u64,
}

impl Default for EmailSettings {
    fn default() -> Self {
        EmailSettings {
            enabled: false,
            smtp_host: "localhost".into(),
            smtp_port: 587,
            tls: TlsMode::Starttls,
            username: None,
            password: None,
            from: String::new(),
            link_ttl_secs: 30 * 60,
            timeout_secs: 30,
            per_recipient: 3,
            per_ip: 20,
            window_secs: 3600,
        }
    }
}

impl EmailSettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.enabled {
            return Ok(());
        }
        let invalid = |m: &str| Err(ConfigError::Invalid(m.into()));
        if self.smtp_host.trim().is_empty() {
            return invalid("email.smtp_host must be set when email.enabled");
        }
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return invalid(
                "email.from must be a mail address such as \"Portcullis <no-reply@example.com>\"",
            );
        }
        if !(60..=86_400).contains(&self.link_ttl_secs) {
            return invalid("email.link_ttl_secs must be 60..=86400");
        }
        if !(1..=300).contains(&self.timeout_secs) {
            return invalid("email.timeout_secs must be 1..=300");
        }
        if self.per_recipient == 0 || self.per_ip == 0 || self.window_secs == 0 {
            return invalid("email.per_recipient, email.per_ip and email.window_secs must be positive");
        }
        if self.username.is_some() != self.password.is_some() {
            return invalid("email.username and email.password go together");
        }
        Ok(())
    }
}

/// `[signup]`: people creating their own account (docs/guides/email.md, "Sign-up").
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignupSettings {
    /// Off by default: accounts are made by administrators. On: the login page of a client made
    /// with `--allow-signup` offers "Create an account".
    pub enabled: bool,
}

/// `[password_policy]`: NIST SP 800-63B §3.1.1.2 rules for every new password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicySettings {
    /// Shortest password, in characters (NIST: at least 8).
    pub min_chars: usize,
}

impl Default for PasswordPolicySettings {
    fn default() -> Self {
        PasswordPolicySettings { min_chars: 8 }
    }
}

impl PasswordPolicySettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(8..=128).contains(&self.min_chars) {
            return Err(ConfigError::Invalid(
                "password_policy.min_chars must be 8..=128 (NIST SP 800-63B §3.1.1.2)".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn enabled() -> EmailSettings {
        EmailSettings {
            enabled: true,
            smtp_host: "smtp.example.com".into(),
            from: "Portcullis <no-reply@example.com>".into(),
            ..EmailSettings::default()
        }
    }

    /// docs/configuration.md, "What validation refuses": mail settings are checked when enabled.
    #[test]
    fn email_settings_are_validated_when_enabled() {
        assert!(
            EmailSettings::default().validate().is_ok(),
            "off: nothing to check"
        );
        assert!(enabled().validate().is_ok());
        let bad: [fn(&mut EmailSettings); 7] = [
            |s| s.smtp_host = " ".into(),
            |s| s.from = "not an address".into(),
            |s| s.link_ttl_secs = 59,
            |s| s.timeout_secs = 0,
            |s| s.per_recipient = 0,
            |s| s.window_secs = 0,
            |s| s.username = Some("portcullis".into()),
        ];
        for change in bad {
            let mut s = enabled();
            change(&mut s);
            assert!(s.validate().is_err(), "{s:?}");
        }
        assert!(PasswordPolicySettings { min_chars: 7 }.validate().is_err());
        assert!(PasswordPolicySettings { min_chars: 12 }.validate().is_ok());
    }

    /// The SMTP password is a secret: `config show` masks it.
    #[test]
    fn smtp_password_is_masked() {
        let mut settings = crate::config::Settings::default();
        settings.email.password = Some(SecretString::from("hunter2-smtp"));
        let shown = settings.to_masked_toml();
        assert!(!shown.contains("hunter2-smtp"), "{shown}");
        assert!(shown.contains("password = \"********\""), "{shown}");
    }
}
