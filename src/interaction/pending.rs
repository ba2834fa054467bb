//! Requests parked while the user acts in the browser: the authorization request waiting for login
//! and consent ([`Pending`]), and the logout waiting for confirmation (`oidc/end_session.rs`). Each
//! is kept in the short-lived store under the digest of a random id, together with the digest of
//! the browser's binding cookie, and is only ever handed back to that browser.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

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
    /// Parks `value` under `id` for the browser whose binding cookie is `binding`.
    pub async fn put<T: Serialize>(
        &self,
        ctx: &Context,
        id: &str,
        binding: &str,
        value: &T,
    ) -> Result<(), OAuthError> {
        let parked = Parked {
            browser: sha256_hex(binding),
            value,
        };
        let json = serde_json::to_string(&parked).map_err(OAuthError::server_error)?;
        ctx.ephemeral
            .put(self.kind, &sha256_hex(id), &json, self.ttl)
            .await?;
        Ok(())
    }

    /// The value parked under `id`, only for the browser that parked it.
    pub async fn get<T: DeserializeOwned>(
        &self,
        ctx: &Context,
        id: &str,
        binding: &str,
    ) -> Result<Option<T>, OAuthError> {
        if id.is_empty() {
            return Ok(None);
        }
        let raw = ctx.ephemeral.get(self.kind, &sha256_hex(id)).await?;
        unpark(raw.as_deref(), binding)
    }

    /// Like [`Parking::get`], and the value is gone afterwards (single use across all nodes).
    pub async fn take<T: DeserializeOwned>(
        &self,
        ctx: &Context,
        id: &str,
        binding: &str,
    ) -> Result<Option<T>, OAuthError> {
        if id.is_empty() {
            return Ok(None);
        }
        let raw = ctx.ephemeral.take(self.kind, &sha256_hex(id)).await?;
        unpark(raw.as_deref(), binding)
    }

    pub async fn discard(&self, ctx: &Context, id: &str) -> Result<(), OAuthError> {
        ctx.ephemeral.delete(self.kind, &sha256_hex(id)).await?;
        Ok(())
    }
}

fn unpark<T: DeserializeOwned>(raw: Option<&str>, binding: &str) -> Result<Option<T>, OAuthError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let parked: Parked<T> = serde_json::from_str(raw).map_err(OAuthError::server_error)?;
    Ok(ct_eq(&parked.browser, &sha256_hex(binding)).then_some(parked.value))
}

/// An authorization request waiting for login or consent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub id: String,
    pub request: AuthorizationRequest,
    /// Digest of the browser's binding cookie.
    #[serde(skip)]
    binding: String,
    pub created_at: i64,
    /// `sid` of the session created by a login for this very request (POST /login): only that
    /// session satisfies `prompt=login` and `max_age`. Any session found when the request arrived,
    /// even one from the same second, does not (OpenID Core §3.1.2.1).
    #[serde(default)]
    pub login_sid: Option<String>,
    pub consent_given: bool,
}

impl Pending {
    /// A new pending request for the browser whose binding cookie is `binding`.
    pub fn new(ctx: &Context, request: AuthorizationRequest, binding: &str) -> Pending {
        Pending {
            id: secret_256(),
            login_sid: None,
            request,
            binding: binding.to_string(),
            created_at: ctx.now(),
            consent_given: false,
        }
    }

    fn parking(ctx: &Context) -> Parking {
        Parking {
            kind: Kind::AuthRequest,
            ttl: Duration::from_secs(ctx.tokens.auth_request_ttl_secs),
        }
    }

    pub async fn save(&self, ctx: &Context) -> Result<(), OAuthError> {
        Self::parking(ctx).put(ctx, &self.id, &self.binding, self).await
    }

    /// Loads a pending request, only for the browser that started it.
    pub async fn load(ctx: &Context, id: &str, binding: &str) -> Result<Option<Pending>, OAuthError> {
        let pending: Option<Pending> = Self::parking(ctx).get(ctx, id, binding).await?;
        Ok(pending.map(|p| Pending {
            binding: binding.to_string(),
            ..p
        }))
    }

    pub async fn discard(&self, ctx: &Context) -> Result<(), OAuthError> {
        Self::parking(ctx).discard(ctx, &self.id).await
    }
}
