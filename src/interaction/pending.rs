//! Requests parked while the user acts in the browser: the authorization request waiting for login
//! and consent ([`Pending`]), and the logout waiting for confirmation (`oidc/end_session.rs`). Each
//! is kept in the short-lived store under the digest of a random id, together with the digest of
//! the browser's binding cookie and the id of the login (`LoginSession::login`) it was parked in,
//! and is only ever handed back to that browser, never in another login (docs/security.md E.32).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::accounts::csrf::Holder;
use crate::context::Context;
use crate::digest::{ct_eq, sha256_hex};
use crate::oauth::OAuthError;
use crate::oauth::authorization_request::AuthorizationRequest;
use crate::random::secret_256;
use crate::storage::Kind;

/// A value parked for one browser, as stored.
#[derive(Serialize, Deserialize)]
struct Parked<T> {
    /// Digest of the browser's binding cookie.
    browser: String,
    /// The login (`LoginSession::login`) the value was parked in, if the browser had one.
    #[serde(default)]
    session: Option<String>,
    /// Until when (seconds, the server's clock) it may be handed back: the store's own expiry
    /// (Redis's, in its own time) is only the upper bound of how long it is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parked_until: Option<i64>,
    #[serde(flatten)]
    value: T,
}

/// Where parked values of one kind live, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Parking {
    pub kind: Kind,
    pub ttl: Duration,
}

impl Parking {
    /// Parks `value` under `id` for `holder` (the browser, and its login session if any).
    pub async fn put<T: Serialize>(
        &self,
        ctx: &Context,
        id: &str,
        holder: Holder<'_>,
        value: &T,
    ) -> Result<(), OAuthError> {
        let parked = Parked {
            browser: sha256_hex(holder.binding),
            session: holder.login.map(str::to_string),
            parked_until: Some(ctx.now().saturating_add(self.ttl.as_secs() as i64)),
            value,
        };
        let json = serde_json::to_string(&parked).map_err(OAuthError::server_error)?;
        ctx.ephemeral
            .put(self.kind, &sha256_hex(id), &json, self.ttl)
            .await?;
        Ok(())
    }

    /// The value parked under `id`, only for the browser that parked it (see [`unpark`]).
    pub async fn get<T: DeserializeOwned>(
        &self,
        ctx: &Context,
        id: &str,
        holder: Holder<'_>,
    ) -> Result<Option<T>, OAuthError> {
        if id.is_empty() {
            return Ok(None);
        }
        let raw = ctx.ephemeral.get(self.kind, &sha256_hex(id)).await?;
        unpark(raw.as_deref(), holder, ctx.now())
    }

    /// Like [`Parking::get`], and the value is gone afterwards (single use across all nodes).
    pub async fn take<T: DeserializeOwned>(
        &self,
        ctx: &Context,
        id: &str,
        holder: Holder<'_>,
    ) -> Result<Option<T>, OAuthError> {
        if id.is_empty() {
            return Ok(None);
        }
        let raw = ctx.ephemeral.take(self.kind, &sha256_hex(id)).await?;
        unpark(raw.as_deref(), holder, ctx.now())
    }

    pub async fn discard(&self, ctx: &Context, id: &str) -> Result<(), OAuthError> {
        ctx.ephemeral.delete(self.kind, &sha256_hex(id)).await?;
        Ok(())
    }
}

/// docs/security.md E.32: a parked value goes back only to the browser that parked it, and, if it
/// was parked in a login session, never while another login session is current (the browser may
/// have none: the user signs in again for the very request). Nor once its time is up at `now`,
/// whatever the store still holds.
fn unpark<T: DeserializeOwned>(
    raw: Option<&str>,
    holder: Holder<'_>,
    now: i64,
) -> Result<Option<T>, OAuthError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let parked: Parked<T> = serde_json::from_str(raw).map_err(OAuthError::server_error)?;
    if parked.parked_until.is_some_and(|until| until <= now) {
        return Ok(None);
    }
    let same_browser = ct_eq(&parked.browser, &sha256_hex(holder.binding));
    let other_session = match (parked.session.as_deref(), holder.login) {
        (Some(parked_in), Some(current)) => parked_in != current,
        _ => false,
    };
    Ok((same_browser && !other_session).then_some(parked.value))
}

/// How far the user got with a pending request, which decides how long it is kept
/// (docs/security.md A.7): `tokens.auth_request_first_ttl_secs` until a login form is submitted for
/// it, then `tokens.auth_request_ttl_secs`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Progress {
    /// Nobody answered its login or consent page yet.
    #[default]
    New,
    /// A login form was submitted for it (with a valid CSRF token).
    LoginSubmitted,
}

/// The login session a consent page was shown to (docs/security.md E.32).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownTo {
    pub user_id: String,
    /// The login (`LoginSession::login`) it was shown to.
    #[serde(alias = "sid")]
    pub login: String,
}

/// An authorization request waiting for login or consent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub id: String,
    pub request: AuthorizationRequest,
    /// The browser's binding cookie value (never stored: the parking keeps its digest).
    #[serde(skip)]
    binding: String,
    /// The login (`LoginSession::login`) the request is parked in (never stored in the value itself: the
    /// parking keeps it).
    #[serde(skip)]
    parked_in: Option<String>,
    /// Whether the request is in the store (saved here, or loaded from it): a request answered in
    /// the very call that made it was never parked, so there is nothing to discard.
    #[serde(skip)]
    stored: bool,
    pub created_at: i64,
    /// The login made for this very request (POST /login, `LoginSession::login`): only it
    /// satisfies `prompt=login` and `max_age`. Any session found when the request arrived, even
    /// one from the same second, does not (OpenID Core §3.1.2.1).
    #[serde(default, alias = "login_sid")]
    pub login_for_request: Option<String>,
    pub consent_given: bool,
    /// The login session the consent page was shown to: only it may answer (docs/security.md E.32).
    #[serde(default)]
    pub consent_shown_to: Option<ShownTo>,
    #[serde(default)]
    pub progress: Progress,
    /// When the request is gone: checked against the clock as well as the store's own expiry, so
    /// the lifetime follows the clock every flow reads (docs/architecture.md, "Time").
    #[serde(default)]
    pub expires_at: Option<i64>,
}

impl Pending {
    /// A new pending request for `holder` (the browser, and its login session if any).
    pub fn new(ctx: &Context, request: AuthorizationRequest, holder: Holder<'_>) -> Pending {
        // OpenID Core §3.1.2.1: the request's first page is in the language it asked for too.
        if let Some(lang) = request.ui_locales {
            crate::i18n::prefer(lang);
        }
        Pending {
            id: secret_256(),
            login_for_request: None,
            request,
            binding: holder.binding.to_string(),
            parked_in: holder.login.map(str::to_string),
            stored: false,
            created_at: ctx.now(),
            consent_given: false,
            consent_shown_to: None,
            progress: Progress::New,
            expires_at: None,
        }
    }

    fn parking(&self, ctx: &Context) -> Parking {
        let full = ctx.tokens.auth_request_ttl_secs;
        let secs = match self.progress {
            Progress::New => ctx.tokens.auth_request_first_ttl_secs.min(full),
            Progress::LoginSubmitted => full,
        };
        Parking {
            kind: Kind::AuthRequest,
            ttl: Duration::from_secs(secs),
        }
    }

    fn holder(&self) -> Holder<'_> {
        Holder {
            binding: &self.binding,
            login: self.parked_in.as_deref(),
        }
    }

    /// The request is from now on parked in the login `login` (or in none).
    pub fn park_in(&mut self, login: Option<&str>) {
        self.parked_in = login.map(str::to_string);
    }

    /// Parks (or parks again) the request, for as long as its [`Progress`] allows from now.
    pub async fn save(&mut self, ctx: &Context) -> Result<(), OAuthError> {
        let parking = self.parking(ctx);
        self.expires_at = Some(ctx.now() + parking.ttl.as_secs() as i64);
        parking.put(ctx, &self.id, self.holder(), self).await?;
        self.stored = true;
        Ok(())
    }

    /// docs/security.md A.7: a login form was submitted for this request; it is kept for
    /// `tokens.auth_request_ttl_secs` from now on.
    pub async fn login_submitted(&mut self, ctx: &Context) -> Result<(), OAuthError> {
        self.progress = Progress::LoginSubmitted;
        self.save(ctx).await
    }

    /// Loads a pending request, only for the browser that started it and never in another login
    /// session than the one it is parked in.
    pub async fn load(ctx: &Context, id: &str, holder: Holder<'_>) -> Result<Option<Pending>, OAuthError> {
        // Reading needs no lifetime; saving picks it from the request's progress.
        let parking = Parking {
            kind: Kind::AuthRequest,
            ttl: Duration::ZERO,
        };
        let pending: Option<Pending> = parking.get(ctx, id, holder).await?;
        let now = ctx.now();
        let pending = pending.filter(|p| p.expires_at.is_none_or(|end| end > now));
        // OpenID Core §3.1.2.1: the request's pages are in the language it asked for.
        if let Some(lang) = pending.as_ref().and_then(|p| p.request.ui_locales) {
            crate::i18n::prefer(lang);
        }
        Ok(pending.map(|p| Pending {
            binding: holder.binding.to_string(),
            parked_in: holder.login.map(str::to_string),
            stored: true,
            ..p
        }))
    }

    /// Takes the request out of the store; one that was never parked costs no store call.
    pub async fn discard(&self, ctx: &Context) -> Result<(), OAuthError> {
        if !self.stored {
            return Ok(());
        }
        self.parking(ctx).discard(ctx, &self.id).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod parked_tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Note {
        text: String,
    }

    /// docs/security.md E.32: the time a value is parked for is the server's, not the store's (a
    /// Redis entry may outlive it on the server's clock).
    #[test]
    fn a_parked_value_is_not_handed_back_after_its_time_even_if_the_store_still_holds_it() {
        let holder = Holder {
            binding: "b",
            login: None,
        };
        let raw = |until: i64| {
            serde_json::json!({"browser": sha256_hex("b"), "parked_until": until, "text": "x"}).to_string()
        };
        let before: Option<Note> = unpark(Some(&raw(100)), holder, 99).unwrap();
        assert_eq!(before, Some(Note { text: "x".into() }));
        let after: Option<Note> = unpark(Some(&raw(100)), holder, 100).unwrap();
        assert_eq!(after, None);
    }
}
