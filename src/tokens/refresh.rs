//! Refresh tokens and their families (RFC 6749 §6, RFC 9700 §4.14): opaque 256-bit values stored
//! only as digests; a family is one login of one user on one client and device, and every
//! rotation stays in it.

use crate::context::Context;
use crate::digest::sha256_hex;
use crate::oauth::OAuthError;
use crate::oauth::scope::Scope;
use crate::random::secret_256;
use crate::storage::{
    AuthMethod, Client, FamilyLifetime, GrantType, RefreshToken, StorageError, TokenFamily,
};
use crate::tokens::Subject;

/// A new refresh token for `family`: (the value handed out, the row to store). It expires after
/// the idle lifetime, and never after the family's absolute end.
pub fn mint(ctx: &Context, family: &TokenFamily) -> (String, RefreshToken) {
    let value = secret_256();
    let t = ctx.now();
    let idle = t + ctx.tokens.refresh_idle_ttl_secs as i64;
    let row = RefreshToken {
        token_hash: sha256_hex(&value),
        family_id: family.id.clone(),
        client_id: family.client_id.clone(),
        user_id: family.user_id.clone(),
        scope: family.scope.clone(),
        created_at: t,
        expires_at: idle.min(family.absolute_expires_at),
        used_at: None,
    };
    (value, row)
}

/// Where a token family comes from: everything but the times, which [`start_family`] sets.
pub struct NewFamily {
    pub id: String,
    pub user_id: String,
    pub scope: Scope,
    pub sid: Option<String>,
    pub auth_time: i64,
    pub device_name: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// OpenID Core §11: offline, or bound to the login session `sid`.
    pub lifetime: FamilyLifetime,
    /// The family ends by then at the latest: for a session-bound family, the absolute end of
    /// its login session.
    pub not_after: Option<i64>,
    /// RFC 9449 §5: the key thumbprint its refresh tokens are bound to (public clients only).
    pub dpop_jkt: Option<String>,
    /// How the user signed in (RFC 8176), and through which upstream provider: what renewed ID
    /// tokens say.
    pub amr: Vec<AuthMethod>,
    pub idp: Option<String>,
    /// RFC 8707 §2.2: the APIs the grant is for (empty: the configured audience).
    pub resources: Vec<String>,
}

/// RFC 9700 §4.14.2: begins a token family for `client` with its first refresh token; returns
/// the token's value. The absolute lifetime counts from now. An id that is taken was barred by the
/// reuse of the code it comes from (docs/security.md B.8): `invalid_grant`.
pub async fn start_family(ctx: &Context, client: &Client, new: NewFamily) -> Result<String, OAuthError> {
    let t = ctx.now();
    let family = TokenFamily {
        id: new.id,
        user_id: Some(new.user_id),
        client_id: client.client_id.clone(),
        scope: new.scope,
        sid: new.sid,
        auth_time: new.auth_time,
        created_at: t,
        last_used_at: t,
        absolute_expires_at: (t + ctx.tokens.refresh_absolute_ttl_secs as i64)
            .min(new.not_after.unwrap_or(i64::MAX)),
        revoked_at: None,
        device_name: new.device_name,
        user_agent: new.user_agent,
        ip: new.ip,
        lifetime: new.lifetime,
        dpop_jkt: new.dpop_jkt,
        amr: new.amr,
        idp: new.idp,
        resources: new.resources,
    };
    let (value, row) = mint(ctx, &family);
    match ctx.store.create_family(family, Some(row)).await {
        Ok(()) => Ok(value),
        Err(StorageError::Conflict(_)) => Err(OAuthError::invalid_grant("invalid authorization code")
            .with_detail("the grant was revoked before its family was created (code reuse)")),
        Err(e) => Err(e.into()),
    }
}

/// Whether this client gets a refresh token: it must be allowed the refresh_token grant, and the
/// tokens must be about a user.
pub fn issued_to(client: &Client, subject: &Subject<'_>) -> bool {
    client.allows_grant(GrantType::RefreshToken) && subject.user.is_some()
}
