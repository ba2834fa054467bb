//! `grant_type=refresh_token` (RFC 6749 §6, RFC 9700 §4.14, docs/security.md C.13): rotation on
//! every use within one family, reuse revokes the family, idle and absolute expiry, scope only
//! narrows; a family bound to a DPoP key refreshes only with a proof of that key (RFC 9449 §5).

use serde_json::json;

use crate::accounts::Audit;
use crate::apis;
use crate::context::{Context, RequestMeta};
use crate::digest::sha256_hex;
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::oauth::resource;
use crate::oauth::scope::Scope;
use crate::random::random_id;
use crate::storage::{AuditKind, Client, RotateOutcome, TokenFamily, User};
use crate::tokens::Subject;
use crate::tokens::dpop::Binding;
use crate::tokens::refresh;
use crate::tokens::response::{self, Grant, TokenResponse};

fn invalid() -> OAuthError {
    OAuthError::invalid_grant("invalid refresh token")
}

/// RFC 6749 §6: exchanges a refresh token for new tokens and a new refresh token of the same family.
/// RFC 8707 §2.2: the access token is for the `resource`s named (each one the family's grant is
/// for, else `invalid_target`), or all of the grant's, with the scope narrowed to theirs.
pub async fn refresh(
    ctx: &Context,
    client: &Client,
    params: &ParamMap,
    binding: &Binding,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let hash = sha256_hex(params.require("refresh_token")?);
    let (token, family, user) = ctx.store.refresh_grant(&hash).await?.ok_or_else(invalid)?;
    if token.client_id != client.client_id {
        return Err(invalid().with_detail("refresh token of another client"));
    }
    let t = ctx.now();
    if family.revoked_at.is_some() {
        return Err(invalid().with_detail("family revoked"));
    }
    if token.expires_at <= t || family.absolute_expires_at <= t {
        return Err(invalid().with_detail("refresh token expired"));
    }
    check_binding(&family, binding)?;
    let user = active_user(ctx, &family, user, meta).await?;
    let scope = narrowed_scope(&family, client, params.get("scope"))?;
    let target = apis::select(ctx, &family.resources, &resource::requested(params)?).await?;
    let audience = target.audience(ctx)?;
    let scope = target.narrow(&scope);
    let (value, row) = refresh::mint(ctx, &family);
    match ctx
        .store
        .rotate_refresh_token(&hash, row, t, Some(meta.ip.clone()))
        .await?
    {
        RotateOutcome::Rotated => {}
        RotateOutcome::Reused { family_id } => {
            tracing::warn!(family = %family_id, client_id = %client.client_id, "refresh token reused; family revoked");
            let detail = json!({ "family_id": family_id });
            let event = family_event(&family, meta, AuditKind::RefreshReuse);
            event.detail(detail).write(&ctx.store, t).await;
            let detail = json!({ "by": "reuse", "family_id": family_id });
            let event = family_event(&family, meta, AuditKind::FamilyRevoked);
            event.detail(detail).write(&ctx.store, t).await;
            return Err(invalid().with_detail("refresh token reuse"));
        }
        RotateOutcome::NotFound => return Err(invalid()),
    }
    let subject = Subject {
        user: Some(&user),
        auth_time: Some(family.auth_time),
        sid: family.sid.as_deref(),
        amr: &family.amr,
        idp: family.idp.as_deref(),
    };
    let grant = Grant {
        client,
        subject,
        scope: &scope,
        jti: random_id(),
        nonce: None,
        refresh_token: Some(value),
        binding,
        audience: &audience,
    };
    response::respond(ctx, grant).await
}

/// RFC 9449 §5 (docs/security.md F.2): a family bound to a key refreshes only with a proof of
/// that key. Checked before the rotation, so a thief without the key uses nothing up.
fn check_binding(family: &TokenFamily, binding: &Binding) -> Result<(), OAuthError> {
    match (family.dpop_jkt.as_deref(), binding.jkt()) {
        (None, _) => Ok(()),
        (Some(bound), Some(proved)) if crate::digest::ct_eq(bound, proved) => Ok(()),
        (Some(_), Some(_)) => Err(invalid().with_detail("DPoP proof of another key")),
        (Some(_), None) => Err(OAuthError::invalid_grant(
            "this refresh token requires a DPoP proof",
        )),
    }
}

/// RFC 6749 §6: the scope may only narrow, and is re-checked against what the client may ask for
/// now (docs/security.md C.13).
fn narrowed_scope(
    family: &TokenFamily,
    client: &Client,
    requested: Option<&str>,
) -> Result<Scope, OAuthError> {
    let allowed_now = family.scope.intersect(&client.scopes);
    match requested {
        Some(raw) => {
            let requested = Scope::parse(raw)?;
            if !requested.is_subset_of(&family.scope) {
                return Err(OAuthError::invalid_scope("scope exceeds the original grant"));
            }
            Ok(requested.intersect(&allowed_now))
        }
        None => Ok(allowed_now),
    }
}

/// The family's user (read with the token, [`crate::storage::GrantStore::refresh_grant`]) must
/// still exist, be enabled, and not have changed password or been logged out since the family
/// began; otherwise the family is revoked.
async fn active_user(
    ctx: &Context,
    family: &TokenFamily,
    user: Option<User>,
    meta: &RequestMeta,
) -> Result<User, OAuthError> {
    match user {
        Some(u) if u.accepts_grant(family.auth_time) => Ok(u),
        _ => {
            if ctx.store.revoke_family(&family.id, ctx.now()).await? {
                let detail = json!({ "by": "user_state", "family_id": family.id });
                let event = family_event(family, meta, AuditKind::FamilyRevoked).detail(detail);
                event.write(&ctx.store, ctx.now()).await;
            }
            Err(invalid().with_detail("user disabled, removed, or credentials changed"))
        }
    }
}

/// An audit event about `family`, from the request's address.
fn family_event<'a>(family: &'a TokenFamily, meta: &'a RequestMeta, kind: AuditKind) -> Audit<'a> {
    Audit::new(kind)
        .user(family.user_id.as_deref())
        .client(Some(&family.client_id))
        .ip(Some(&meta.ip))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::oauth::ErrorCode;
    use crate::testing::{self, FIRST_PARTY, PUBLIC, World};
    use crate::tokens::refresh::{NewFamily, start_family};

    /// The first refresh token of a new family of the user with `client`.
    async fn family(w: &World, client: &Client) -> String {
        bound_family(w, client, None).await
    }

    /// Like [`family`], its refresh tokens bound to the key `jkt`.
    async fn bound_family(w: &World, client: &Client, jkt: Option<&str>) -> String {
        let new = NewFamily {
            id: random_id(),
            user_id: w.user.id.clone(),
            scope: Scope::from_tokens(["openid", "profile", "offline_access"]),
            sid: None,
            auth_time: w.ctx.now(),
            device_name: None,
            user_agent: None,
            ip: None,
            lifetime: crate::storage::FamilyLifetime::Offline,
            not_after: None,
            dpop_jkt: jkt.map(str::to_string),
            amr: vec![crate::storage::AuthMethod::Password],
            idp: None,
            resources: Vec::new(),
        };
        start_family(&w.ctx, client, new).await.unwrap()
    }

    async fn use_with(
        w: &World,
        client: &Client,
        token: &str,
        binding: &Binding,
    ) -> Result<TokenResponse, OAuthError> {
        let q = format!("grant_type=refresh_token&refresh_token={token}");
        let params = ParamMap::from_urlencoded(q.as_bytes()).unwrap();
        refresh(&w.ctx, client, &params, binding, &testing::meta()).await
    }

    async fn use_token(
        w: &World,
        client: &Client,
        token: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let mut q = format!("grant_type=refresh_token&refresh_token={token}");
        if let Some(s) = scope {
            q.push_str(&format!("&scope={s}"));
        }
        let params = ParamMap::from_urlencoded(q.as_bytes()).unwrap();
        refresh(&w.ctx, client, &params, &Binding::Bearer, &testing::meta()).await
    }

    fn refresh_of(r: &TokenResponse) -> String {
        r.refresh_token.clone().unwrap()
    }

    /// OpenID Core §12.2 / §2: an ID token renewed by a refresh token says how the user signed in
    /// (`amr`, the `acr` that follows from it, and `idp`) as the family's first one did, not `pwd`.
    #[tokio::test]
    async fn renewed_id_token_keeps_the_logins_amr_acr_and_idp() {
        use crate::storage::AuthMethod;
        let w = testing::world().await;
        let client = w.client(FIRST_PARTY).await;
        let new = NewFamily {
            id: random_id(),
            user_id: w.user.id.clone(),
            scope: Scope::from_tokens(["openid", "offline_access"]),
            sid: None,
            auth_time: w.ctx.now(),
            device_name: None,
            user_agent: None,
            ip: None,
            lifetime: crate::storage::FamilyLifetime::Offline,
            not_after: None,
            dpop_jkt: None,
            amr: vec![AuthMethod::Password, AuthMethod::Otp],
            idp: Some("corp".into()),
            resources: Vec::new(),
        };
        let token = start_family(&w.ctx, &client, new).await.unwrap();
        let r = use_token(&w, &client, &token, None).await.unwrap();
        let id_token = r.id_token.clone().expect("an ID token for the openid scope");
        let (_, claims) = w.ctx.keys.verify(&id_token).unwrap();
        assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp"]));
        assert_eq!(claims["acr"], crate::mfa::policy::ACR_MFA);
        assert_eq!(claims["idp"], "corp");
    }

    #[tokio::test]
    async fn refresh_rotates_the_token_within_its_family() {
        let w = testing::world().await;
        let client = w.client(FIRST_PARTY).await;
        let first = family(&w, &client).await;
        let next = refresh_of(&use_token(&w, &client, &first, None).await.unwrap());
        assert_ne!(next, first);
        let (_, a) = w
            .ctx
            .store
            .refresh_token(&sha256_hex(&first))
            .await
            .unwrap()
            .unwrap();
        let (_, b) = w
            .ctx
            .store
            .refresh_token(&sha256_hex(&next))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.id, b.id, "same family");
        assert!(use_token(&w, &client, &next, None).await.is_ok());
    }

    #[tokio::test]
    async fn reused_refresh_token_revokes_the_family() {
        let w = testing::world().await;
        let client = w.client(FIRST_PARTY).await;
        let first = family(&w, &client).await;
        let next = refresh_of(&use_token(&w, &client, &first, None).await.unwrap());
        let e = use_token(&w, &client, &first, None).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
        let e = use_token(&w, &client, &next, None).await.unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::InvalidGrant,
            "the newest token of the family is dead too"
        );
    }

    #[tokio::test]
    async fn refresh_token_expires_after_idle_and_absolute_lifetimes() {
        let w = testing::world().await;
        let client = w.client(FIRST_PARTY).await;
        let idle = w.ctx.tokens.refresh_idle_ttl_secs;
        let token = family(&w, &client).await;
        w.advance(idle);
        assert_eq!(
            use_token(&w, &client, &token, None).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );

        // Used every day, a family still ends at its absolute lifetime.
        let mut token = family(&w, &client).await;
        let absolute = w.ctx.tokens.refresh_absolute_ttl_secs;
        for _ in 0..absolute / idle {
            w.advance(idle - 1);
            token = refresh_of(&use_token(&w, &client, &token, None).await.unwrap());
        }
        w.advance(idle - 1);
        assert_eq!(
            use_token(&w, &client, &token, None).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
    }

    #[tokio::test]
    async fn refresh_scope_may_only_narrow() {
        let w = testing::world().await;
        let client = w.client(FIRST_PARTY).await;
        let token = family(&w, &client).await;
        let narrowed = use_token(&w, &client, &token, Some("openid")).await.unwrap();
        assert_eq!(narrowed.scope.to_string(), "openid");
        let e = use_token(&w, &client, &refresh_of(&narrowed), Some("openid+email")).await;
        assert_eq!(e.unwrap_err().code, ErrorCode::InvalidScope);
    }

    #[tokio::test]
    async fn refresh_token_is_bound_to_its_client() {
        let w = testing::world().await;
        let token = family(&w, &w.client(FIRST_PARTY).await).await;
        let other = w.client(PUBLIC).await;
        assert_eq!(
            use_token(&w, &other, &token, None).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
    }

    #[tokio::test]
    async fn disabled_user_ends_the_family() {
        let w = testing::world().await;
        let client = w.client(FIRST_PARTY).await;
        let token = family(&w, &client).await;
        w.ctx
            .store
            .set_disabled(&w.user.id, true, w.ctx.now())
            .await
            .unwrap();
        assert_eq!(
            use_token(&w, &client, &token, None).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        w.ctx
            .store
            .set_disabled(&w.user.id, false, w.ctx.now())
            .await
            .unwrap();
        let e = use_token(&w, &client, &token, None).await.unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::InvalidGrant,
            "enabling again does not revive the family"
        );
    }

    /// docs/security.md F.2: RFC 9449 §5.
    #[tokio::test]
    async fn bound_refresh_token_needs_a_proof_of_its_key_and_a_wrong_one_uses_nothing_up() {
        let w = testing::world().await;
        let client = w.client(PUBLIC).await;
        let token = bound_family(&w, &client, Some("key-1")).await;
        for wrong in [Binding::Bearer, Binding::Dpop { jkt: "key-2".into() }] {
            let e = use_with(&w, &client, &token, &wrong).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidGrant, "{wrong:?}");
        }
        let right = Binding::Dpop { jkt: "key-1".into() };
        let next = use_with(&w, &client, &token, &right).await.unwrap();
        assert_eq!(next.token_type, "DPoP");
        let (_, family) = w
            .ctx
            .store
            .refresh_token(&sha256_hex(&refresh_of(&next)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            family.dpop_jkt.as_deref(),
            Some("key-1"),
            "the binding stays with the family"
        );
    }
}
