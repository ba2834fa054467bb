//! TOTP enrolment on the account page (docs/guides/mfa.md): a new secret waits, sealed, in the
//! short-lived store until the user types one valid code from it; then it is stored with ten new
//! recovery codes, which are shown once.

use std::time::Duration;

use rand::RngCore;
use serde_json::json;

use crate::accounts::Audit;
use crate::context::{Context, RequestMeta};
use crate::mfa::verify::{open_secret, secret_aad};
use crate::mfa::{recovery, totp};
use crate::oauth::OAuthError;
use crate::storage::{AuditKind, Kind, TotpSecret, User};

/// How long a shown secret waits for its first code.
const PENDING_TTL: Duration = Duration::from_secs(15 * 60);

/// The label authenticator apps show.
pub const ISSUER_LABEL: &str = "Portcullis";

fn pending_key(user_id: &str) -> String {
    format!("totp:{user_id}")
}

/// What the enrolment page shows.
pub struct TotpSetup {
    /// The secret in base32, for typing it in.
    pub secret_base32: String,
    /// The `otpauth://` URI the QR code holds.
    pub uri: String,
}

/// A new secret for `user`, waiting for its first code (a new one replaces a waiting one).
pub async fn begin_totp(ctx: &Context, user: &User) -> Result<TotpSetup, OAuthError> {
    let mut secret = [0u8; totp::SECRET_LEN];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let sealed = ctx
        .keys
        .seal(&secret, &secret_aad(&user.id))
        .map_err(OAuthError::server_error)?;
    ctx.ephemeral
        .put(Kind::Mfa, &pending_key(&user.id), &sealed, PENDING_TTL)
        .await?;
    Ok(TotpSetup {
        secret_base32: totp::base32_encode(&secret),
        uri: totp::otpauth_uri(ISSUER_LABEL, &user.username, &secret),
    })
}

/// The secret waiting for `user`, if any (the QR code image, and the page shown again after a
/// wrong first code).
pub async fn pending_setup(ctx: &Context, user: &User) -> Result<Option<TotpSetup>, OAuthError> {
    let Some(sealed) = ctx.ephemeral.get(Kind::Mfa, &pending_key(&user.id)).await? else {
        return Ok(None);
    };
    let secret = open_secret(ctx, &user.id, &sealed)?;
    Ok(Some(TotpSetup {
        secret_base32: totp::base32_encode(&secret),
        uri: totp::otpauth_uri(ISSUER_LABEL, &user.username, &secret),
    }))
}

/// Confirms the waiting secret with `typed`: on a valid code the secret is stored (its step counts
/// as used) with ten new recovery codes, which are returned to be shown once. `None`: wrong code,
/// or no secret waiting.
pub async fn confirm_totp(
    ctx: &Context,
    user: &User,
    typed: &str,
    meta: &RequestMeta,
) -> Result<Option<Vec<String>>, OAuthError> {
    let key = pending_key(&user.id);
    let Some(sealed) = ctx.ephemeral.get(Kind::Mfa, &key).await? else {
        return Ok(None);
    };
    let secret = open_secret(ctx, &user.id, &sealed)?;
    let now = ctx.now();
    let Some(step) = totp::matching_step(&secret, typed, now) else {
        return Ok(None);
    };
    let (codes, hashes) = recovery::generate();
    let stored = TotpSecret {
        user_id: user.id.clone(),
        secret_sealed: sealed,
        last_used_step: step,
        created_at: now,
    };
    ctx.store.confirm_totp(stored, hashes).await?;
    ctx.ephemeral.delete(Kind::Mfa, &key).await?;
    Audit::new(AuditKind::MfaEnrolled)
        .user(Some(&user.id))
        .ip(Some(&meta.ip))
        .detail(json!({ "factor": "totp" }))
        .write(&ctx.store, now)
        .await;
    Ok(Some(codes))
}
