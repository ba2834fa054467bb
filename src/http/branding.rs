//! `[branding]` on every page (docs/configuration.md, "Branding"; docs/security.md O.6). The
//! settings are put in reach of the templates for the time of each request (a task-local value
//! set by [`scope`]), so `templates/base.html` reads them without every page's struct carrying
//! them; outside a request (unit tests) the built-in look is used. The page templates of
//! `branding.dir/templates/` ([`Overrides`]) come with it.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Data;

use crate::config::BrandingSettings;
use crate::http::overrides::{OverrideError, Overrides};

tokio::task_local! {
    static BRAND: Arc<Brand>;
}

/// What the pages show of the brand.
#[derive(Debug, Clone)]
pub struct Brand {
    pub settings: BrandingSettings,
    /// `css/custom.css` exists in `branding.dir`: it is loaded after the built-in stylesheet.
    pub custom_css: bool,
    /// The page templates of `branding.dir/templates/`, compiled.
    pub overrides: Arc<Overrides>,
}

impl Brand {
    /// Reads `settings` once at start-up: whether `dir` holds `css/custom.css`, and its page
    /// templates, compiled (an error refuses the start).
    pub fn load(settings: &BrandingSettings) -> Result<Brand, OverrideError> {
        let custom_css = settings
            .dir
            .as_ref()
            .is_some_and(|d| d.join("css").join("custom.css").is_file());
        let overrides = match &settings.dir {
            Some(dir) => Overrides::load(dir)?,
            None => Overrides::default(),
        };
        Ok(Brand {
            settings: settings.clone(),
            custom_css,
            overrides: Arc::new(overrides),
        })
    }

    /// `brand` in an override's context (docs/configuration.md, "Page templates"): what
    /// `templates/base.html` shows.
    pub fn to_value(&self) -> minijinja::Value {
        minijinja::context! {
            product_name => self.product_name(),
            logo_url => self.logo_url(),
            footer_text => self.footer_text(),
            support_url => self.support_url(),
            has_colours => self.has_colours(),
            custom_css => self.custom_css,
        }
    }

    pub fn product_name(&self) -> &str {
        &self.settings.product_name
    }

    pub fn logo_url(&self) -> &str {
        &self.settings.logo_url
    }

    /// The footer line: as configured, or, while `branding.footer_text` is the built-in default,
    /// `base-footer` in the request's language (docs/guides/languages.md).
    pub fn footer_text(&self) -> String {
        if self.settings.footer_text == BrandingSettings::default().footer_text {
            crate::i18n::t("base-footer")
        } else {
            self.settings.footer_text.clone()
        }
    }

    /// The footer's "Help" link, if configured.
    pub fn support_url(&self) -> Option<&str> {
        Some(self.settings.support_url.as_str()).filter(|s| !s.is_empty())
    }

    /// The stylesheet that sets the configured colours (`/static/brand.css`), when there are any.
    pub fn has_colours(&self) -> bool {
        !self.settings.primary_color.is_empty() || !self.settings.primary_color_dark.is_empty()
    }

    /// The logo when it is an https URL (the CSP names it).
    pub fn external_logo(&self) -> Option<String> {
        self.settings.external_logo()
    }

    /// `/static/brand.css`: the configured colours as the stylesheet's custom properties. The
    /// values were checked at start-up to be `#rgb` or `#rrggbb`, so nothing else can get in.
    pub fn colours_css(&self) -> String {
        let s = &self.settings;
        let light = s.primary_color.as_str();
        let dark = if s.primary_color_dark.is_empty() {
            light
        } else {
            s.primary_color_dark.as_str()
        };
        let block = |c: &str| {
            if c.is_empty() {
                return String::new();
            }
            format!("--primary: {c}; --primary-hover: {c}; --primary-active: {c}; --link: {c}; --focus: {c};")
        };
        format!(
            ":root {{ {} }}\n@media (prefers-color-scheme: dark) {{ :root {{ {} }} }}\n",
            block(light),
            block(dark)
        )
    }
}

impl Default for Brand {
    fn default() -> Self {
        Brand {
            settings: BrandingSettings::default(),
            custom_css: false,
            overrides: Arc::new(Overrides::default()),
        }
    }
}

/// The brand of the request being served (the built-in one outside a request).
pub fn current() -> Arc<Brand> {
    BRAND
        .try_with(Arc::clone)
        .unwrap_or_else(|_| Arc::new(Brand::default()))
}

/// Runs `f` with `brand` as the brand, synchronously (unit tests render pages this way).
pub fn sync_scope<R>(brand: Arc<Brand>, f: impl FnOnce() -> R) -> R {
    BRAND.sync_scope(brand, || crate::http::overrides::sync_scope(f))
}

/// Middleware: the request is served with the app's [`Brand`] in reach of the templates (and
/// its own mark of a failed override, `overrides::failed`).
pub async fn scope(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let brand = req
        .app_data::<Data<Brand>>()
        .map(|b| b.clone().into_inner())
        .unwrap_or_default();
    BRAND
        .scope(brand, crate::http::overrides::scope(next.call(req)))
        .await
}
