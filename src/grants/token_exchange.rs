//! `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693, docs/guides/apis.md
//! "Token exchange", docs/security.md J.6-J.9): a client swaps a token Portcullis issued (an
//! access token it may see, or an ID token issued to it) for an access token for another API,
//! with a scope never wider than the subject token's, on behalf of the same user, optionally
//! naming an actor (`act`, RFC 8693 §4.1).

use serde_json::{Value, json};

use crate::accounts::Audit;
use crate::apis::{self, Target};
use crate::context::{Context, RequestMeta};
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::oauth::resource;
use crate::oauth::scope::{OFFLINE_ACCESS, Scope};
use crate::random::random_id;
use crate::storage::{AuditKind, Client, FamilyLifetime, GrantType, User};
use crate::tokens::access::{self, AccessTokenClaims, Mint};
use crate::tokens::dpop::Binding;
use crate::tokens::refresh::{self, NewFamily};
use crate::tokens::response::TokenResponse;
use crate::tokens::{Subject, introspection};

/// RFC 8693 §3: an access token issued by this server.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// RFC 8693 §3: an ID token issued by this server.
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";

/// Most `audience` values accepted (RFC 8693 §2.1 allows several; E.28 bounds input).
const MAX_AUDIENCES: usize = 10;

/// A verified subject or actor token: whom it is about, and what it allows.
struct Verified {
    /// `sub`: the user's id, or a client's for a token a client got for itself.
    sub: String,
    /// The user; `None` for a client's own token (allowed as an actor only).
    user: Option<User>,
    /// What the token allows; an exchange never widens it.
    scope: Scope,
    auth_time: Option<i64>,
    sid: Option<String>,
    /// Its own `act`, if it was itself delegated.
    act: Option<Value>,
    /// Its `jti`, for the audit trail.
    jti: Option<String>,
}

fn invalid(what: &'static str) -> OAuthError {
    OAuthError::invalid_request(what)
}

/// RFC 8693 §2.1-2.2: the exchange. Errors: `invalid_request` for a missing, unsupported or
/// invalid token (§2.2.2), `invalid_target` for an unknown target or one the client may not
/// exchange into, `invalid_scope` for a scope wider than the subject token's.
pub async fn exchange(
    ctx: &Context,
    client: &Client,
    params: &ParamMap,
    binding: &Binding,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "public clients cannot exchange tokens",
        ));
    }
    // §2.1: only access tokens can be asked for.
    if params
        .get("requested_token_type")
        .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
    {
        return Err(invalid("requested_token_type must be an access token"));
    }
    let subject = verify(
        ctx,
        client,
        binding,
        params.require("subject_token")?,
        params.require("subject_token_type")?,
    )
    .await?;
    // A client acting for itself has client_credentials; an exchange acts for a user.
    let user = subject
        .user
        .clone()
        .ok_or_else(|| invalid("the subject token must be about a user"))?;
    let actor = match (params.get("actor_token"), params.get("actor_token_type")) {
        (None, None) => None,
        (Some(token), Some(kind)) => Some(verify(ctx, client, binding, token, kind).await?),
        (Some(_), None) => return Err(invalid("missing parameter: actor_token_type")),
        (None, Some(_)) => return Err(invalid("actor_token_type without actor_token")),
    };
    let target = target(ctx, client, params).await?;
    let scope = target.scope_for(
        params.get("scope"),
        &subject.scope,
        "scope is wider than the subject token's",
    )?;
    let audience = target.audience(ctx)?;
    // RFC 8693 §4.1: the actor, with the actors before it nested.
    let act = actor.as_ref().map(|a| match &a.act {
        Some(prior) => json!({ "sub": a.sub, "act": prior }),
        None => json!({ "sub": a.sub }),
    });
    if !crate::groups::admits(ctx, client, &user).await? {
        let e = crate::groups::denied(ctx, client, &user, None).await;
        return Err(OAuthError::invalid_grant(e.description));
    }
    let groups = crate::groups::claim(ctx, client, &user, &scope).await?;
    let amr = [];
    let who = Subject {
        user: Some(&user),
        auth_time: subject.auth_time,
        sid: subject.sid.as_deref(),
        amr: &amr,
        idp: None,
    };
    let jti = random_id();
    let (access_token, expires_in) = access::mint(
        ctx,
        Mint {
            client,
            subject: &who,
            scope: &scope,
            jti: jti.clone(),
            binding,
            groups: groups.as_deref(),
            audience: &audience,
            act: act.clone(),
        },
    )?;
    let refresh_token = refresh_token(ctx, client, &user, &subject, &scope, &target, act.is_some()).await?;
    audit(ctx, client, &subject, &target, &scope, &act, &jti, meta).await;
    Ok(TokenResponse {
        access_token,
        token_type: binding.token_type(),
        expires_in,
        scope,
        refresh_token,
        id_token: None,
        issued_token_type: Some(ACCESS_TOKEN_TYPE),
    })
}

/// RFC 8693 §2.1 `resource` and `audience`: the API(s) to exchange into. At least one, each a
/// registered API the client may exchange into (`client add --exchange-to`); otherwise
/// `invalid_target` (§2.2.2).
async fn target(ctx: &Context, client: &Client, params: &ParamMap) -> Result<Target, OAuthError> {
    let mut wanted = resource::requested(params)?;
    let audiences = params.all("audience");
    if audiences.len() > MAX_AUDIENCES {
        return Err(OAuthError::invalid_target("too many audience parameters"));
    }
    for a in audiences {
        if !wanted.contains(a) {
            wanted.push(a.clone());
        }
    }
    if wanted.is_empty() {
        return Err(OAuthError::invalid_target(
            "name the API to exchange into with resource or audience",
        ));
    }
    let policy = ctx.store.client_api_policy(&client.client_id).await?;
    if let Some(w) = wanted.iter().find(|w| !policy.exchange_to.contains(w)) {
        return Err(
            OAuthError::invalid_target("the client may not exchange tokens into this target")
                .with_detail(w.clone()),
        );
    }
    apis::load(ctx, &wanted).await
}

/// Verifies a subject or actor token of `kind`: issued by us, signed, not expired, not revoked,
/// about a user who still accepts it; an access token the client may see (the rule of
/// introspection, security.md E.31, J.5), or an ID token issued to the client (`aud`/`azp`).
/// A DPoP-bound access token needs a proof of its key. Anything else is `invalid_request`.
async fn verify(
    ctx: &Context,
    client: &Client,
    binding: &Binding,
    token: &str,
    kind: &str,
) -> Result<Verified, OAuthError> {
    match kind {
        ACCESS_TOKEN_TYPE => {
            let valid = access::validate(ctx, token)
                .await
                .map_err(|e| invalid("the token is not valid").with_detail(e.description))?;
            let c: AccessTokenClaims = valid.claims;
            if !introspection::may_see_access(ctx, client, &c).await? {
                return Err(invalid("the token is not valid").with_detail("not the client's to exchange"));
            }
            if c.cnf
                .as_ref()
                .is_some_and(|cnf| binding.jkt() != Some(cnf.jkt.as_str()))
            {
                return Err(invalid("a DPoP-bound token needs a proof of its key"));
            }
            Ok(Verified {
                sub: c.sub,
                user: valid.user,
                scope: c.scope,
                auth_time: c.auth_time,
                sid: c.sid,
                act: c.act,
                jti: Some(c.jti),
            })
        }
        ID_TOKEN_TYPE => verify_id_token(ctx, client, token).await,
        _ => Err(invalid("unsupported token type")),
    }
}

/// An ID token we issued to this client (OpenID Core §2: `aud` names it, `azp` if present is it),
/// unexpired, whose user is enabled and has not signed out everywhere since. Its scope is what
/// the user allowed the client: all of the client's for a first-party client, else the
/// remembered consent.
async fn verify_id_token(ctx: &Context, client: &Client, token: &str) -> Result<Verified, OAuthError> {
    let bad = |d: &'static str| invalid("the token is not valid").with_detail(d);
    let (header, claims) = ctx.keys.verify(token).map_err(|_| bad("signature"))?;
    let typ = header.get("typ").and_then(Value::as_str).unwrap_or_default();
    if typ.to_ascii_lowercase().ends_with("+jwt") || claims.contains_key("events") {
        return Err(bad("not an ID token"));
    }
    if claims.get("iss").and_then(Value::as_str) != Some(&*ctx.issuer) {
        return Err(bad("issuer"));
    }
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    if exp <= ctx.now() {
        return Err(bad("expired"));
    }
    let for_client = match claims.get("aud") {
        Some(Value::String(s)) => *s == client.client_id,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(&client.client_id)),
        _ => false,
    };
    let azp_ok = claims
        .get("azp")
        .is_none_or(|v| v.as_str() == Some(&client.client_id));
    if !for_client || !azp_ok {
        return Err(bad("issued to another client"));
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no sub"))?;
    let iat = claims.get("iat").and_then(Value::as_i64).unwrap_or(0);
    let user = ctx
        .store
        .user_by_id(sub)
        .await?
        .filter(|u| u.accepts_access_token(iat))
        .ok_or_else(|| bad("user no longer accepts it"))?;
    let scope = if client.first_party {
        client.scopes.clone()
    } else {
        ctx.store
            .consent(&user.id, &client.client_id)
            .await?
            .map(|c| c.scope.intersect(&client.scopes))
            .unwrap_or_default()
    };
    Ok(Verified {
        sub: sub.to_string(),
        user: Some(user),
        scope,
        auth_time: claims.get("auth_time").and_then(Value::as_i64),
        sid: claims.get("sid").and_then(Value::as_str).map(str::to_string),
        act: None,
        jti: None,
    })
}

/// docs/security.md J.8: a refresh token only when `tokens.exchange_refresh_tokens` is on, the
/// client may refresh, and the token acts for no one else (a refresh would lose `act`). It is
/// offline with `offline_access`, else bound to the subject token's login session (none without
/// one).
#[allow(clippy::too_many_arguments)]
async fn refresh_token(
    ctx: &Context,
    client: &Client,
    user: &User,
    subject: &Verified,
    scope: &Scope,
    target: &Target,
    delegated: bool,
) -> Result<Option<String>, OAuthError> {
    if !ctx.tokens.exchange_refresh_tokens || delegated || !client.allows_grant(GrantType::RefreshToken) {
        return Ok(None);
    }
    let lifetime = if scope.contains(OFFLINE_ACCESS) {
        FamilyLifetime::Offline
    } else if subject.sid.is_some() {
        FamilyLifetime::Session
    } else {
        return Ok(None);
    };
    let new = NewFamily {
        id: random_id(),
        user_id: user.id.clone(),
        scope: scope.clone(),
        sid: subject.sid.clone(),
        auth_time: subject.auth_time.unwrap_or_else(|| ctx.now()),
        device_name: None,
        user_agent: None,
        ip: None,
        lifetime,
        not_after: None,
        dpop_jkt: None,
        amr: Vec::new(),
        idp: None,
        resources: target.identifiers(),
    };
    Ok(Some(refresh::start_family(ctx, client, new).await?))
}

/// docs/operations.md, "Audit trail": `token.exchanged`.
#[allow(clippy::too_many_arguments)]
async fn audit(
    ctx: &Context,
    client: &Client,
    subject: &Verified,
    target: &Target,
    scope: &Scope,
    act: &Option<Value>,
    jti: &str,
    meta: &RequestMeta,
) {
    let detail = json!({
        "audience": target.identifiers(),
        "scope": scope.to_string(),
        "actor": act.as_ref().and_then(|a| a.get("sub")).cloned(),
        "subject_jti": subject.jti,
        "jti": jti,
    });
    Audit::new(AuditKind::TokenExchanged)
        .user(Some(&subject.sub))
        .client(Some(&client.client_id))
        .ip(Some(&meta.ip))
        .detail(detail)
        .write(&ctx.store, ctx.now())
        .await;
}
