//! The Fluent message catalogs (`locales/<tag>/*.ftl`), compiled into the binary and parsed once.
//! A message missing from a language falls back to English, and a missing id shows as itself (a
//! unit test keeps both from happening).

use std::collections::HashMap;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use super::{Lang, current};

/// One catalog file per area of the pages, in both languages.
macro_rules! catalogs {
    ($($name:literal),* $(,)?) => {
        /// (language, file name, text) of every catalog file.
        pub const FILES: &[(Lang, &str, &str)] = &[
            $((Lang::En, $name, include_str!(concat!("../../locales/en/", $name, ".ftl"))),)*
            $((Lang::De, $name, include_str!(concat!("../../locales/de/", $name, ".ftl"))),)*
        ];
    };
}

catalogs!["pages", "errors", "account", "mfa", "device", "email"];

type Bundle = FluentBundle<FluentResource>;

fn bundles() -> &'static HashMap<&'static str, Bundle> {
    static BUNDLES: OnceLock<HashMap<&'static str, Bundle>> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        let mut all = HashMap::new();
        for lang in Lang::ALL {
            let id: unic_langid::LanguageIdentifier = lang.tag().parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // The pages are left-to-right only; no isolation marks around placeables.
            bundle.set_use_isolating(false);
            for (_, name, text) in FILES.iter().filter(|(l, _, _)| *l == lang) {
                let resource =
                    FluentResource::try_new((*text).to_string()).unwrap_or_else(|(res, errors)| {
                        tracing::error!(
                            file = name,
                            lang = lang.tag(),
                            ?errors,
                            "catalog has syntax errors"
                        );
                        res
                    });
                if let Err(errors) = bundle.add_resource(resource) {
                    tracing::error!(
                        file = name,
                        lang = lang.tag(),
                        ?errors,
                        "catalog repeats a message"
                    );
                }
            }
            all.insert(lang.tag(), bundle);
        }
        all
    })
}

/// The message `id` in `lang`, with `args`; English when `lang` lacks it, `id` when no language has it.
pub fn format(lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> String {
    for tag in [lang.tag(), Lang::En.tag()] {
        let Some(bundle) = bundles().get(tag) else {
            continue;
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            continue;
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(id, lang = tag, ?errors, "message formatted with errors");
        }
        return text.into_owned();
    }
    tracing::warn!(id, "no such message");
    id.to_string()
}

/// Whether `lang`'s catalog has the message `id`.
pub fn has(lang: Lang, id: &str) -> bool {
    bundles().get(lang.tag()).is_some_and(|b| b.has_message(id))
}

fn arg(value: &impl std::fmt::Display) -> FluentValue<'static> {
    FluentValue::from(value.to_string())
}

/// The message `id` in the current language.
pub fn t(id: &str) -> String {
    format(current(), id, None)
}

/// The message `id` in the current language, with one variable.
pub fn t1(id: &str, name: &str, value: impl std::fmt::Display) -> String {
    let mut args = FluentArgs::new();
    args.set(name.to_string(), arg(&value));
    format(current(), id, Some(&args))
}

/// The message `id` in the current language, with a number `count` (for plural forms).
pub fn tn(id: &str, count: impl std::fmt::Display) -> String {
    let count = count.to_string();
    let mut args = FluentArgs::new();
    args.set("count", FluentValue::try_number(&count));
    format(current(), id, Some(&args))
}

/// The message `id` in the current language, with two variables.
pub fn t2(
    id: &str,
    a: &str,
    a_value: impl std::fmt::Display,
    b: &str,
    b_value: impl std::fmt::Display,
) -> String {
    let mut args = FluentArgs::new();
    args.set(a.to_string(), arg(&a_value));
    args.set(b.to_string(), arg(&b_value));
    format(current(), id, Some(&args))
}

/// The text before and after the one variable of a message, so that a template can put markup
/// (`<strong>`, a link) around the value while askama still escapes everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Around {
    pub pre: String,
    pub post: String,
}

const MARK: &str = "\u{1}";

/// [`Around`] for the message `id`, whose one variable is `name`.
pub fn around(id: &str, name: &str) -> Around {
    split(t1(id, name, MARK))
}

/// [`Around`] for the message `id`, split at its variable `name`, with one more variable.
pub fn around2(id: &str, name: &str, other: &str, value: impl std::fmt::Display) -> Around {
    split(t2(id, name, MARK, other, value))
}

fn split(text: String) -> Around {
    match text.split_once(MARK) {
        Some((pre, post)) => Around {
            pre: pre.to_string(),
            post: post.to_string(),
        },
        None => Around {
            pre: text,
            post: String::new(),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn ids(lang: Lang) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        for (_, name, text) in FILES.iter().filter(|(l, _, _)| *l == lang) {
            FluentResource::try_new((*text).to_string())
                .unwrap_or_else(|(_, e)| panic!("{} {name}.ftl does not parse: {e:?}", lang.tag()));
            // A message starts a line with its id and `=`; terms (`-x`) and comments do not count.
            for line in text.lines() {
                let Some((id, _)) = line.split_once('=') else {
                    continue;
                };
                let id = id.trim_end();
                if line.starts_with(|c: char| c.is_ascii_alphabetic())
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    assert!(ids.insert(id.to_string()), "{} repeats {id}", lang.tag());
                }
            }
        }
        ids
    }

    #[test]
    fn every_english_message_is_in_german_and_back() {
        let en = ids(Lang::En);
        let de = ids(Lang::De);
        let only_en: Vec<_> = en.difference(&de).collect();
        let only_de: Vec<_> = de.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in de: {only_en:?}");
        assert!(only_de.is_empty(), "missing in en: {only_de:?}");
    }

    /// Every `crate::i18n::t*("id"` and `around("id"` in templates/ names a message of both languages.
    #[test]
    fn every_message_a_template_uses_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut used = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "html") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for call in [
                "i18n::t(\"",
                "i18n::t1(\"",
                "i18n::t2(\"",
                "i18n::tn(\"",
                "i18n::around(\"",
                "i18n::around2(\"",
            ] {
                for (at, _) in text.match_indices(call) {
                    let rest = &text[at + call.len()..];
                    let id = &rest[..rest.find('"').unwrap()];
                    used += 1;
                    for lang in Lang::ALL {
                        assert!(
                            has(lang, id),
                            "{} uses {id}, missing in {}",
                            path.display(),
                            lang.tag()
                        );
                    }
                }
            }
        }
        assert!(used > 100, "only {used} lookups found in templates/");
    }

    /// `<html lang>` and the words follow the request's language; English outside a request.
    #[test]
    fn pages_render_in_the_requests_language() {
        use crate::http::templates::{LogoutStayedPage, render};
        let page = || LogoutStayedPage {
            client_name: Some("Acme".into()),
            back: None,
        };
        let german = crate::i18n::sync_scope(Lang::De, || render(&page())).unwrap();
        assert!(german.contains(r#"<html lang="de">"#), "{german}");
        assert!(german.contains("Sie sind weiterhin angemeldet"), "{german}");
        assert!(german.contains("Zu Ihrem Konto"), "{german}");
        let english = render(&page()).unwrap();
        assert!(english.contains(r#"<html lang="en">"#), "{english}");
        assert!(english.contains("You are still signed in"), "{english}");
    }

    #[test]
    fn plural_forms_follow_the_language() {
        assert_eq!(
            crate::i18n::sync_scope(Lang::De, || tn("ago-minutes", 1)),
            "vor 1 Minute"
        );
        assert_eq!(
            crate::i18n::sync_scope(Lang::De, || tn("ago-minutes", 3)),
            "vor 3 Minuten"
        );
        assert_eq!(tn("ago-minutes", 3), "3 minutes ago");
    }

    #[test]
    fn a_message_missing_everywhere_shows_its_id() {
        assert_eq!(format(Lang::De, "no-such-message", None), "no-such-message");
    }

    #[test]
    fn around_splits_at_the_variable() {
        let parts = crate::i18n::sync_scope(Lang::De, || around("login-continue-to", "client"));
        assert!(!parts.pre.is_empty());
        assert!(!parts.pre.contains('\u{1}') && !parts.post.contains('\u{1}'));
    }
}
