//! The mails, plain text from askama templates (`templates/mail/*.txt`: not HTML-escaped).

use askama::Template;

/// What the text of every mailed link names (mail/links.rs `send`).
pub struct LinkText<'a> {
    pub username: &'a str,
    pub link: &'a str,
    /// "30 minutes"
    pub valid_for: &'a str,
    pub issuer: &'a str,
}

/// docs/guides/email.md: the password reset mail.
#[derive(Template)]
#[template(path = "mail/reset.txt")]
pub struct ResetMail<'a> {
    pub m: &'a LinkText<'a>,
}

/// docs/guides/email.md: the address verification mail.
#[derive(Template)]
#[template(path = "mail/verify.txt")]
pub struct VerifyMail<'a> {
    pub m: &'a LinkText<'a>,
}
