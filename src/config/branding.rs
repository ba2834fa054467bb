//! `[branding]`: how the sign-in pages look (docs/configuration.md, "Branding"; docs/security.md
//! O.6): product name, logo, colours, footer, support link, and a directory of static files that
//! replace or add to the built-in ones, and page templates that replace built-in pages. The
//! defaults are the built-in look.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ConfigError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrandingSettings {
    /// `PORTCULLIS_BRANDING__PRODUCT_NAME`: the name in every page's header and title.
    pub product_name: String,
    /// `PORTCULLIS_BRANDING__LOGO_URL`: the header logo: a path on this server (`/static/...`,
    /// e.g. a file of `dir`) or an https URL, which the pages' CSP then allows as an image.
    pub logo_url: String,
    /// `PORTCULLIS_BRANDING__PRIMARY_COLOR`: buttons and links, `#rgb` or `#rrggbb`; empty: the
    /// built-in indigo.
    pub primary_color: String,
    /// `PORTCULLIS_BRANDING__PRIMARY_COLOR_DARK`: the same in dark mode; empty: `primary_color`.
    pub primary_color_dark: String,
    /// `PORTCULLIS_BRANDING__FOOTER_TEXT`: the footer line.
    pub footer_text: String,
    /// `PORTCULLIS_BRANDING__SUPPORT_URL`: a "Help" link in the footer (https or `mailto:`);
    /// empty: none.
    pub support_url: String,
    /// `PORTCULLIS_BRANDING__DIR`: a directory whose files are served under `/static/`: a file
    /// named like a built-in one (`css/portcullis.css`, `img/logo.svg`, ...) replaces it, others
    /// are added (`css/custom.css` is loaded after the built-in stylesheet when present); its
    /// `templates/NAME.html` replace the built-in page `templates/NAME.html` (`http::overrides`).
    /// Empty: none.
    pub dir: Option<PathBuf>,
}

impl Default for BrandingSettings {
    fn default() -> Self {
        BrandingSettings {
            product_name: "Portcullis".into(),
            logo_url: "/static/img/logo.svg".into(),
            primary_color: String::new(),
            primary_color_dark: String::new(),
            footer_text: "Protected by Portcullis · OpenID Connect".into(),
            support_url: String::new(),
            dir: None,
        }
    }
}

impl BrandingSettings {
    /// Start-up checks: texts without control characters and of reasonable length, colours in
    /// hex, the logo a local path or https, the support link https or mailto, `dir` a directory.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(format!("branding.{m}")));
        for (key, text, max) in [
            ("product_name", &self.product_name, 60),
            ("footer_text", &self.footer_text, 300),
        ] {
            if text.trim().is_empty() && key == "product_name" {
                return invalid(format!("{key} must not be empty"));
            }
            if text.chars().any(char::is_control) || text.chars().count() > max {
                return invalid(format!("{key}: at most {max} characters, no control characters"));
            }
        }
        for (key, colour) in [
            ("primary_color", &self.primary_color),
            ("primary_color_dark", &self.primary_color_dark),
        ] {
            if !colour.is_empty() && !is_hex_colour(colour) {
                return invalid(format!("{key}: {colour:?} is not #rgb or #rrggbb"));
            }
        }
        if !is_local_path(&self.logo_url) && !is_https(&self.logo_url) {
            return invalid("logo_url: a path on this server (/static/...) or an https URL".into());
        }
        if !self.support_url.is_empty() && !is_https(&self.support_url) && !is_mailto(&self.support_url) {
            return invalid("support_url: an https or mailto: URL".into());
        }
        if let Some(dir) = &self.dir {
            if !dir.is_dir() {
                return invalid(format!("dir: {} is not a directory", dir.display()));
            }
            // docs/configuration.md, "Page templates": `dir/templates/*.html` compile, name pages
            // (or are used by those that do) and name only files that are there.
            crate::http::overrides::Overrides::load(dir).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        Ok(())
    }

    /// The logo when it is an https URL (the pages' CSP must then allow it as an image).
    pub fn external_logo(&self) -> Option<String> {
        is_https(&self.logo_url).then(|| self.logo_url.clone())
    }
}

fn is_hex_colour(s: &str) -> bool {
    let Some(hex) = s.strip_prefix('#') else {
        return false;
    };
    matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// An absolute path on this server: `/x`, never `//host` (which would be another origin).
fn is_local_path(s: &str) -> bool {
    s.starts_with('/')
        && !s.starts_with("//")
        && !s.contains(['\\', ' ', '"', '\'', ';', ','])
        && !s.chars().any(char::is_control)
}

/// An https URL a CSP source expression can name exactly (no query, fragment, user or
/// separator characters).
fn is_https(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| {
        u.scheme() == "https"
            && u.host_str().is_some()
            && u.query().is_none()
            && u.fragment().is_none()
            && u.username().is_empty()
            && u.password().is_none()
            && !u.as_str().contains([';', ',', '\'', '"'])
    }) && !s.contains(' ')
}

fn is_mailto(s: &str) -> bool {
    s.strip_prefix("mailto:")
        .is_some_and(|a| a.contains('@') && !a.contains([' ', '"', '<', '>']))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_refused() {
        assert!(BrandingSettings::default().validate().is_ok());
        let bad = [
            BrandingSettings {
                primary_color: "red".into(),
                ..BrandingSettings::default()
            },
            BrandingSettings {
                primary_color: "#12345".into(),
                ..BrandingSettings::default()
            },
            BrandingSettings {
                logo_url: "http://cdn.example/logo.png".into(),
                ..BrandingSettings::default()
            },
            BrandingSettings {
                logo_url: "//cdn.example/logo.png".into(),
                ..BrandingSettings::default()
            },
            BrandingSettings {
                logo_url: "https://cdn.example/logo.png?v=1".into(),
                ..BrandingSettings::default()
            },
            BrandingSettings {
                support_url: "javascript:alert(1)".into(),
                ..BrandingSettings::default()
            },
            BrandingSettings {
                product_name: " ".into(),
                ..BrandingSettings::default()
            },
            BrandingSettings {
                dir: Some("/nonexistent/branding".into()),
                ..BrandingSettings::default()
            },
        ];
        for b in bad {
            assert!(b.validate().is_err(), "{b:?}");
        }
        let good = BrandingSettings {
            primary_color: "#0a7".into(),
            primary_color_dark: "#00aa77".into(),
            logo_url: "https://cdn.example/logo.png".into(),
            support_url: "mailto:help@example.com".into(),
            ..BrandingSettings::default()
        };
        assert!(good.validate().is_ok());
        assert_eq!(
            good.external_logo().as_deref(),
            Some("https://cdn.example/logo.png")
        );
        assert_eq!(BrandingSettings::default().external_logo(), None);
    }

    /// docs/configuration.md, "Page templates": `config check` compiles `dir/templates` too.
    #[test]
    fn page_templates_of_dir_are_checked() {
        let dir = crate::tempdir::tempdir().unwrap();
        let settings = BrandingSettings {
            dir: Some(dir.path().to_path_buf()),
            ..BrandingSettings::default()
        };
        assert!(settings.validate().is_ok(), "no templates directory");
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        std::fs::write(
            dir.path().join("templates/login.html"),
            "{{ t(\"login-title\") }}",
        )
        .unwrap();
        assert!(settings.validate().is_ok());
        std::fs::write(dir.path().join("templates/login.html"), "{% if %}").unwrap();
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("login.html line 1"), "{err}");
    }
}
