//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5-4.6, OpenID Core §3.1.3).

use serde_json::json;

use crate::accounts::Audit;
use crate::context::{Context, RequestMeta};
use crate::digest::sha256_hex;
use crate::interaction::code::CodeRecord;
use crate::oauth::OAuthError;
use crate::oauth::authorization_request::RedirectUri;
use crate::oauth::params::ParamMap;
use crate::oauth::pkce;
use crate::oauth::scope::OFFLINE_ACCESS;
use crate::storage::{AuditKind, Client, Consumed, FamilyLifetime, Kind, TokenFamily, User};
use crate::tokens::dpop::Binding;
use crate::tokens::refresh::{self, NewFamily};
use crate::tokens::response::{self, Grant, TokenResponse};
use crate::tokens::{Subject, revocation};

fn invalid_code() -> OAuthError {
    OAuthError::invalid_grant("invalid authorization code")
}

/// RFC 6749 §4.1.3 + RFC 7636 §4.6: exchanges a single-use code for tokens. A second use is
/// `invalid_grant` and revokes everything the first use issued (docs/security.md B.8). With a
/// DPoP proof the access token, and a public client's refresh tokens, are bound to its key
/// (RFC 9449 §5).
pub async fn exchange(
    ctx: &Context,
    client: &Client,
    params: &ParamMap,
    binding: &Binding,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let record = redeem(ctx, client, params.require("code")?, meta).await?;
    check_redirect_uri(&record, params.get("redirect_uri"))?;
    check_pkce(&record, params.get("code_verifier"))?;
    let super::Redemption {
        audience,
        scope,
        user,
    } = super::redeem_authorization(
        ctx,
        params,
        (&record.resources, &record.scope),
        (&record.user_id, record.auth_time),
        invalid_code(),
    )
    .await?;
    let subject = Subject {
        user: Some(&user),
        auth_time: Some(record.auth_time),
        sid: Some(&record.sid),
        amr: &record.amr,
        idp: record.idp.as_deref(),
    };
    let refresh_token = if refresh::issued_to(client, &subject) {
        let new = NewFamily {
            dpop_jkt: binding.for_new_family(client),
            ..new_family(&record, &user, params)
        };
        Some(refresh::start_family(ctx, client, new).await?)
    } else {
        None
    };
    response::respond(
        ctx,
        Grant {
            client,
            subject,
            scope: &scope,
            jti: record.access_jti.clone(),
            nonce: record.nonce.as_deref(),
            refresh_token,
            binding,
            audience: &audience,
        },
    )
    .await
}

/// Consumes the code: the first use gets its record; a reuse revokes what the first use issued.
/// Expired codes and codes of another client are `invalid_grant`.
async fn redeem(
    ctx: &Context,
    client: &Client,
    code: &str,
    meta: &RequestMeta,
) -> Result<CodeRecord, OAuthError> {
    let record = match ctx.ephemeral.consume(Kind::Code, &sha256_hex(code)).await? {
        Consumed::First(raw) => parse(&raw)?,
        Consumed::Again(raw) => {
            let record = parse(&raw)?;
            revoke_grant(ctx, &record).await?;
            tracing::warn!(client_id = %client.client_id, grant = %record.grant_id, "authorization code reused; grant revoked");
            audit_reuse(ctx, client, &record, meta).await;
            return Err(invalid_code().with_detail("code reuse"));
        }
        Consumed::Missing => return Err(invalid_code()),
    };
    if record.expires_at <= ctx.now() {
        return Err(invalid_code().with_detail("code expired"));
    }
    if record.client_id != client.client_id {
        return Err(invalid_code().with_detail("code of another client"));
    }
    Ok(record)
}

fn new_family(record: &CodeRecord, user: &User, params: &ParamMap) -> NewFamily {
    // OpenID Core §11: without offline_access the family ends with the login session.
    let lifetime = if record.scope.contains(OFFLINE_ACCESS) {
        FamilyLifetime::Offline
    } else {
        FamilyLifetime::Session
    };
    NewFamily {
        id: record.grant_id.clone(),
        user_id: user.id.clone(),
        scope: record.scope.clone(),
        sid: Some(record.sid.clone()),
        auth_time: record.auth_time,
        device_name: params.device_name().or_else(|| record.device_name.clone()),
        user_agent: record.user_agent.clone(),
        ip: record.ip.clone(),
        lifetime,
        not_after: match lifetime {
            FamilyLifetime::Offline => None,
            FamilyLifetime::Session => record.session_expires_at,
        },
        dpop_jkt: None,
        amr: record.amr.clone(),
        idp: record.idp.clone(),
        resources: record.resources.clone(),
    }
}

fn parse(raw: &str) -> Result<CodeRecord, OAuthError> {
    serde_json::from_str(raw).map_err(OAuthError::server_error)
}

/// RFC 6749 §4.1.3: the redirect_uri must be identical when it was in the authorization request.
fn check_redirect_uri(record: &CodeRecord, sent: Option<&str>) -> Result<(), OAuthError> {
    match (sent, &record.redirect_uri) {
        (Some(uri), recorded) if uri == recorded.as_str() => Ok(()),
        (Some(_), _) => Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        )),
        (None, RedirectUri::Sent(_)) => Err(OAuthError::invalid_request("missing parameter: redirect_uri")),
        (None, RedirectUri::Registered(_)) => Ok(()),
    }
}

/// RFC 7636 §4.6 and RFC 9700 §2.1.1: a verifier must match the challenge; a verifier for a code
/// issued without a challenge is a downgrade attempt and refused.
fn check_pkce(record: &CodeRecord, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (&record.code_challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier sent for a code issued without PKCE",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant("missing code_verifier")),
        (Some(challenge), Some(v)) => {
            pkce::validate_verifier(v)?;
            if pkce::verify(challenge, v) {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant("PKCE verification failed")
                    .with_detail("code_verifier does not match code_challenge"))
            }
        }
    }
}

/// Records a code's reuse and the revocation of what its first use issued (docs/operations.md,
/// "Audit trail"), with the address of the request that reused it.
async fn audit_reuse(ctx: &Context, client: &Client, record: &CodeRecord, meta: &RequestMeta) {
    let (store, t) = (&ctx.store, ctx.now());
    let event = |kind| {
        Audit::new(kind)
            .user(Some(&record.user_id))
            .client(Some(&client.client_id))
            .ip(Some(&meta.ip))
    };
    let detail = json!({ "family_id": record.grant_id, "access_jti": record.access_jti });
    event(AuditKind::CodeReuse).detail(detail).write(store, t).await;
    let detail = json!({ "by": "code_reuse", "family_id": record.grant_id });
    event(AuditKind::FamilyRevoked)
        .detail(detail)
        .write(store, t)
        .await;
}

/// docs/security.md B.8: revokes the family and the access token a code's first use created, or
/// will create: when the first use has not stored its family yet, a revoked placeholder takes the
/// grant's id, so the first use's `start_family` fails and it gets `invalid_grant`.
async fn revoke_grant(ctx: &Context, record: &CodeRecord) -> Result<(), OAuthError> {
    let t = ctx.now();
    ctx.store.revoke_grant(barred_family(record, t), t).await?;
    let access_ttl = record
        .access_ttl_secs
        .unwrap_or(ctx.tokens.access_token_ttl_secs as i64);
    let access_expiry = record.expires_at + access_ttl;
    revocation::revoke_jti(ctx, &record.access_jti, access_expiry.max(t + 1)).await
}

/// The placeholder that bars a code's grant id: revoked, no refresh token, gone with the next purge
/// of dead grants.
fn barred_family(record: &CodeRecord, t: i64) -> TokenFamily {
    TokenFamily {
        id: record.grant_id.clone(),
        user_id: Some(record.user_id.clone()),
        client_id: record.client_id.clone(),
        scope: record.scope.clone(),
        sid: Some(record.sid.clone()),
        auth_time: record.auth_time,
        created_at: t,
        last_used_at: t,
        absolute_expires_at: t,
        revoked_at: Some(t),
        device_name: None,
        user_agent: None,
        ip: None,
        lifetime: FamilyLifetime::Offline,
        dpop_jkt: None,
        amr: Vec::new(),
        idp: None,
        resources: Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::interaction::{SignedIn, code};
    use crate::oauth::ErrorCode;
    use crate::testing::{self, FIRST_PARTY, PUBLIC, REDIRECT_URI, VERIFIER, World};

    /// A code for the user's fresh session, issued to `client_id`.
    async fn code_for(w: &World, client_id: &str) -> String {
        let session = w.sign_in().await;
        let request = w.request(client_id, "").await;
        let signed_in = SignedIn {
            session: &session,
            user: &w.user,
        };
        code::issue(&w.ctx, &request, &signed_in, &testing::meta())
            .await
            .unwrap()
    }

    fn token_request(code: &str, verifier: &str) -> ParamMap {
        let q = format!(
            "grant_type=authorization_code&code={code}&code_verifier={verifier}&redirect_uri={}",
            crate::cli::serve::percent_encode(REDIRECT_URI)
        );
        ParamMap::from_urlencoded(q.as_bytes()).unwrap()
    }

    #[tokio::test]
    async fn authorization_code_is_exchanged_once_for_tokens_of_its_session() {
        let w = testing::world().await;
        let client = w.client(FIRST_PARTY).await;
        let code = code_for(&w, FIRST_PARTY).await;
        let tokens = exchange(
            &w.ctx,
            &client,
            &token_request(&code, VERIFIER),
            &Binding::Bearer,
            &testing::meta(),
        )
        .await
        .unwrap();
        assert!(tokens.id_token.is_some(), "openid: an ID token");
        assert!(tokens.refresh_token.is_some(), "the client may refresh");
        let claims = crate::tokens::access::validate(&w.ctx, &tokens.access_token)
            .await
            .unwrap()
            .claims;
        assert_eq!(claims.sub, w.user.id);
        assert_eq!(claims.scope.to_string(), "offline_access openid");
    }

    #[tokio::test]
    async fn reused_code_is_invalid_grant_and_revokes_what_the_first_use_issued() {
        let w = testing::world().await;
        let client = w.client(FIRST_PARTY).await;
        let code = code_for(&w, FIRST_PARTY).await;
        let first = exchange(
            &w.ctx,
            &client,
            &token_request(&code, VERIFIER),
            &Binding::Bearer,
            &testing::meta(),
        )
        .await
        .unwrap();
        let again = exchange(
            &w.ctx,
            &client,
            &token_request(&code, VERIFIER),
            &Binding::Bearer,
            &testing::meta(),
        )
        .await
        .unwrap_err();
        assert_eq!(again.code, ErrorCode::InvalidGrant);
        let refresh = first.refresh_token.unwrap();
        let (_, family) = w
            .ctx
            .store
            .refresh_token(&sha256_hex(&refresh))
            .await
            .unwrap()
            .unwrap();
        assert!(family.revoked_at.is_some(), "the family is revoked");
        let access = crate::tokens::access::validate(&w.ctx, &first.access_token).await;
        assert_eq!(access.err().map(|e| e.code), Some(ErrorCode::InvalidToken));
    }

    /// B.8: a reuse that lands between the first redemption's `consume` and its `start_family`
    /// bars the family id: the first redemption gets `invalid_grant` instead of a live refresh
    /// token, and the access token it would have minted is revoked.
    #[tokio::test]
    async fn reuse_before_the_first_redemption_stores_its_family_leaves_no_live_token() {
        let w = testing::world().await;
        let client = w.client(FIRST_PARTY).await;
        let code = code_for(&w, FIRST_PARTY).await;
        let params = token_request(&code, VERIFIER);
        // The first redemption has consumed the code ...
        let consumed = w.ctx.ephemeral.consume(Kind::Code, &sha256_hex(&code)).await;
        let Ok(Consumed::First(raw)) = consumed else {
            panic!("first use: {consumed:?}")
        };
        let record = parse(&raw).unwrap();
        // ... when the second one arrives ...
        let again = exchange(&w.ctx, &client, &params, &Binding::Bearer, &testing::meta())
            .await
            .unwrap_err();
        assert_eq!(again.code, ErrorCode::InvalidGrant);
        // ... and only then does the first try to start its family.
        let family = new_family(&record, &w.user, &params);
        let first = refresh::start_family(&w.ctx, &client, family).await;
        assert_eq!(first.err().map(|e| e.code), Some(ErrorCode::InvalidGrant));
        let stored = w.ctx.store.family_by_id(&record.grant_id).await.unwrap().unwrap();
        assert!(
            stored.revoked_at.is_some(),
            "only a revoked placeholder carries the id"
        );
        let subject = Subject {
            user: Some(&w.user),
            auth_time: Some(record.auth_time),
            sid: Some(&record.sid),
            amr: &record.amr,
            idp: record.idp.as_deref(),
        };
        let jti = record.access_jti.clone();
        let audience = crate::tokens::audience::Audience::configured(&w.ctx);
        let minted = crate::tokens::access::mint(
            &w.ctx,
            crate::tokens::access::Mint {
                client: &client,
                subject: &subject,
                scope: &record.scope,
                jti,
                binding: &Binding::Bearer,
                groups: None,
                audience: &audience,
                act: None,
            },
        );
        let (access, _) = minted.unwrap();
        let checked = crate::tokens::access::validate(&w.ctx, &access).await;
        assert_eq!(checked.err().map(|e| e.code), Some(ErrorCode::InvalidToken));
    }

    #[tokio::test]
    async fn authorization_code_expires_after_code_ttl() {
        let w = testing::world().await;
        let client = w.client(FIRST_PARTY).await;
        let code = code_for(&w, FIRST_PARTY).await;
        w.advance(w.ctx.tokens.code_ttl_secs);
        let e = exchange(
            &w.ctx,
            &client,
            &token_request(&code, VERIFIER),
            &Binding::Bearer,
            &testing::meta(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
    }

    #[tokio::test]
    async fn code_is_bound_to_its_client_redirect_uri_and_pkce_verifier() {
        let w = testing::world().await;
        let code = code_for(&w, FIRST_PARTY).await;
        let other = w.client(PUBLIC).await;
        let e = exchange(
            &w.ctx,
            &other,
            &token_request(&code, VERIFIER),
            &Binding::Bearer,
            &testing::meta(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant, "another client");

        let client = w.client(FIRST_PARTY).await;
        let code = code_for(&w, FIRST_PARTY).await;
        let wrong_verifier = "x".repeat(43);
        let e = exchange(
            &w.ctx,
            &client,
            &token_request(&code, &wrong_verifier),
            &Binding::Bearer,
            &testing::meta(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant, "PKCE mismatch");

        let code = code_for(&w, FIRST_PARTY).await;
        let q = format!("grant_type=authorization_code&code={code}&code_verifier={VERIFIER}");
        let missing = ParamMap::from_urlencoded(q.as_bytes()).unwrap();
        let e = exchange(&w.ctx, &client, &missing, &Binding::Bearer, &testing::meta())
            .await
            .unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::InvalidRequest,
            "redirect_uri was sent, so it must be repeated"
        );
    }

    #[tokio::test]
    async fn code_of_a_user_who_changed_password_since_is_refused() {
        let w = testing::world().await;
        let client = w.client(FIRST_PARTY).await;
        let code = code_for(&w, FIRST_PARTY).await;
        w.advance(1);
        let store = &w.ctx.store;
        store
            .set_password(&w.user.id, "$argon2id$new", w.ctx.clock.now_ms())
            .await
            .unwrap();
        let e = exchange(
            &w.ctx,
            &client,
            &token_request(&code, VERIFIER),
            &Binding::Bearer,
            &testing::meta(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
    }
}
