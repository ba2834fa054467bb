//! Mail to people (docs/guides/email.md): password reset and email verification links. A
//! [`Mailer`] delivers one message; the [`Outbox`] hands each message to it on a task of its own,
//! so a request never waits for an SMTP server, and answers the same whether a mail was sent or
//! not (docs/security.md N.1).

pub mod limits;
pub mod links;
pub mod smtp;
pub mod templates;

use std::sync::Arc;

use async_trait::async_trait;

use crate::config::EmailSettings;

/// One plain-text message to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The recipient's address.
    pub to: String,
    pub subject: String,
    /// The body, plain text (UTF-8).
    pub text: String,
}

/// Why a message could not be delivered. Never contains a link or a token.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("not a mail address: {0}")]
    Address(String),
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("the SMTP server refused or could not be reached: {0}")]
    Smtp(String),
}

/// Delivers messages (SMTP in production: [`smtp::SmtpMailer`]).
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: Mail) -> Result<(), MailError>;
}

/// Where flows post mail: the configured mailer, or none when `email.enabled` is off.
#[derive(Clone, Default)]
pub struct Outbox {
    mailer: Option<Arc<dyn Mailer>>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("enabled", &self.is_enabled())
            .finish()
    }
}

impl Outbox {
    /// The SMTP mailer of `settings`, or an outbox that sends nothing when mail is off. A mailer
    /// that cannot be built (TLS set-up) is logged and leaves mail off.
    pub fn from_settings(settings: &EmailSettings) -> Outbox {
        if !settings.enabled {
            return Outbox::default();
        }
        match smtp::SmtpMailer::new(settings) {
            Ok(m) => Outbox::with(Arc::new(m)),
            Err(e) => {
                tracing::error!(error = %e, "email is enabled but the SMTP mailer cannot be built; no mail will be sent");
                Outbox::default()
            }
        }
    }

    pub fn with(mailer: Arc<dyn Mailer>) -> Outbox {
        Outbox { mailer: Some(mailer) }
    }

    /// Mail can be sent (the login page offers "Forgot password?").
    pub fn is_enabled(&self) -> bool {
        self.mailer.is_some()
    }

    /// Sends `mail` on a task of its own: the caller never waits for the SMTP server, and a
    /// failure is logged (with the recipient's digest, never the body: it holds a link).
    pub fn post(&self, mail: Mail, what: &'static str) {
        let Some(mailer) = self.mailer.clone() else {
            return;
        };
        let span = tracing::info_span!("mail", what);
        let send = async move {
            let to = crate::digest::sha256_hex(&mail.to.to_lowercase());
            match mailer.send(mail).await {
                Ok(()) => tracing::info!(what, to = &to[..12], "mail sent"),
                Err(e) => tracing::warn!(what, to = &to[..12], error = %e, "mail not sent"),
            }
        };
        tokio::spawn(tracing::Instrument::instrument(send, span));
    }
}
