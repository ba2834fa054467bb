//! [`Mailer`] over SMTP (RFC 5321) with lettre on tokio: plain (a local relay), STARTTLS
//! (RFC 3207, required when chosen) or implicit TLS (RFC 8314), with SMTP AUTH when configured.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::{Mail, MailError, Mailer};
use crate::config::{EmailSettings, TlsMode};

/// Sends through one SMTP server; connections are pooled by lettre.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(settings: &EmailSettings) -> Result<SmtpMailer, MailError> {
        let host = settings.smtp_host.as_str();
        let smtp = |e: lettre::transport::smtp::Error| MailError::Smtp(e.to_string());
        let builder = match settings.tls {
            TlsMode::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            TlsMode::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(smtp)?,
            TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(smtp)?,
        };
        let mut builder = builder
            .port(settings.smtp_port)
            .timeout(Some(Duration::from_secs(settings.timeout_secs)));
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_string(),
            ));
        }
        let from = settings
            .from
            .parse::<Mailbox>()
            .map_err(|e| MailError::Address(e.to_string()))?;
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
        })
    }

    /// A `text/plain; charset=utf-8` message; 8bit when every line is short enough, else lettre's
    /// choice (quoted-printable for text).
    fn message(&self, mail: Mail) -> Result<Message, MailError> {
        let to = mail
            .to
            .parse::<Mailbox>()
            .map_err(|e| MailError::Address(e.to_string()))?;
        // RFC 5322 §2.3: lines end in CRLF (and 8bit needs it).
        let text = mail.text.replace("\r\n", "\n").replace('\n', "\r\n");
        let body = Body::new_with_encoding(text, ContentTransferEncoding::EightBit).unwrap_or_else(Body::new);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Build(e.to_string()))
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let message = self.message(mail)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Smtp(e.to_string()))
    }
}
