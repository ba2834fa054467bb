//! Authorization requests waiting for login or consent, kept in the ephemeral store under a random
//! id and bound to the browser that started them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::oauth::OAuthError;
use crate::oauth::authorization::AuthorizationRequest;
use crate::state::AppState;
use crate::storage::Kind;
use crate::util::{ct_eq, now, secret_256, sha256_hex};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub id: String,
    pub request: AuthorizationRequest,
    /// Digest of the browser's binding cookie.
    pub browser: String,
    pub created_at: i64,
    /// `sid` of the session created by a login for this very request (POST /login): only that
    /// session satisfies `prompt=login` and `max_age`. Any session found when the request arrived,
    /// even one from the same second, does not (OpenID Core §3.1.2.1).
    #[serde(default)]
    pub login_sid: Option<String>,
    pub consent_given: bool,
}

impl Pending {
    pub fn new(request: AuthorizationRequest, browser_binding: &str) -> Pending {
        let t = now();
        Pending {
            id: secret_256(),
            login_sid: None,
            request,
            browser: sha256_hex(browser_binding),
            created_at: t,
            consent_given: false,
        }
    }

    pub async fn save(&self, state: &AppState) -> Result<(), OAuthError> {
        let value = serde_json::to_string(self).map_err(OAuthError::server_error)?;
        let ttl = Duration::from_secs(state.settings.tokens.auth_request_ttl_secs);
        state
            .ephemeral
            .put(Kind::AuthRequest, &sha256_hex(&self.id), &value, ttl)
            .await?;
        Ok(())
    }

    /// Loads a pending request, only for the browser that started it.
    pub async fn load(
        state: &AppState,
        id: &str,
        browser_binding: &str,
    ) -> Result<Option<Pending>, OAuthError> {
        if id.is_empty() {
            return Ok(None);
        }
        let Some(raw) = state.ephemeral.get(Kind::AuthRequest, &sha256_hex(id)).await? else {
            return Ok(None);
        };
        let pending: Pending = serde_json::from_str(&raw).map_err(OAuthError::server_error)?;
        Ok(ct_eq(&pending.browser, &sha256_hex(browser_binding)).then_some(pending))
    }

    pub async fn discard(&self, state: &AppState) -> Result<(), OAuthError> {
        state
            .ephemeral
            .delete(Kind::AuthRequest, &sha256_hex(&self.id))
            .await?;
        Ok(())
    }
}
