//! Passkeys (WebAuthn Level 2 with webauthn-rs; docs/guides/mfa.md, docs/security.md G.4): the
//! relying party is the issuer (`rp_id` = its host, the only allowed origin = its origin), every
//! ceremony requires user verification, and its state waits in the short-lived store for one use,
//! bound to the browser that began it.
//!
//! `amr` after a passkey (RFC 8176): `swk` when the authenticator says the credential is
//! backup-eligible (a synced passkey, which can leave the device), otherwise `hwk` (bound to one
//! device, such as a security key).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};

use crate::context::Context;
use crate::digest::{ct_eq, sha256_hex};
use crate::mfa::MfaError;
use crate::random::secret_256;
use crate::storage::{AuthMethod, Kind, PasskeyCredential, User};

/// How long a ceremony may take (WebAuthn's recommended timeout is 5 minutes).
const CEREMONY_TTL: Duration = Duration::from_secs(300);

/// The relying party for `issuer`: `rp_id` is its host, its origin the one allowed origin.
pub fn relying_party(issuer: &str) -> Result<Webauthn, MfaError> {
    let url = Url::parse(issuer).map_err(|_| MfaError::Config("the issuer is not a URL"))?;
    let rp_id = url
        .host_str()
        .ok_or(MfaError::Config("the issuer has no host"))?
        .to_string();
    let origin = Url::parse(&url.origin().ascii_serialization())
        .map_err(|_| MfaError::Config("the issuer has no origin"))?;
    WebauthnBuilder::new(&rp_id, &origin)
        .map_err(|_| MfaError::Config("passkeys need an issuer whose host is a domain name"))?
        .rp_name("Portcullis")
        .build()
        .map_err(|_| MfaError::Config("passkeys could not be set up"))
}

/// WebAuthn's user handle for a user: 16 bytes of the digest of the user id (stable, not the id).
fn user_handle(user_id: &str) -> Uuid {
    let digest = Sha256::digest(user_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// A ceremony waiting for the authenticator's answer.
#[derive(Serialize, Deserialize)]
struct Ceremony<T> {
    user_id: String,
    /// Digest of the browser's binding cookie.
    browser: String,
    state: T,
}

async fn park<T: Serialize>(
    ctx: &Context,
    user_id: &str,
    binding: &str,
    state: T,
) -> Result<String, MfaError> {
    let id = secret_256();
    let ceremony = Ceremony {
        user_id: user_id.to_string(),
        browser: sha256_hex(binding),
        state,
    };
    let json = serde_json::to_string(&ceremony).map_err(|e| MfaError::Internal(e.to_string()))?;
    ctx.ephemeral
        .put(
            Kind::Mfa,
            &sha256_hex(&format!("webauthn:{id}")),
            &json,
            CEREMONY_TTL,
        )
        .await?;
    Ok(id)
}

/// The ceremony `id`, once, for the browser that began it.
async fn unpark<T: for<'de> Deserialize<'de>>(
    ctx: &Context,
    id: &str,
    binding: &str,
) -> Result<Ceremony<T>, MfaError> {
    let raw = ctx
        .ephemeral
        .take(Kind::Mfa, &sha256_hex(&format!("webauthn:{id}")))
        .await?
        .ok_or(MfaError::Refused("the passkey ceremony expired"))?;
    let ceremony: Ceremony<T> =
        serde_json::from_str(&raw).map_err(|_| MfaError::Refused("the passkey ceremony expired"))?;
    if !ct_eq(&ceremony.browser, &sha256_hex(binding)) {
        return Err(MfaError::Refused(
            "the passkey ceremony belongs to another browser",
        ));
    }
    Ok(ceremony)
}

fn stored(passkey: &PasskeyCredential) -> Result<Passkey, MfaError> {
    serde_json::from_str(&passkey.passkey).map_err(|e| MfaError::Internal(format!("stored passkey: {e}")))
}

/// WebAuthn §7.1, step one: the options for `navigator.credentials.create()`, and the ceremony id.
pub async fn begin_registration(
    ctx: &Context,
    user: &User,
    binding: &str,
) -> Result<(String, CreationChallengeResponse), MfaError> {
    let rp = relying_party(&ctx.issuer)?;
    let existing = ctx.store.passkeys(&user.id).await?;
    let mut exclude = Vec::new();
    for p in &existing {
        exclude.push(stored(p)?.cred_id().clone());
    }
    let display = user.name.clone().unwrap_or_else(|| user.username.clone());
    let (options, state) = rp
        .start_passkey_registration(user_handle(&user.id), &user.username, &display, Some(exclude))
        .map_err(|e| MfaError::Internal(e.to_string()))?;
    let id = park::<PasskeyRegistration>(ctx, &user.id, binding, state).await?;
    Ok((id, options))
}

/// WebAuthn §7.1, step two: checks the authenticator's answer (origin, challenge, user
/// verification) and stores the new credential.
pub async fn finish_registration(
    ctx: &Context,
    user: &User,
    binding: &str,
    ceremony: &str,
    credential: &RegisterPublicKeyCredential,
) -> Result<PasskeyCredential, MfaError> {
    let parked: Ceremony<PasskeyRegistration> = unpark(ctx, ceremony, binding).await?;
    if parked.user_id != user.id {
        return Err(MfaError::Refused("the passkey ceremony belongs to another user"));
    }
    let rp = relying_party(&ctx.issuer)?;
    let passkey = rp
        .finish_passkey_registration(credential, &parked.state)
        .map_err(|e| MfaError::Rejected(e.to_string()))?;
    let now = ctx.now();
    let record = PasskeyCredential {
        id: URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref()),
        user_id: user.id.clone(),
        name: format!("Passkey added {}", crate::timefmt::minute(now)),
        passkey: serde_json::to_string(&passkey).map_err(|e| MfaError::Internal(e.to_string()))?,
        created_at: now,
        last_used_at: None,
    };
    ctx.store.add_passkey(record.clone()).await?;
    Ok(record)
}

/// WebAuthn §7.2, step one: the options for `navigator.credentials.get()` with the user's
/// credentials; `None` when the user has no passkey.
pub async fn begin_authentication(
    ctx: &Context,
    user_id: &str,
    binding: &str,
) -> Result<Option<(String, RequestChallengeResponse)>, MfaError> {
    let mut keys = Vec::new();
    for p in ctx.store.passkeys(user_id).await? {
        keys.push(stored(&p)?);
    }
    if keys.is_empty() {
        return Ok(None);
    }
    let rp = relying_party(&ctx.issuer)?;
    let (options, state) = rp
        .start_passkey_authentication(&keys)
        .map_err(|e| MfaError::Internal(e.to_string()))?;
    let id = park::<PasskeyAuthentication>(ctx, user_id, binding, state).await?;
    Ok(Some((id, options)))
}

/// WebAuthn §7.2, step two: checks the assertion (origin, challenge, signature, user
/// verification, counter) and returns the user and the `amr` method.
pub async fn finish_authentication(
    ctx: &Context,
    binding: &str,
    ceremony: &str,
    credential: &PublicKeyCredential,
) -> Result<(String, AuthMethod), MfaError> {
    let parked: Ceremony<PasskeyAuthentication> = unpark(ctx, ceremony, binding).await?;
    let rp = relying_party(&ctx.issuer)?;
    let result = rp
        .finish_passkey_authentication(credential, &parked.state)
        .map_err(|e| MfaError::Rejected(e.to_string()))?;
    if !result.user_verified() {
        return Err(MfaError::Rejected("user verification was not done".into()));
    }
    let id = URL_SAFE_NO_PAD.encode(result.cred_id().as_ref());
    let record = ctx
        .store
        .passkey_by_id(&id)
        .await?
        .filter(|p| p.user_id == parked.user_id)
        .ok_or(MfaError::Refused("unknown passkey"))?;
    let mut passkey = stored(&record)?;
    passkey.update_credential(&result);
    let json = serde_json::to_string(&passkey).map_err(|e| MfaError::Internal(e.to_string()))?;
    ctx.store.update_passkey(&id, &json, ctx.now()).await?;
    Ok((parked.user_id, method_for(result.backup_eligible())))
}

/// docs/security.md G.4: `swk` for a backup-eligible (synced) credential, else `hwk`.
pub fn method_for(backup_eligible: bool) -> AuthMethod {
    if backup_eligible {
        AuthMethod::SoftwareKey
    } else {
        AuthMethod::HardwareKey
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn relying_party_is_the_issuer_host_and_needs_a_domain() {
        assert!(relying_party("https://login.example.com").is_ok());
        assert!(relying_party("http://localhost:8080").is_ok());
        assert!(relying_party("http://127.0.0.1:8080").is_err());
    }

    /// G.4: a backup-eligible (synced) credential is `swk`, a device-bound one `hwk`.
    #[test]
    fn passkey_amr_is_swk_when_backup_eligible_else_hwk() {
        assert_eq!(method_for(true), AuthMethod::SoftwareKey);
        assert_eq!(method_for(false), AuthMethod::HardwareKey);
    }

    #[test]
    fn user_handle_is_stable_and_not_the_user_id() {
        assert_eq!(user_handle("u1"), user_handle("u1"));
        assert_ne!(user_handle("u1"), user_handle("u2"));
    }
}
