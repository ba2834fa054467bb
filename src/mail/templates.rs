//! The mails, plain text from askama templates (`templates/mail/*.txt`: not HTML-escaped), their
//! sentences from the Fluent catalogs (`mail-*` in `locales/<tag>/email.ftl`) in the current
//! language: a mail is composed while the request that caused it is answered, so it is in that
//! request's language (docs/guides/languages.md), and only sent on a task of its own.

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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, sync_scope};

    fn text() -> LinkText<'static> {
        LinkText {
            username: "alice",
            link: "https://id.example.com/reset?token=t",
            valid_for: "30 minutes",
            issuer: "https://id.example.com",
        }
    }

    /// Both mails in every language: every sentence found in the catalog (no message id shows),
    /// the link on a line of its own, nothing escaped.
    #[test]
    fn mails_are_written_in_the_current_language() {
        let m = text();
        for lang in Lang::ALL {
            let reset = sync_scope(lang, || ResetMail { m: &m }.render().unwrap());
            let verify = sync_scope(lang, || VerifyMail { m: &m }.render().unwrap());
            for mail in [&reset, &verify] {
                assert!(!mail.contains("mail-"), "{mail}");
                assert!(
                    mail.contains("\nhttps://id.example.com/reset?token=t\n"),
                    "{mail}"
                );
                assert!(
                    mail.contains("at https://id.example.com") || mail.contains("bei https://id.example.com"),
                    "{mail}"
                );
                assert!(!mail.contains("&#"), "{mail}");
            }
        }
        let reset = sync_scope(Lang::De, || ResetMail { m: &m }.render().unwrap());
        assert!(reset.starts_with("Hallo alice,"), "{reset}");
        assert!(reset.contains("Passwort"), "{reset}");
        let reset = sync_scope(Lang::En, || ResetMail { m: &m }.render().unwrap());
        assert!(reset.starts_with("Hello alice,"), "{reset}");
    }
}
