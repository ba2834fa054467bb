//! ID tokens (OpenID Core §2, §3.1.3.6): `iss, sub, aud, exp, iat, auth_time, nonce, at_hash, azp,
//! amr, sid`, signed with the client's `id_token_signed_response_alg`; and checking the
//! `id_token_hint` a client sends back.

use serde_json::Value;

use crate::context::Context;
use crate::keys::{Alg, JsonMap, KeyRing};
use crate::oauth::OAuthError;
use crate::storage::{AuthMethod, Client, User};

/// What an ID token says.
pub struct IdTokenInput<'a> {
    pub client: &'a Client,
    pub user: &'a User,
    pub nonce: Option<&'a str>,
    pub auth_time: Option<i64>,
    pub sid: Option<&'a str>,
    pub amr: &'a [AuthMethod],
    /// The upstream OpenID provider the user signed in through (`idp`, docs/guides/federation.md).
    pub idp: Option<&'a str>,
    /// The access token issued with it, for `at_hash`.
    pub access_token: Option<&'a str>,
    /// The `groups` claim, when the `groups` scope was granted (docs/clients.md, "Groups").
    pub groups: Option<&'a [String]>,
}

/// The algorithm for a client's ID tokens: its registered one if we have a key for it.
pub fn alg_for(ctx: &Context, client: &Client) -> Alg {
    let wanted = client.id_token_signed_response_alg;
    if ctx.keys.signing_algs().contains(&wanted) {
        wanted
    } else {
        ctx.default_alg
    }
}

/// OpenID Core §2 + §3.1.3.6: builds and signs the ID token.
pub fn sign(ctx: &Context, input: &IdTokenInput<'_>) -> Result<String, OAuthError> {
    let alg = alg_for(ctx, input.client);
    let t = ctx.now();
    let mut claims = JsonMap::new();
    let mut put = |name: &str, value: Value| {
        claims.insert(name.to_string(), value);
    };
    put("iss", Value::from(&*ctx.issuer));
    put("sub", Value::from(input.user.id.as_str()));
    put("aud", Value::from(input.client.client_id.as_str()));
    put("azp", Value::from(input.client.client_id.as_str()));
    put("exp", Value::from(t + ctx.tokens.id_token_ttl_secs as i64));
    put("iat", Value::from(t));
    if let Some(auth_time) = input.auth_time {
        put("auth_time", Value::from(auth_time));
    }
    if let Some(nonce) = input.nonce {
        put("nonce", Value::from(nonce));
    }
    if let Some(at) = input.access_token {
        put("at_hash", Value::from(KeyRing::half_hash(alg, at)));
    }
    if !input.amr.is_empty() {
        put(
            "amr",
            serde_json::to_value(input.amr).map_err(OAuthError::server_error)?,
        );
        // docs/security.md G.2: what the login did, as OpenID Core §2 `acr`.
        put("acr", Value::from(crate::mfa::policy::acr_for(input.amr)));
    }
    if let Some(sid) = input.sid {
        put("sid", Value::from(sid));
    }
    if let Some(idp) = input.idp {
        put("idp", Value::from(idp));
    }
    crate::groups::insert(&mut claims, input.groups);
    ctx.keys
        .sign(alg, None, &claims)
        .map_err(OAuthError::server_error)
}

/// A verified `id_token_hint`: who it names and for which client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenHint {
    pub sub: String,
    /// The `aud` (client_id): a string, or the first of an array.
    pub client_id: Option<String>,
}

/// Verifies an `id_token_hint` we issued (OpenID Core §3.1.2.1, RP-Initiated Logout §2,
/// docs/security.md D.22): signature and issuer; an ID token, not an access token (`typ` is not
/// `at+jwt`, RFC 9068 §2.1); and its `aud` names a client of this issuer. An expired hint is still
/// accepted, as RP-Initiated Logout §2 allows.
pub async fn verify_hint(ctx: &Context, hint: &str) -> Result<IdTokenHint, OAuthError> {
    let invalid = || OAuthError::invalid_request("invalid id_token_hint");
    let (header, claims) = ctx.keys.verify(hint).map_err(|e| invalid().with_detail(e))?;
    let typ = header.get("typ").and_then(Value::as_str).unwrap_or_default();
    if typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt") {
        return Err(invalid().with_detail("an access token, not an ID token"));
    }
    if claims.get("iss").and_then(Value::as_str) != Some(&*ctx.issuer) {
        return Err(invalid().with_detail("foreign issuer"));
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid().with_detail("no sub"))?;
    // OpenID Core §2: our ID tokens have one audience, the client (a string, or an array of one).
    let client_id = match claims.get("aud") {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(Value::Array(a)) if a.len() == 1 => a[0].as_str(),
        _ => None,
    }
    .ok_or_else(|| invalid().with_detail("aud is not one client"))?;
    if ctx.store.client_by_id(client_id).await?.is_none() {
        return Err(invalid().with_detail("aud is not a client of this issuer"));
    }
    Ok(IdTokenHint {
        sub: sub.to_string(),
        client_id: Some(client_id.to_string()),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::testing::{self, FIRST_PARTY};

    /// D.22: an `id_token_hint` must be an ID token (not `typ: at+jwt`) whose `aud` is one client
    /// of this issuer; an expired ID token is still a hint.
    #[tokio::test]
    async fn id_token_hint_must_be_an_id_token_for_one_of_our_clients() {
        let w = testing::world().await;
        let client = w.client(FIRST_PARTY).await;
        let input = IdTokenInput {
            client: &client,
            user: &w.user,
            nonce: None,
            auth_time: None,
            sid: None,
            amr: &[],
            idp: None,
            access_token: None,
            groups: None,
        };
        let id_token = sign(&w.ctx, &input).unwrap();
        let hint = verify_hint(&w.ctx, &id_token).await.unwrap();
        assert_eq!(hint.sub, w.user.id);
        assert_eq!(hint.client_id.as_deref(), Some(FIRST_PARTY));
        w.advance(w.ctx.tokens.id_token_ttl_secs + 60);
        assert!(
            verify_hint(&w.ctx, &id_token).await.is_ok(),
            "expired: still a hint"
        );

        let token = |typ: Option<&str>, aud: Value| {
            let mut claims = JsonMap::new();
            claims.insert("iss".into(), Value::from(&*w.ctx.issuer));
            claims.insert("sub".into(), Value::from(w.user.id.as_str()));
            claims.insert("aud".into(), aud);
            claims.insert("exp".into(), Value::from(w.ctx.now() + 60));
            w.ctx.keys.sign(w.ctx.default_alg, typ, &claims).unwrap()
        };
        let refused = [
            ("an access token", token(Some("at+jwt"), Value::from(FIRST_PARTY))),
            (
                "a media-type access token",
                token(Some("application/at+jwt"), Value::from(FIRST_PARTY)),
            ),
            ("the issuer as audience", token(None, Value::from(&*w.ctx.issuer))),
            ("an unknown client", token(None, Value::from("stranger"))),
            (
                "two audiences",
                token(None, serde_json::json!([FIRST_PARTY, "stranger"])),
            ),
            ("no audience", token(None, Value::Null)),
        ];
        for (what, t) in refused {
            let e = verify_hint(&w.ctx, &t).await.unwrap_err();
            assert_eq!(e.code, crate::oauth::ErrorCode::InvalidRequest, "{what}");
        }
        let one = token(None, serde_json::json!([FIRST_PARTY]));
        assert!(verify_hint(&w.ctx, &one).await.is_ok(), "an array of one client");
    }
}
