//! APIs (resource servers) as token audiences (RFC 8707, docs/guides/apis.md, docs/security.md
//! J): which API(s) a request's tokens are for, whether the client may have them, and what that
//! means for the tokens' `aud`, scope, lifetime and algorithm. The registry itself is
//! [`crate::storage::ApiStore`]; the `resource` parameter's syntax is [`crate::oauth::resource`].

use crate::context::Context;
use crate::oauth::OAuthError;
use crate::oauth::authorization_request::{AuthorizationRequest, RedirectError};
use crate::oauth::scope::{STANDARD_SCOPES, Scope};
use crate::storage::{Api, Client};
use crate::tokens::audience::{Aud, Audience};

/// The scopes that are about the user and the login rather than an API (OpenID Core §5.4, §11,
/// and `groups`): a token for an API may carry them beside the API's own.
pub fn identity_scopes() -> Scope {
    Scope::from_tokens(STANDARD_SCOPES.iter().copied().chain(["groups"]))
}

/// The API(s) a grant's tokens are for; none: the configured audience.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub apis: Vec<Api>,
}

impl Target {
    /// The identifiers, in the order requested (what a code or token family records).
    pub fn identifiers(&self) -> Vec<String> {
        self.apis.iter().map(|a| a.identifier.clone()).collect()
    }

    /// The scopes the APIs themselves define.
    pub fn api_scope(&self) -> Scope {
        self.apis
            .iter()
            .fold(Scope::default(), |acc, api| acc.union(&api.scope()))
    }

    /// RFC 8707 §2: the scopes tokens for the target may carry: the APIs' own and the identity
    /// scopes. `None`: no API, so no limit beyond the client's (the configured audience).
    pub fn scope_limit(&self) -> Option<Scope> {
        if self.apis.is_empty() {
            return None;
        }
        Some(identity_scopes().union(&self.api_scope()))
    }

    /// docs/security.md J.3: a requested scope outside what the target defines is `invalid_scope`.
    pub fn check_scope(&self, scope: &Scope) -> Result<(), OAuthError> {
        match self.scope_limit() {
            Some(limit) if !scope.is_subset_of(&limit) => Err(OAuthError::invalid_scope(
                "a requested scope is not defined by the requested resource",
            )),
            _ => Ok(()),
        }
    }

    /// RFC 6749 §3.3 with RFC 8707 §2: the scope of a token for this target: the `requested`
    /// scope, which must be within `allowed` (else `invalid_scope` saying `too_wide`) and within what
    /// the target defines (J.3); without one, `allowed` narrowed to the target.
    pub fn scope_for(
        &self,
        requested: Option<&str>,
        allowed: &Scope,
        too_wide: &'static str,
    ) -> Result<Scope, OAuthError> {
        let scope = match requested {
            Some(raw) => Scope::parse(raw)?,
            None => self.narrow(allowed),
        };
        if !scope.is_subset_of(allowed) {
            return Err(OAuthError::invalid_scope(too_wide));
        }
        self.check_scope(&scope)?;
        Ok(scope)
    }

    /// RFC 8707 §2.2: a granted scope narrowed to what the target defines.
    pub fn narrow(&self, scope: &Scope) -> Scope {
        match self.scope_limit() {
            Some(limit) => scope.intersect(&limit),
            None => scope.clone(),
        }
    }

    /// docs/security.md J.3: `aud` is the identifier (an array when several); the lifetime is the
    /// shortest any of them asks for; the algorithm the one they ask for. APIs that ask for
    /// different algorithms cannot share a token: `invalid_target`.
    pub fn audience(&self, ctx: &Context) -> Result<Audience, OAuthError> {
        if self.apis.is_empty() {
            return Ok(Audience::configured(ctx));
        }
        let default_ttl = ctx.tokens.access_token_ttl_secs as i64;
        let ttl_secs = self
            .apis
            .iter()
            .map(|a| a.access_token_ttl_secs.unwrap_or(default_ttl))
            .min()
            .unwrap_or(default_ttl);
        let mut algs = self.apis.iter().filter_map(|a| a.alg);
        let Some(alg) = algs.next() else {
            // No API asks for one: the client's or the server's (Audience::alg_for).
            return Ok(Audience {
                aud: Aud::many(self.identifiers()),
                ttl_secs,
                alg: None,
            });
        };
        if algs.any(|a| a != alg) {
            return Err(OAuthError::invalid_target(
                "these resources need tokens signed with different algorithms; ask for one at a time",
            ));
        }
        // docs/security.md J.3: never a silent fallback to another algorithm the API may refuse.
        if !ctx.keys.signing_algs().contains(&alg) {
            return Err(OAuthError::server_error(format!(
                "no active {alg} key for an API's tokens: portcullis keys rotate --alg {alg} --now"
            )));
        }
        Ok(Audience {
            aud: Aud::many(self.identifiers()),
            ttl_secs,
            alg: Some(alg),
        })
    }

    /// The longest an access token for any one of these APIs may live (what a revocation record
    /// must outlast, docs/security.md B.8).
    pub fn longest_ttl(&self, ctx: &Context) -> i64 {
        let default_ttl = ctx.tokens.access_token_ttl_secs as i64;
        self.apis
            .iter()
            .map(|a| a.access_token_ttl_secs.unwrap_or(default_ttl))
            .fold(default_ttl, i64::max)
    }
}

/// docs/security.md J.4: a client may have tokens for an API that is its default API, or one of
/// whose scopes its own scope list names.
pub fn entitled(client: &Client, api: &Api, default_api: Option<&str>) -> bool {
    default_api == Some(api.identifier.as_str()) || !client.scopes.intersect(&api.scope()).is_empty()
}

/// The registered APIs `identifiers` name, in order; an unknown one is `invalid_target`
/// (RFC 8707 §2).
pub async fn load(ctx: &Context, identifiers: &[String]) -> Result<Target, OAuthError> {
    let mut apis = Vec::with_capacity(identifiers.len());
    let admin_api = crate::admin::identifier(&ctx.issuer);
    for id in identifiers {
        // docs/security.md M.1: the admin API is built in, never stored.
        if *id == admin_api {
            apis.push(crate::admin::builtin_api(&ctx.issuer));
            continue;
        }
        let api = ctx
            .store
            .api_by_identifier(id)
            .await?
            .ok_or_else(|| OAuthError::invalid_target("unknown resource").with_detail(id.clone()))?;
        apis.push(api);
    }
    Ok(Target { apis })
}

/// RFC 8707 §2: the target of a new request (at `/authorize`, `/par`, or a grant without an
/// earlier authorization): the `requested` resources (already checked for syntax), else the
/// client's default API, else none. Each must be registered and one the client is entitled to
/// (J.4); otherwise `invalid_target`. The audience is checked too (J.3).
pub async fn for_request(ctx: &Context, client: &Client, requested: &[String]) -> Result<Target, OAuthError> {
    let policy = ctx.store.client_api_policy(&client.client_id).await?;
    let target = match (requested.is_empty(), &policy.default_api) {
        (false, _) => load(ctx, requested).await?,
        (true, Some(default)) => load(ctx, std::slice::from_ref(default)).await?,
        (true, None) => Target::default(),
    };
    if let Some(api) = target
        .apis
        .iter()
        .find(|api| !entitled(client, api, policy.default_api.as_deref()))
    {
        return Err(
            OAuthError::invalid_target("the client may not ask for this resource")
                .with_detail(api.identifier.clone()),
        );
    }
    target.audience(ctx)?;
    Ok(target)
}

/// RFC 8707 §2.2: at the token endpoint after an authorization (a code, a refresh token), the
/// `requested` resources must be among the `granted` ones (`invalid_target` otherwise); none
/// requested: all granted. An API removed since is `invalid_target`.
pub async fn select(ctx: &Context, granted: &[String], requested: &[String]) -> Result<Target, OAuthError> {
    if let Some(r) = requested.iter().find(|r| !granted.contains(r)) {
        return Err(
            OAuthError::invalid_target("the resource was not part of the grant").with_detail(r.clone()),
        );
    }
    let chosen = if requested.is_empty() { granted } else { requested };
    let target = load(ctx, chosen).await?;
    target.audience(ctx)?;
    Ok(target)
}

/// RFC 8707 §2 at `/authorize` and `/par`: binds a validated request to its target (the
/// `resource`s it names, else the client's default API), which the code will carry. An unknown
/// or forbidden resource is `invalid_target`, a scope the target does not define
/// `invalid_scope` (J.3); both go back to the registered redirect URI (RFC 6749 §4.1.2.1).
pub async fn bind_request(
    ctx: &Context,
    client: &Client,
    mut request: AuthorizationRequest,
) -> Result<AuthorizationRequest, Box<RedirectError>> {
    let bound = match for_request(ctx, client, &request.resources).await {
        Ok(target) => target.check_scope(&request.scope).map(|()| target),
        Err(e) => Err(e),
    };
    match bound {
        Ok(target) => {
            request.resources = target.identifiers();
            Ok(request)
        }
        Err(error) => Err(Box::new(RedirectError {
            error,
            redirect_uri: request.redirect_uri.as_str().to_string(),
            state: request.state,
            response_mode: request.response_mode,
        })),
    }
}
