//! Which language a page is in: OpenID Core §3.1.2.1 `ui_locales` (space-separated, in order of
//! preference) wins; else RFC 9110 §12.5.4 `Accept-Language` (by q-value); else English.

use super::Lang;

/// OpenID Core §3.1.2.1: the first of the space-separated `ui_locales` that is supported.
pub fn from_ui_locales(ui_locales: &str) -> Option<Lang> {
    ui_locales.split(' ').find_map(Lang::from_tag)
}

/// RFC 9110 §12.5.4: the supported language with the highest q-value (the earlier one on a tie);
/// `q=0` means "not acceptable", and `*` is any language, i.e. the default.
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(Lang, u16)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let range = parts.next().unwrap_or_default();
        let q = parts
            .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .map_or(Some(1000), qvalue);
        let Some(q) = q else { continue };
        let lang = if range == "*" {
            Some(Lang::default())
        } else {
            Lang::from_tag(range)
        };
        if let Some(lang) = lang
            && q > 0
            && best.is_none_or(|(_, b)| q > b)
        {
            best = Some((lang, q));
        }
    }
    best.map(|(lang, _)| lang)
}

/// RFC 9110 §12.4.2: a qvalue in thousandths; `None` when malformed.
fn qvalue(text: &str) -> Option<u16> {
    let value: f32 = text.parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

/// `ui_locales` wins over `Accept-Language`, which wins over the default (English).
pub fn choose(ui_locales: Option<&str>, accept_language: Option<&str>) -> Lang {
    ui_locales
        .and_then(from_ui_locales)
        .or_else(|| accept_language.and_then(from_accept_language))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_locales_first_supported_wins() {
        assert_eq!(from_ui_locales("fr de en"), Some(Lang::De));
        assert_eq!(from_ui_locales("en de"), Some(Lang::En));
        assert_eq!(from_ui_locales("fr-CA de-CH"), Some(Lang::De));
        assert_eq!(from_ui_locales("fr ja"), None);
    }

    #[test]
    fn accept_language_honours_q_values() {
        assert_eq!(from_accept_language("de-DE,de;q=0.9"), Some(Lang::De));
        assert_eq!(from_accept_language("en;q=0.5, de;q=0.8"), Some(Lang::De));
        assert_eq!(from_accept_language("de;q=0.5, en"), Some(Lang::En));
        assert_eq!(from_accept_language("fr, de;q=0.1"), Some(Lang::De));
    }

    #[test]
    fn accept_language_q_zero_is_not_acceptable() {
        assert_eq!(from_accept_language("de;q=0, fr"), None);
        assert_eq!(from_accept_language("de;q=0"), None);
    }

    #[test]
    fn accept_language_tie_keeps_the_earlier() {
        assert_eq!(from_accept_language("de, en"), Some(Lang::De));
        assert_eq!(from_accept_language("en, de"), Some(Lang::En));
    }

    #[test]
    fn accept_language_ignores_malformed_q_values() {
        assert_eq!(from_accept_language("de;q=x, en;q=0.2"), Some(Lang::En));
        assert_eq!(from_accept_language("de;q=2"), None);
    }

    #[test]
    fn accept_language_wildcard_is_the_default() {
        assert_eq!(from_accept_language("fr, *;q=0.5"), Some(Lang::En));
    }

    #[test]
    fn ui_locales_wins_over_accept_language() {
        assert_eq!(choose(Some("de"), Some("en")), Lang::De);
        assert_eq!(choose(Some("fr"), Some("de")), Lang::De);
    }

    #[test]
    fn unsupported_languages_give_english() {
        assert_eq!(choose(Some("fr"), Some("ja, it;q=0.8")), Lang::En);
        assert_eq!(choose(None, None), Lang::En);
    }
}
