//! docs/guides/languages.md: the pages in the user's language. [`negotiate`] picks the language
//! (OpenID Core §3.1.2.1 `ui_locales`, else RFC 9110 §12.5.4 `Accept-Language`, else English),
//! [`catalog`] holds the Fluent messages (`locales/<tag>/*.ftl`). The language of the request being
//! answered is a task-local value set by `http::locale::scope`, so templates and error pages read it
//! without every page struct carrying it; outside a request (unit tests, the CLI) it is English.

use std::cell::Cell;

use serde::{Deserialize, Serialize};

pub mod catalog;
pub mod negotiate;

pub use catalog::{Around, around, around2, t, t1, t2, tn};

/// A language the pages are translated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// The default and the source of every message.
    #[default]
    En,
    De,
}

impl Lang {
    /// Every supported language, the default first (OpenID Discovery `ui_locales_supported`).
    pub const ALL: [Lang; 2] = [Lang::En, Lang::De];

    /// The BCP 47 tag, as in `<html lang>` and `ui_locales_supported`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// The supported language a BCP 47 tag asks for: its primary subtag, any case (`de-AT` is `de`).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        Lang::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(primary))
    }
}

/// `ui_locales_supported` of the discovery document (OpenID Discovery 1.0 §3).
pub fn supported_tags() -> Vec<&'static str> {
    Lang::ALL.into_iter().map(Lang::tag).collect()
}

tokio::task_local! {
    static CURRENT: Cell<Lang>;
}

/// The language of the request being answered (English outside a request).
pub fn current() -> Lang {
    CURRENT.try_with(Cell::get).unwrap_or_default()
}

/// From now on, the request being answered is in `lang` (a pending request's `ui_locales`);
/// outside a request it does nothing.
pub fn prefer(lang: Lang) {
    let _ = CURRENT.try_with(|c| c.set(lang));
}

/// Runs `fut` with `lang` as the request's language.
pub async fn scope<F: std::future::Future>(lang: Lang, fut: F) -> F::Output {
    CURRENT.scope(Cell::new(lang), fut).await
}

/// Runs `f` with `lang` as the language, synchronously (unit tests render pages this way).
pub fn sync_scope<R>(lang: Lang, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(Cell::new(lang), f)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn region_subtags_fall_back_to_the_language() {
        assert_eq!(Lang::from_tag("de-AT"), Some(Lang::De));
        assert_eq!(Lang::from_tag("EN-gb"), Some(Lang::En));
        assert_eq!(Lang::from_tag("fr"), None);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn outside_a_request_the_language_is_english() {
        assert_eq!(current(), Lang::En);
        prefer(Lang::De);
        assert_eq!(current(), Lang::En);
    }

    #[test]
    fn a_pending_request_can_change_the_language_of_its_page() {
        sync_scope(Lang::En, || {
            prefer(Lang::De);
            assert_eq!(current(), Lang::De);
        });
    }
}
