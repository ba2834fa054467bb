//! CSRF tokens for every form (docs/security.md D.20, E.32): a random token per rendered form,
//! stored with the digest of the browser's binding cookie and the `sid` of the browser's login
//! session when it has one; a submission must come from the same browser in the same session (or,
//! for a form rendered signed out, still signed out), and a token works once.

use std::time::Duration;

use crate::digest::{ct_eq, sha256_hex};
use crate::oauth::params::ParamMap;
use crate::random::secret_256;
use crate::storage::{DynEphemeral, Kind, StorageError};

/// How long a rendered form stays submittable.
pub const CSRF_TTL: Duration = Duration::from_secs(30 * 60);

/// Who a form or a parked request belongs to (docs/security.md E.32): the browser, by its binding
/// cookie, and its current login (`LoginSession::login`) when it is signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder<'a> {
    /// The browser binding cookie's value.
    pub binding: &'a str,
    /// The id of the browser's current login, if it is signed in.
    pub login: Option<&'a str>,
}

impl Holder<'_> {
    /// What a token is stored with: the binding's digest, and the login's id after a `:` when
    /// signed in.
    fn tag(&self) -> String {
        match self.login {
            Some(login) => format!("{}:{login}", sha256_hex(self.binding)),
            None => sha256_hex(self.binding),
        }
    }
}

/// Why a form submission was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CsrfError {
    /// The `csrf_token` is missing, spent, expired, or was issued to another browser or session.
    #[error("the form has expired")]
    Expired,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Issues a form token bound to `holder`.
pub async fn issue(eph: &DynEphemeral, holder: Holder<'_>) -> Result<String, StorageError> {
    let token = secret_256();
    eph.put(Kind::Csrf, &sha256_hex(&token), &holder.tag(), CSRF_TTL)
        .await?;
    Ok(token)
}

/// Checks and spends a form token: true only if it was issued to this browser in this login
/// session (or signed out, when it is still signed out) and not used before.
pub async fn verify(eph: &DynEphemeral, token: &str, holder: Holder<'_>) -> Result<bool, StorageError> {
    if token.is_empty() || holder.binding.is_empty() {
        return Ok(false);
    }
    match eph.take(Kind::Csrf, &sha256_hex(token)).await? {
        Some(stored) => Ok(ct_eq(&stored, &holder.tag())),
        None => Ok(false),
    }
}

/// The check every form POST starts with: the form's `csrf_token` must be one this browser got in
/// its current login session (or signed out) and has not used yet.
pub async fn require(eph: &DynEphemeral, form: &ParamMap, holder: Holder<'_>) -> Result<(), CsrfError> {
    let token = form.get("csrf_token").unwrap_or_default();
    if verify(eph, token, holder).await? {
        Ok(())
    } else {
        Err(CsrfError::Expired)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::testing;

    const BROWSER: &str = "a-browser-binding-cookie-value-of-43-chars!";

    /// docs/security.md E.32: a token issued in one login session fails in another session of the
    /// same browser, signed out, or signed in after a form rendered signed out.
    #[tokio::test]
    async fn csrf_token_is_bound_to_the_login_session() {
        let w = testing::world().await;
        let eph = &w.ctx.ephemeral;
        let in_s1 = Holder {
            binding: BROWSER,
            login: Some("sid-1"),
        };
        let in_s2 = Holder {
            login: Some("sid-2"),
            ..in_s1
        };
        let signed_out = Holder { login: None, ..in_s1 };
        for (issued, submitted) in [(in_s1, in_s2), (in_s1, signed_out), (signed_out, in_s1)] {
            let token = issue(eph, issued).await.unwrap();
            assert!(
                !verify(eph, &token, submitted).await.unwrap(),
                "{issued:?} -> {submitted:?}"
            );
        }
        for holder in [in_s1, signed_out] {
            let token = issue(eph, holder).await.unwrap();
            assert!(verify(eph, &token, holder).await.unwrap());
            assert!(!verify(eph, &token, holder).await.unwrap(), "one use");
        }
    }
}
