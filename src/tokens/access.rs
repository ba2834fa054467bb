//! JWT access tokens (RFC 9068): their claims, minting, and validating a bearer token
//! (RFC 6750 §3.1, RFC 9068 §4, docs/security.md C.15, C.18).

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::keys::JsonMap;
use crate::oauth::OAuthError;
use crate::oauth::scope::Scope;
use crate::storage::{Client, User};
use crate::tokens::Subject;
use crate::tokens::audience::{Aud, Audience};
use crate::tokens::dpop::Binding;

/// Longest access token accepted for validation, before any parsing.
const MAX_TOKEN_LEN: usize = 8192;

/// The claims of an access token (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    /// The user's id, or the client_id for client_credentials (RFC 9068 §2.2).
    pub sub: String,
    /// The API(s) the token is for (RFC 8707 §2), or the configured audience.
    pub aud: Aud,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Scope::is_empty")]
    pub scope: Scope,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The login session, for logout and session views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// RFC 9449 §6.1: the key a DPoP-bound token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// The user's groups as the client may see them, with the `groups` scope (docs/clients.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// RFC 8693 §4.1: the actor of a delegated token (`sub`, and the prior actors nested).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<serde_json::Value>,
}

/// RFC 7800 §3.1 confirmation claim with RFC 9449 §6.1's `jkt`: the RFC 7638 thumbprint of the
/// key whose DPoP proofs must accompany the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub jkt: String,
}

impl AccessTokenClaims {
    /// Whether the token was issued to a user (as opposed to a client for itself).
    pub fn has_user(&self) -> bool {
        self.sub != self.client_id || self.auth_time.is_some()
    }

    pub fn to_map(&self) -> Result<JsonMap, OAuthError> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => Ok(m),
            Ok(_) => Err(OAuthError::server_error("access token claims are not an object")),
            Err(e) => Err(OAuthError::server_error(e)),
        }
    }
}

/// RFC 9068 §4 checks after the signature: `typ` is `at+jwt`, `iss` is ours, not expired, not
/// before `nbf` (a minute of clock skew allowed). Returns the typed claims or `invalid_token`.
pub fn check_claims(
    header: &JsonMap,
    claims: JsonMap,
    issuer: &str,
    now: i64,
) -> Result<AccessTokenClaims, OAuthError> {
    check_typ(header)?;
    let claims: AccessTokenClaims = serde_json::from_value(serde_json::Value::Object(claims))
        .map_err(|e| OAuthError::invalid_token("malformed access token").with_detail(e))?;
    check_typed(claims, issuer, now)
}

/// [`check_claims`] on the verified payload's bytes, read straight into the typed claims.
pub fn check_payload(
    header: &JsonMap,
    payload: &[u8],
    issuer: &str,
    now: i64,
) -> Result<AccessTokenClaims, OAuthError> {
    check_typ(header)?;
    let claims: AccessTokenClaims = serde_json::from_slice(payload)
        .map_err(|e| OAuthError::invalid_token("malformed access token").with_detail(e))?;
    check_typed(claims, issuer, now)
}

/// RFC 9068 §4: the header's `typ` is `at+jwt` (checked before the claims are read, so that an ID
/// token is refused as "not an access token").
fn check_typ(header: &JsonMap) -> Result<(), OAuthError> {
    let typ = header.get("typ").and_then(|v| v.as_str()).unwrap_or_default();
    if !typ.eq_ignore_ascii_case("at+jwt") && !typ.eq_ignore_ascii_case("application/at+jwt") {
        return Err(OAuthError::invalid_token("not an access token"));
    }
    Ok(())
}

fn check_typed(claims: AccessTokenClaims, issuer: &str, now: i64) -> Result<AccessTokenClaims, OAuthError> {
    if claims.iss != issuer {
        return Err(OAuthError::invalid_token("token from another issuer"));
    }
    if claims.exp <= now {
        return Err(OAuthError::invalid_token("the access token expired"));
    }
    if claims.nbf > now + 60 {
        return Err(OAuthError::invalid_token("the access token is not yet valid"));
    }
    Ok(claims)
}

/// What one access token is made of.
pub struct Mint<'a> {
    pub client: &'a Client,
    pub subject: &'a Subject<'a>,
    pub scope: &'a Scope,
    pub jti: String,
    pub binding: &'a Binding,
    pub groups: Option<&'a [String]>,
    /// Its `aud`, lifetime and algorithm (RFC 8707: the API's, or the configured ones).
    pub audience: &'a Audience,
    /// RFC 8693 §4.1: who acts for the subject (token exchange with an actor token).
    pub act: Option<serde_json::Value>,
}

/// RFC 9068 §2: signs an access token for `audience` (its `aud`, with its lifetime and algorithm;
/// docs/security.md J.3); returns it and its lifetime. A DPoP-bound token carries `cnf.jkt`
/// (RFC 9449 §6.1); with the `groups` scope, `groups`.
pub fn mint(ctx: &Context, m: Mint<'_>) -> Result<(String, i64), OAuthError> {
    let Mint {
        client,
        subject,
        scope,
        jti,
        binding,
        groups,
        audience,
        act,
    } = m;
    // docs/security.md M.2: the admin scope only ever in a client's own token for the admin API.
    crate::admin::may_mint(
        &ctx.issuer,
        client,
        subject.user.is_some(),
        act.is_some(),
        scope,
        &audience.aud,
    )?;
    let alg = audience.signing_alg(ctx, client)?;
    let t = ctx.now();
    let ttl = audience.ttl_secs;
    let claims = AccessTokenClaims {
        iss: ctx.issuer.to_string(),
        sub: subject
            .user
            .map(|u| u.id.clone())
            .unwrap_or_else(|| client.client_id.clone()),
        aud: audience.aud.clone(),
        client_id: client.client_id.clone(),
        scope: scope.clone(),
        exp: t + ttl,
        iat: t,
        nbf: t,
        jti,
        auth_time: subject.auth_time,
        sid: subject.sid.map(str::to_string),
        cnf: binding.jkt().map(|jkt| Confirmation { jkt: jkt.to_string() }),
        groups: groups.map(<[String]>::to_vec),
        act,
    };
    let payload = serde_json::to_vec(&claims).map_err(OAuthError::server_error)?;
    let token = ctx
        .keys
        .sign_json(alg, Some("at+jwt"), &payload)
        .map_err(OAuthError::server_error)?;
    Ok((token, ttl))
}

/// Verifies the signature and RFC 9068 claims of something that looks like one of our access
/// tokens. `None` when it is not a JWS we can verify.
pub fn verify(ctx: &Context, token: &str) -> Option<Result<AccessTokenClaims, OAuthError>> {
    if token.len() > MAX_TOKEN_LEN || token.split('.').count() != 3 {
        return None;
    }
    let (header, payload) = ctx.keys.verify_json(token).ok()?;
    Some(check_payload(&header, &payload, &ctx.issuer, ctx.now()))
}

/// A valid access token and, when it was issued to a user, that user.
pub struct ValidToken {
    pub claims: AccessTokenClaims,
    pub user: Option<User>,
}

/// Verifies signature (allow-listed algorithm, the kid's own), `typ`, issuer, expiry, that the
/// `jti` was not revoked (docs/security.md C.18, E.30: this node's cache, or the database when the
/// cache is not known to be complete), and that the user is still enabled and not logged out since
/// (E.35: this node's cache of users, at most a second old).
/// Every failure is `invalid_token`; a database that cannot say is `Unavailable`.
pub async fn validate(ctx: &Context, token: &str) -> Result<ValidToken, OAuthError> {
    if token.len() > MAX_TOKEN_LEN || token.split('.').count() != 3 {
        return Err(OAuthError::invalid_token("malformed access token"));
    }
    let (header, payload) = ctx
        .keys
        .verify_json(token)
        .map_err(|e| OAuthError::invalid_token("invalid access token").with_detail(e))?;
    let claims = check_payload(&header, &payload, &ctx.issuer, ctx.now())?;
    let revoked = ctx
        .revoked
        .is_revoked(ctx.store.as_ref(), &ctx.clock, &claims.jti)
        .await?;
    if revoked {
        return Err(OAuthError::invalid_token("the access token was revoked"));
    }
    let user = if claims.has_user() {
        // docs/security.md E.35: at most a second old, as the revoked ids above (E.30).
        let user = ctx
            .store
            .user_for_token(&claims.sub)
            .await?
            .filter(|u| u.accepts_access_token(claims.iat))
            .ok_or_else(|| OAuthError::invalid_token("the access token is no longer valid"))?;
        Some(user)
    } else {
        None
    };
    Ok(ValidToken { claims, user })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn claims(now: i64) -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "https://id.example".into(),
            sub: "u1".into(),
            aud: Aud::one("https://id.example"),
            client_id: "c1".into(),
            scope: Scope::from_tokens(["openid"]),
            exp: now + 60,
            iat: now,
            nbf: now,
            jti: "j".into(),
            auth_time: Some(now),
            sid: None,
            cnf: None,
            groups: None,
            act: None,
        }
    }

    fn header(typ: &str) -> JsonMap {
        let mut h = JsonMap::new();
        h.insert("typ".into(), typ.into());
        h
    }

    #[test]
    fn rfc9068_typ_must_be_at_jwt() {
        let c = claims(100).to_map().unwrap();
        assert!(check_claims(&header("JWT"), c.clone(), "https://id.example", 100).is_err());
        assert!(check_claims(&header("at+jwt"), c, "https://id.example", 100).is_ok());
    }

    #[test]
    fn expired_or_foreign_tokens_are_invalid() {
        let c = claims(100).to_map().unwrap();
        assert!(check_claims(&header("at+jwt"), c.clone(), "https://id.example", 160).is_err());
        assert!(check_claims(&header("at+jwt"), c, "https://other.example", 100).is_err());
    }

    #[test]
    fn scope_is_a_space_separated_string_in_the_token() {
        let map = claims(100).to_map().unwrap();
        assert_eq!(map["scope"], "openid");
    }
}
