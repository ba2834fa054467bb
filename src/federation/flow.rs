//! OpenID Core §3.1 as the relying party of an upstream provider (docs/guides/federation.md):
//! [`start`] sends the browser there with code + PKCE S256 + state + nonce (RFC 9700 §2.1.1);
//! [`callback`] checks the state (single use, short-lived, bound to the browser like the login
//! form), exchanges the code, verifies the ID token (signature against the provider's JWKS, `iss`,
//! `aud`, `exp`, `nonce`), maps the claims and finds, links or provisions the local user.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthPrompt, CoreClient, CoreIdToken, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, LoginHint, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::claims::{self, Mapped};
use super::link::{self, LinkedBy};
use super::{FederationError, Upstream, offers};
use crate::accounts::csrf::Holder;
use crate::context::{Context, RequestMeta};
use crate::interaction::Pending;
use crate::interaction::pending::Parking;
use crate::oauth::params::ParamMap;
use crate::random::secret_256;
use crate::storage::{Client, Kind, User};

/// A sign-in sent to an upstream, parked for the browser under the digest of its `state`.
#[derive(Debug, Serialize, Deserialize)]
struct SentSignIn {
    upstream: String,
    /// The pending authorization request (empty: signing in to the account page).
    pending: String,
    nonce: String,
    pkce_verifier: String,
    expires_at: i64,
}

/// `GET /upstream/{id}/start`.
#[derive(Debug, Clone, Copy)]
pub struct Start<'a> {
    pub upstream_id: &'a str,
    /// The pending authorization request's id (may be empty: the account page).
    pub pending_id: &'a str,
    /// Passed on to the provider (OpenID Core §3.1.2.1), e.g. the email typed on the login page.
    pub login_hint: Option<&'a str>,
    /// The browser (and its login session) the sign-in belongs to.
    pub holder: Holder<'a>,
}

/// `GET /upstream/{id}/callback`.
#[derive(Debug, Clone, Copy)]
pub struct Callback<'a> {
    pub upstream_id: &'a str,
    pub params: &'a ParamMap,
    pub holder: Holder<'a>,
}

/// A person signed in at an upstream, with their local user.
#[derive(Debug, Clone)]
pub struct FederatedLogin {
    pub user: User,
    /// The `[[upstream]]` id (the issued ID token's `idp` claim).
    pub upstream_id: String,
    /// The pending authorization request to continue and its client (none: the account page).
    pub target: Option<(Pending, Client)>,
    /// The provider's groups claim, mapped (stored as the user's groups from this upstream).
    pub groups: Vec<String>,
    pub linked_by: LinkedBy,
}

fn parking(ctx: &Context) -> Parking {
    Parking {
        kind: Kind::Federation,
        ttl: Duration::from_secs(ctx.upstreams.settings.state_ttl_secs),
    }
}

/// The redirect URI registered at every provider: `<issuer>/upstream/<id>/callback`.
pub fn redirect_uri(ctx: &Context, upstream_id: &str) -> String {
    format!("{}/upstream/{upstream_id}/callback", ctx.issuer)
}

fn upstream<'c>(ctx: &'c Context, id: &str) -> Result<&'c Upstream, FederationError> {
    ctx.upstreams
        .get(id)
        .map(|u| u.as_ref())
        .ok_or(FederationError::UnknownUpstream)
}

/// The path that starts a sign-in at `upstream_id` for the pending request `pending_id`, passing
/// `login_hint` on (home-realm discovery, docs/security.md I.5).
pub fn start_path(upstream_id: &str, pending_id: &str, login_hint: Option<&str>) -> String {
    let mut query = vec![("pending", pending_id)];
    query.extend(login_hint.map(|h| ("login_hint", h)));
    let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
    format!("/upstream/{upstream_id}/start?{encoded}")
}

/// The pending authorization request `pending_id` of this browser and its client (none for an
/// empty id); a request that is gone is [`FederationError::RequestExpired`].
async fn waiting_request(
    ctx: &Context,
    pending_id: &str,
    holder: Holder<'_>,
) -> Result<Option<(Pending, Client)>, FederationError> {
    if pending_id.is_empty() {
        return Ok(None);
    }
    let pending = Pending::load(ctx, pending_id, holder)
        .await?
        .ok_or(FederationError::RequestExpired)?;
    let client = ctx
        .store
        .client_by_id(&pending.request.client_id)
        .await?
        .ok_or(FederationError::RequestExpired)?;
    Ok(Some((pending, client)))
}

/// OpenID Core §3.1.2.1: the authorization request to the upstream for the browser `s.holder`.
/// Returns the URL to send the browser to.
pub async fn start(ctx: &Context, s: Start<'_>) -> Result<String, FederationError> {
    let up = upstream(ctx, s.upstream_id)?;
    // OpenID Core §3.1.2.1: a client's demand for a fresh login is passed on, or the provider's
    // own session would answer it without the user authenticating (docs/security.md I.3).
    let (mut prompt_login, mut max_age) = (false, None);
    if let Some((mut pending, client)) = waiting_request(ctx, s.pending_id, s.holder).await? {
        if !offers(&client, up.id()) {
            return Err(FederationError::NotOffered);
        }
        prompt_login = pending.request.prompt.login;
        max_age = pending.request.max_age;
        // docs/security.md A.7: the user acted on the request; it waits for the provider.
        pending.login_submitted(ctx).await?;
    }
    let Some(metadata) = up.metadata() else {
        return Err(FederationError::Unavailable(
            "discovery has not succeeded yet".into(),
        ));
    };
    let client = build_client(ctx, up, &metadata)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (state, nonce) = (secret_256(), secret_256());
    let (state_for_url, nonce_for_url) = (state.clone(), nonce.clone());
    let mut request = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            move || CsrfToken::new(state_for_url),
            move || Nonce::new(nonce_for_url),
        )
        .set_pkce_challenge(challenge);
    for scope in up.settings.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    if prompt_login {
        request = request.add_prompt(CoreAuthPrompt::Login);
    }
    if let Some(age) = max_age {
        request = request.set_max_age(Duration::from_secs(age.max(0) as u64));
    }
    if let Some(hint) = s.login_hint.filter(|h| !h.is_empty()) {
        request = request.set_login_hint(LoginHint::new(hint.to_string()));
    }
    let (url, _, _) = request.url();
    let sent = SentSignIn {
        upstream: up.id().to_string(),
        pending: s.pending_id.to_string(),
        nonce,
        pkce_verifier: verifier.secret().clone(),
        expires_at: ctx.now() + ctx.upstreams.settings.state_ttl_secs as i64,
    };
    parking(ctx).put(ctx, &state, s.holder, &sent).await?;
    Ok(url.to_string())
}

/// The client `from_provider_metadata` makes: authorization endpoint set, token and userinfo
/// endpoints as discovered.
type Rp = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

fn build_client(
    ctx: &Context,
    up: &Upstream,
    metadata: &CoreProviderMetadata,
) -> Result<Rp, FederationError> {
    let secret = up
        .secret
        .as_ref()
        .ok_or_else(|| FederationError::Unavailable("no client secret".into()))?;
    let redirect = RedirectUrl::new(redirect_uri(ctx, up.id()))
        .map_err(|e| FederationError::Unavailable(format!("redirect URI: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(up.settings.client_id.clone()),
        Some(ClientSecret::new(secret.expose_secret().to_string())),
    )
    .set_redirect_uri(redirect))
}

/// OpenID Core §3.1.2.5-§3.1.3.7: the provider's answer. The state is checked and spent first, so
/// an error answer, a replay or a forged answer never gets further (docs/security.md I.3).
pub async fn callback(
    ctx: &Context,
    cb: Callback<'_>,
    meta: &RequestMeta,
) -> Result<FederatedLogin, FederationError> {
    let up = upstream(ctx, cb.upstream_id)?;
    let state = cb.params.get("state").unwrap_or_default();
    let sent: SentSignIn = parking(ctx)
        .take(ctx, state, cb.holder)
        .await?
        .ok_or(FederationError::BadState)?;
    if sent.upstream != up.id() || sent.expires_at <= ctx.now() {
        return Err(FederationError::BadState);
    }
    if let Some(error) = cb.params.get("error") {
        return Err(FederationError::Denied(error.chars().take(64).collect()));
    }
    let target = waiting_request(ctx, &sent.pending, cb.holder).await?;
    let metadata = up
        .metadata()
        .ok_or_else(|| FederationError::Unavailable("no metadata".into()))?;
    // RFC 9207 §2.4: an `iss` in the answer must be this provider's (mix-up defence).
    if let Some(iss) = cb.params.get("iss") {
        if iss != metadata.issuer().as_str() {
            return Err(FederationError::InvalidResponse("iss is another issuer's".into()));
        }
    }
    let code = cb
        .params
        .get("code")
        .ok_or_else(|| FederationError::InvalidResponse("no code".into()))?;
    let client = build_client(ctx, up, &metadata)?;
    let http = ctx.upstreams.http();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| FederationError::Unavailable(format!("token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(sent.pkce_verifier.clone()))
        .request_async(http)
        .await
        .map_err(|e| match e {
            RequestTokenError::Request(e) => FederationError::Unavailable(format!("token request: {e}")),
            other => FederationError::InvalidResponse(format!("token response: {other}")),
        })?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| FederationError::InvalidResponse("no id_token".into()))?;
    let subject = match verified_subject(ctx, &client, id_token, &sent.nonce) {
        // The provider rotated its keys since the last discovery: fetch them, and check again.
        Err(ClaimsVerificationError::SignatureVerification(_))
            if super::discovery::refresh_now(&ctx.upstreams, up, ctx.now()).await =>
        {
            let metadata = up
                .metadata()
                .ok_or_else(|| FederationError::Unavailable("no metadata".into()))?;
            verified_subject(ctx, &build_client(ctx, up, &metadata)?, id_token, &sent.nonce)
        }
        checked => checked,
    }
    .map_err(|e| FederationError::InvalidResponse(format!("id_token: {e}")))?;
    let mut raw = payload(&id_token.to_string())?;
    if let Some(endpoint) = metadata.userinfo_endpoint() {
        let info = userinfo(http, endpoint.url().as_str(), tokens.access_token().secret()).await?;
        if info.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
            return Err(FederationError::InvalidResponse("userinfo sub differs".into()));
        }
        claims::merge(&mut raw, info);
    }
    let mapped: Mapped = claims::map(&subject, &raw, &up.settings.claims);
    let (user, linked_by) = link::resolve(ctx, &up.settings, &mapped, meta).await?;
    if user.disabled {
        return Err(FederationError::Disabled);
    }
    crate::groups::sync_external(ctx, &user.id, up.id(), &mapped.groups).await?;
    Ok(FederatedLogin {
        user,
        upstream_id: up.id().to_string(),
        target,
        groups: mapped.groups,
        linked_by,
    })
}

/// OpenID Core §3.1.3.7: the ID token's `sub`, once its signature (against the provider's JWKS),
/// `iss`, `aud`, `exp` (by the server's clock) and `nonce` are verified.
fn verified_subject(
    ctx: &Context,
    client: &Rp,
    id_token: &CoreIdToken,
    nonce: &str,
) -> Result<String, ClaimsVerificationError> {
    let clock = ctx.clock.clone();
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::EdDsa,
        ])
        .set_time_fn(move || chrono::DateTime::from_timestamp(clock.now(), 0).unwrap_or_default());
    let claims = id_token.claims(&verifier, &Nonce::new(nonce.to_string()))?;
    Ok(claims.subject().as_str().to_string())
}

/// The claims of a JWT whose signature was verified already.
fn payload(jwt: &str) -> Result<Map<String, Value>, FederationError> {
    let bad = |what: &str| FederationError::InvalidResponse(format!("id_token payload: {what}"));
    let part = jwt.split('.').nth(1).ok_or_else(|| bad("not a JWS"))?;
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| bad("not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| bad("not a JSON object"))
}

/// OpenID Core §5.3: the userinfo claims (a JSON answer; a signed one is not used).
async fn userinfo(
    http: &reqwest::Client,
    url: &str,
    access_token: &str,
) -> Result<Map<String, Value>, FederationError> {
    let res = http
        .get(url)
        .bearer_auth(access_token)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| FederationError::Unavailable(format!("userinfo: {e}")))?;
    if !res.status().is_success() {
        return Err(FederationError::InvalidResponse(format!(
            "userinfo status {}",
            res.status()
        )));
    }
    let body = res
        .bytes()
        .await
        .map_err(|e| FederationError::Unavailable(format!("userinfo: {e}")))?;
    serde_json::from_slice(&body).map_err(|_| FederationError::InvalidResponse("userinfo is not JSON".into()))
}

/// The issuer URL of an upstream, typed.
pub(crate) fn issuer_url(issuer: &str) -> Result<IssuerUrl, String> {
    IssuerUrl::new(issuer.to_string()).map_err(|e| e.to_string())
}
