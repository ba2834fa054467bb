//! Second factors (docs/guides/mfa.md, docs/security.md G): TOTP codes ([`totp`]) with one-time
//! recovery codes ([`recovery`]), passkeys ([`passkey`]), when a login needs one ([`policy`]), and
//! the half-done login that waits for it ([`challenge`]).
//!
//! A user who has a factor always uses it after the password: the password alone makes no session
//! (`challenge`). A request that requires a second factor (`policy::required`) from a browser whose
//! session has none gets the second-factor page (step-up) or, for a user without a factor,
//! enrolment first ([`gate`]).

pub mod challenge;
pub mod enrol;
pub mod passkey;
pub mod policy;
pub mod recovery;
pub mod totp;
pub mod verify;

use crate::context::Context;
use crate::interaction::{AuthResponse, Pending, SignedIn, Step};
use crate::oauth::{ErrorCode, OAuthError};
use crate::storage::{Client, DynStore, StorageError};

/// Errors of the second-factor flows. `Refused` and `Rejected` are the user's (an expired
/// ceremony, a wrong origin); the rest are ours.
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Expired, used, or another browser's: the user starts again.
    #[error("{0}")]
    Refused(&'static str),
    /// The authenticator's answer did not verify (origin, challenge, signature); detail logged.
    #[error("the passkey was not accepted: {0}")]
    Rejected(String),
    #[error("{0}")]
    Config(&'static str),
    #[error("{0}")]
    Internal(String),
}

impl From<MfaError> for OAuthError {
    fn from(e: MfaError) -> OAuthError {
        match e {
            MfaError::Storage(s) => s.into(),
            MfaError::Refused(m) => OAuthError::invalid_request(m),
            MfaError::Rejected(_) => {
                OAuthError::new(ErrorCode::AccessDenied, "the passkey was not accepted").with_detail(e)
            }
            MfaError::Config(_) | MfaError::Internal(_) => OAuthError::server_error(e),
        }
    }
}

/// A user's factors, for the account page and `portcullis user mfa`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Factors {
    /// A confirmed TOTP secret, and when it was enrolled.
    pub totp_since: Option<i64>,
    pub recovery_codes_left: i64,
    pub passkeys: Vec<crate::storage::PasskeyCredential>,
}

impl Factors {
    pub fn any(&self) -> bool {
        self.totp_since.is_some() || !self.passkeys.is_empty()
    }
}

/// The factors of `user_id`.
pub async fn factors(store: &DynStore, user_id: &str) -> Result<Factors, StorageError> {
    let totp = store.totp(user_id).await?;
    let recovery_codes_left = if totp.is_some() {
        store.recovery_codes_left(user_id).await?
    } else {
        0
    };
    Ok(Factors {
        totp_since: totp.map(|t| t.created_at),
        recovery_codes_left,
        passkeys: store.passkeys(user_id).await?,
    })
}

/// Whether `user_id` has a second factor (TOTP or a passkey).
pub async fn has_factor(ctx: &Context, user_id: &str) -> Result<bool, StorageError> {
    Ok(ctx.store.totp(user_id).await?.is_some() || !ctx.store.passkeys(user_id).await?.is_empty())
}

/// docs/security.md G.1: a signed-in browser whose login has no second factor, for a request that
/// requires one, goes to the second-factor page (step-up), or to enrolment when the user has no
/// factor; with `prompt=none`, `interaction_required`. `None`: the login is enough.
pub async fn gate(
    ctx: &Context,
    pending: &mut Pending,
    client: &Client,
    signed_in: SignedIn<'_>,
) -> Result<Option<Step>, OAuthError> {
    if !policy::required(client, &pending.request) || policy::satisfied(&signed_in.session.amr) {
        return Ok(None);
    }
    if pending.request.prompt.none {
        let e = OAuthError::new(ErrorCode::InteractionRequired, "a second factor is required");
        return Ok(Some(Step::Respond(AuthResponse::error(
            &ctx.issuer,
            &pending.request,
            e,
        ))));
    }
    pending.save(ctx).await?;
    let request_id = pending.id.clone();
    if has_factor(ctx, &signed_in.user.id).await? {
        Ok(Some(Step::SecondFactor {
            request_id,
            user_id: signed_in.user.id.clone(),
            amr: signed_in.session.amr.clone(),
        }))
    } else {
        Ok(Some(Step::EnrolMfa { request_id }))
    }
}
