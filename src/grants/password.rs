//! `grant_type=password` (RFC 6749 §4.3). Legacy: RFC 9700 §2.4 says MUST NOT be used; it exists
//! only for clients that list it, and is rate-limited and locked out like the login form
//! (docs/security.md C.14).

use crate::accounts::login::{self, LoginOutcome};
use crate::apis;
use crate::context::{Context, RequestMeta};
use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;
use crate::oauth::resource;
use crate::oauth::scope::{OFFLINE_ACCESS, Scope};
use crate::random::random_id;
use crate::storage::{AuthMethod, Client, FamilyLifetime, User};
use crate::tokens::Subject;
use crate::tokens::dpop::Binding;
use crate::tokens::refresh::{self, NewFamily};
use crate::tokens::response::{self, Grant, TokenResponse};

/// RFC 6749 §4.3.2: the resource owner's credentials for tokens.
pub async fn grant(
    ctx: &Context,
    client: &Client,
    params: &ParamMap,
    binding: &Binding,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    // docs/security.md I.6: a client whose users sign in through upstreams only never checks a password.
    if !client.password_login {
        return Err(OAuthError::new(
            crate::oauth::ErrorCode::UnauthorizedClient,
            "this client signs users in through an upstream provider only",
        ));
    }
    let username = params.require("username")?;
    let password = params.require("password")?;
    // RFC 8707 §2: the API(s) named, else the client's default API (docs/security.md J.3).
    let target = apis::for_request(ctx, client, &resource::requested(params)?).await?;
    let scope = target.scope_for(
        params.get("scope"),
        &client.scopes,
        "a requested scope is not allowed for this client",
    )?;
    let audience = target.audience(ctx)?;
    let attempt = login::Attempt {
        ip: &meta.ip,
        username,
        client_id: Some(&client.client_id),
    };
    // A full hashing queue is `503 temporarily_unavailable` with `Retry-After` (docs/security.md E.33).
    let user = match login::check_password(ctx, attempt, password.to_string()).await? {
        LoginOutcome::Success(user) => user,
        LoginOutcome::Invalid { .. } => {
            return Err(OAuthError::invalid_grant("invalid username or password"));
        }
        LoginOutcome::Locked { wait } => {
            let wait = crate::accounts::ratelimit::for_people(wait);
            return Err(OAuthError::invalid_grant(format!(
                "too many attempts; try again in {wait}"
            )));
        }
    };
    // docs/security.md G.6: a password alone never stands in for a required or enrolled second factor.
    if client.require_mfa || crate::mfa::has_factor(ctx, &user.id).await? {
        return Err(OAuthError::invalid_grant(
            "this account or client needs a second factor: use the authorization code flow",
        ));
    }
    let t = ctx.now();
    let subject = Subject {
        user: Some(&user),
        auth_time: Some(t),
        sid: None,
        amr: &[AuthMethod::Password],
        idp: None,
    };
    // OpenID Core §11: there is no login session to bind a refresh token to, so one is issued
    // only for offline access.
    let refresh_token = if refresh::issued_to(client, &subject) && scope.contains(OFFLINE_ACCESS) {
        let new = NewFamily {
            dpop_jkt: binding.for_new_family(client),
            resources: target.identifiers(),
            ..new_family(&user, &scope, t, params, meta)
        };
        Some(refresh::start_family(ctx, client, new).await?)
    } else {
        None
    };
    let grant = Grant {
        client,
        subject,
        scope: &scope,
        jti: random_id(),
        nonce: None,
        refresh_token,
        binding,
        audience: &audience,
    };
    response::respond(ctx, grant).await
}

fn new_family(user: &User, scope: &Scope, t: i64, params: &ParamMap, meta: &RequestMeta) -> NewFamily {
    NewFamily {
        id: random_id(),
        user_id: user.id.clone(),
        scope: scope.clone(),
        sid: None,
        auth_time: t,
        device_name: params.device_name(),
        user_agent: meta.user_agent.clone(),
        ip: Some(meta.ip.clone()),
        lifetime: FamilyLifetime::Offline,
        not_after: None,
        dpop_jkt: None,
        amr: vec![AuthMethod::Password],
        idp: None,
        resources: Vec::new(),
    }
}
