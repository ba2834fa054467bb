//! OpenID Core §3.1.2.4: the consent page (docs/security.md O.4). Sign-in first, long-lived access
//! last; each scope as what the app will be able to do, with the user's own values; the app's
//! home page, logo, privacy policy and terms from its registration (RFC 7591 §2), the logo only
//! when it is an https URL the page's CSP can name exactly; and "Not you? Use another account".

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_SECURITY_POLICY, HeaderValue};

use crate::accounts::csrf::{self, Holder};
use crate::context::Context;
use crate::http::errors::PageError;
use crate::http::templates::ConsentPage;
use crate::http::{headers, response};
use crate::interaction::Pending;
use crate::storage::{ClientDisplay, User};

/// Renders the consent page of `pending` for the user it is shown to.
pub async fn render(
    ctx: &Context,
    holder: Holder<'_>,
    pending: &Pending,
    client_name: String,
    username: String,
) -> Result<HttpResponse, PageError> {
    let csrf_token = csrf::issue(&ctx.ephemeral, holder).await?;
    let switch_csrf = csrf::issue(&ctx.ephemeral, holder).await?;
    let user = match &pending.consent_shown_to {
        Some(shown) => ctx.store.user_by_id(&shown.user_id).await?,
        None => None,
    };
    let mut scopes =
        super::pages::scope_items(ctx, &pending.request.scope, &pending.request.resources).await?;
    if let Some(user) = &user {
        for item in scopes.iter_mut().filter(|s| s.api.is_none()) {
            if let Some(phrase) = phrase(&item.name, user) {
                item.description = phrase;
            }
        }
    }
    let client = ctx.store.client_by_id(&pending.request.client_id).await?;
    let client_host = client.as_ref().and_then(crate::clients::metadata_document::host);
    let display = client.map(|c| c.registration.display).unwrap_or_default();
    let app = AppLinks::of(&display);
    let logo = app.logo.clone();
    let page = ConsentPage {
        client_name,
        client_host,
        username,
        scopes,
        request_id: pending.id.clone(),
        csrf_token,
        switch_csrf,
        home: app.home,
        home_host: app.home_host,
        logo: app.logo,
        policy: app.policy,
        terms: app.terms,
    };
    let mut res = response::page(StatusCode::OK, &page)?;
    if let Some(logo) = logo {
        // docs/security.md O.4: the page's CSP allows exactly the logo it shows, nothing else.
        let brand_logo = crate::http::branding::current().external_logo();
        let images: Vec<&str> = brand_logo
            .iter()
            .map(String::as_str)
            .chain([logo.as_str()])
            .collect();
        if let Ok(v) = HeaderValue::from_str(&headers::content_security_policy(&images)) {
            res.headers_mut().insert(CONTENT_SECURITY_POLICY, v);
        }
    }
    Ok(res)
}

/// What the page links to and shows about the app.
#[derive(Debug, Default, PartialEq, Eq)]
struct AppLinks {
    home: Option<String>,
    home_host: Option<String>,
    logo: Option<String>,
    policy: Option<String>,
    terms: Option<String>,
}

impl AppLinks {
    fn of(display: &ClientDisplay) -> AppLinks {
        let home_host = display
            .client_uri
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_string));
        AppLinks {
            home: display.client_uri.clone(),
            home_host,
            logo: display.logo_uri.as_deref().and_then(shown_logo),
            policy: display.policy_uri.clone(),
            terms: display.tos_uri.clone(),
        }
    }
}

/// The logo is shown only as an https URL a CSP source expression can name exactly: no query
/// (CSP matching ignores it, so it could not be pinned) and none of the characters that end a
/// source expression or directive. The server never fetches it.
fn shown_logo(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    let plain = url.scheme() == "https"
        && url.host_str().is_some()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    let s = url.as_str();
    let safe = !s.contains([';', ',', ' ', '\'', '"']);
    (plain && safe).then(|| s.to_string())
}

/// What a standard scope lets the app do, with the user's values where there are some, in the
/// request's language (`locales/*/pages.ftl`).
fn phrase(scope: &str, user: &User) -> Option<String> {
    use crate::i18n::{t, t1, t2};
    let username = &user.username;
    Some(match scope {
        "openid" => t1("consent-scope-openid", "user", username),
        "profile" => match user.name.as_deref() {
            Some(name) if !name.is_empty() => {
                t2("consent-scope-profile-name", "name", name, "user", username)
            }
            _ => t1("consent-scope-profile", "user", username),
        },
        "email" => match user.email.as_deref() {
            Some(email) if !email.is_empty() => t1("consent-scope-email-value", "email", email),
            _ => t("consent-scope-email"),
        },
        "address" => t("consent-scope-address"),
        "phone" => t("consent-scope-phone"),
        "groups" => t("consent-scope-groups"),
        "offline_access" => t("consent-scope-offline-access"),
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn alice() -> User {
        User {
            id: "u1".into(),
            username: "alice".into(),
            email: Some("alice@example.com".into()),
            email_verified: true,
            name: Some("Alice Liddell".into()),
            password_hash: String::new(),
            disabled: false,
            password_changed_at: 0,
            sessions_revoked_at: 0,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn scopes_read_as_verb_phrases_with_the_users_values() {
        let u = alice();
        assert_eq!(
            phrase("email", &u).unwrap(),
            "See your email address (alice@example.com)"
        );
        assert_eq!(
            phrase("profile", &u).unwrap(),
            "See your name (Alice Liddell) and username (alice)"
        );
        assert_eq!(phrase("openid", &u).unwrap(), "Sign you in as alice");
        assert_eq!(
            phrase("orders:read", &u),
            None,
            "custom scopes keep their own words"
        );
    }

    #[test]
    fn only_https_logos_a_csp_can_name_exactly_are_shown() {
        assert_eq!(
            shown_logo("https://app.example/logo.png").as_deref(),
            Some("https://app.example/logo.png")
        );
        for not_shown in [
            "http://app.example/logo.png",
            "http://localhost/logo.png",
            "https://app.example/logo.png?v=1",
            "https://app.example/a;b.png",
            "https://app.example/a,b.png",
            "data:image/png;base64,AAAA",
        ] {
            assert_eq!(shown_logo(not_shown), None, "{not_shown}");
        }
    }
}
