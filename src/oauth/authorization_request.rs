//! The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID Core §3.1.2.1), parsed and
//! validated in two stages: first the client and redirect URI (errors there must never redirect,
//! docs/security.md A.3), then everything else (errors there go back to the client by redirect).

use serde::{Deserialize, Serialize};

use crate::oauth::params::ParamMap;
use crate::oauth::pkce::{self, CodeChallenge, PkcePolicy};
use crate::oauth::redirect_uri;
use crate::oauth::resource;
use crate::oauth::scope::{OPENID, Scope};
use crate::oauth::{ErrorCode, OAuthError};
use crate::storage::{Client, GrantType};

/// How the authorization response is delivered (OAuth 2.0 Multiple Response Types, Form Post).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    Query,
    FormPost,
}

/// OpenID Core §3.1.2.1 `prompt` values we act on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

/// The redirect URI a request will be answered at, and where it came from. Stored as
/// `redirect_uri` and `redirect_uri_sent`, the form codes and pending requests have always had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RedirectUriFields", into = "RedirectUriFields")]
pub enum RedirectUri {
    /// Named by the request: the token request must repeat it (RFC 6749 §4.1.3).
    Sent(String),
    /// Omitted by the request: the client's only registered URI (RFC 6749 §3.1.2.3).
    Registered(String),
}

impl RedirectUri {
    pub fn as_str(&self) -> &str {
        match self {
            RedirectUri::Sent(uri) | RedirectUri::Registered(uri) => uri,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct RedirectUriFields {
    redirect_uri: String,
    #[serde(default)]
    redirect_uri_sent: bool,
}

impl From<RedirectUriFields> for RedirectUri {
    fn from(f: RedirectUriFields) -> Self {
        if f.redirect_uri_sent {
            RedirectUri::Sent(f.redirect_uri)
        } else {
            RedirectUri::Registered(f.redirect_uri)
        }
    }
}

impl From<RedirectUri> for RedirectUriFields {
    fn from(r: RedirectUri) -> Self {
        let redirect_uri_sent = matches!(r, RedirectUri::Sent(_));
        let (RedirectUri::Sent(redirect_uri) | RedirectUri::Registered(redirect_uri)) = r;
        RedirectUriFields {
            redirect_uri,
            redirect_uri_sent,
        }
    }
}

/// A validated authorization request, as kept while the user logs in and consents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    #[serde(flatten)]
    pub redirect_uri: RedirectUri,
    pub response_mode: ResponseMode,
    pub scope: Scope,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<CodeChallenge>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub id_token_hint: Option<String>,
    /// A label for the device, shown on the account page.
    pub device_name: Option<String>,
    /// OpenID Core §3.1.2.1: requested `acr` values; [`crate::mfa::policy::ACR_MFA`] asks for a
    /// second factor (docs/security.md G.1).
    #[serde(default)]
    pub acr_values: Option<String>,
    /// RFC 8707 §2: the APIs the tokens are for, as requested (syntax checked here); once bound
    /// by `apis::bind_request`, the registered APIs the code will carry.
    #[serde(default)]
    pub resources: Vec<String>,
    /// OpenID Core §3.1.2.1 `ui_locales`: the first supported language asked for, used by every
    /// page of the request (docs/guides/languages.md).
    #[serde(default)]
    pub ui_locales: Option<crate::i18n::Lang>,
}

impl AuthorizationRequest {
    pub fn is_openid(&self) -> bool {
        self.scope.contains(OPENID)
    }
}

/// Where an error that may be redirected goes (RFC 6749 §4.1.2.1).
#[derive(Debug)]
pub struct RedirectError {
    pub error: OAuthError,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub response_mode: ResponseMode,
}

/// Stage one (docs/security.md A.1, A.3): the client must exist and the redirect URI be
/// registered. An error here is shown on the error page, never redirected.
pub fn resolve_redirect_uri(params: &ParamMap, client: Option<&Client>) -> Result<RedirectUri, OAuthError> {
    let client = client.ok_or_else(|| OAuthError::invalid_request("unknown client_id"))?;
    match params.get("redirect_uri") {
        Some(uri) if redirect_uri::matches_registered(&client.redirect_uris, uri) => {
            Ok(RedirectUri::Sent(uri.to_string()))
        }
        Some(_) => Err(OAuthError::invalid_request(
            "redirect_uri is not registered for this client",
        )),
        // OpenID Core §3.1.2.1 requires it; RFC 6749 §3.1.2.3 allows omission with one registered URI.
        None if client.redirect_uris.len() == 1 && !scope_mentions_openid(params) => {
            Ok(RedirectUri::Registered(client.redirect_uris[0].clone()))
        }
        None => Err(OAuthError::invalid_request("missing parameter: redirect_uri")),
    }
}

fn scope_mentions_openid(params: &ParamMap) -> bool {
    params
        .get("scope")
        .is_some_and(|s| s.split(' ').any(|t| t == OPENID))
}

/// Stage two: everything else. Errors are redirected to the redirect URI with `state`.
pub fn validate(
    params: &ParamMap,
    client: &Client,
    redirect_uri: RedirectUri,
    pkce_policy: PkcePolicy,
) -> Result<AuthorizationRequest, Box<RedirectError>> {
    let state = params.get("state").map(str::to_string);
    let response_mode = match params.get("response_mode") {
        Some("form_post") => ResponseMode::FormPost,
        _ => ResponseMode::Query,
    };
    let fail = |error: OAuthError| {
        Box::new(RedirectError {
            error,
            redirect_uri: redirect_uri.as_str().to_string(),
            state: state.clone(),
            response_mode,
        })
    };
    if state.as_ref().is_some_and(|s| s.len() > MAX_STATE_LEN) {
        // An over-long `state` is not echoed back.
        return Err(Box::new(RedirectError {
            state: None,
            ..*fail(OAuthError::invalid_request("state is too long"))
        }));
    }
    check_lengths(params).map_err(fail)?;
    check_request_shape(params, client).map_err(fail)?;
    let scope = requested_scope(params, client).map_err(fail)?;
    // docs/security.md B.9: `plain` is never for a public client, whatever the setting.
    let pkce_policy = if client.is_public() {
        PkcePolicy::S256Only
    } else {
        pkce_policy
    };
    let code_challenge = pkce::parse_challenge(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
        pkce_policy,
    )
    .map_err(fail)?;
    if client.is_public() && code_challenge.is_none() {
        return Err(fail(OAuthError::invalid_request(
            "PKCE code_challenge is required for public clients",
        )));
    }
    let resources = resource::requested(params).map_err(fail)?;
    let prompt = parse_prompt(params.get("prompt")).map_err(fail)?;
    let max_age = parse_max_age(params.get("max_age")).map_err(fail)?;
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        response_mode,
        nonce: params.get("nonce").map(str::to_string),
        code_challenge,
        prompt,
        max_age,
        login_hint: params.get("login_hint").map(str::to_string),
        id_token_hint: params.get("id_token_hint").map(str::to_string),
        device_name: params.device_name(),
        acr_values: params.get("acr_values").map(str::to_string),
        ui_locales: params
            .get("ui_locales")
            .and_then(crate::i18n::negotiate::from_ui_locales),
        resources,
        scope,
        state: state.clone(),
    })
}

/// docs/security.md A.7: the longest `state` kept with a pending request and echoed back, in bytes
/// (common practice; RFC 6749 sets no limit).
pub const MAX_STATE_LEN: usize = 2048;
/// docs/security.md A.7: the longest free-text value kept with a pending request (`nonce`,
/// `login_hint`), in bytes.
pub const MAX_HINT_LEN: usize = 1024;
/// docs/security.md A.7: the longest `id_token_hint`: a compact JWS, and our ID tokens carry a
/// `nonce` of up to [`MAX_HINT_LEN`] bytes, so it gets more room than the free-text values.
pub const MAX_ID_TOKEN_HINT_LEN: usize = 4096;

/// docs/security.md A.7: the values a pending request keeps are bounded, so that unauthenticated
/// requests park little; an over-long one is `invalid_request`.
fn check_lengths(params: &ParamMap) -> Result<(), OAuthError> {
    let limits = [
        ("nonce", MAX_HINT_LEN),
        ("login_hint", MAX_HINT_LEN),
        ("id_token_hint", MAX_ID_TOKEN_HINT_LEN),
        ("acr_values", MAX_HINT_LEN),
    ];
    for (name, max) in limits {
        if params.get(name).is_some_and(|v| v.len() > max) {
            return Err(OAuthError::invalid_request(format!("{name} is too long")));
        }
    }
    Ok(())
}

/// RFC 6749 §4.1.1, OAuth 2.0 Form Post, OpenID Core §6: the response mode is known, no request
/// objects, `response_type=code`, and the client may use the code grant.
fn check_request_shape(params: &ParamMap, client: &Client) -> Result<(), OAuthError> {
    match params.get("response_mode") {
        None | Some("query") | Some("form_post") => {}
        Some(_) => return Err(OAuthError::invalid_request("unsupported response_mode")),
    }
    if params.contains("request") {
        return Err(OAuthError::new(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if params.contains("request_uri") {
        return Err(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        ));
    }
    match params.get("response_type") {
        None => return Err(OAuthError::invalid_request("missing parameter: response_type")),
        Some("code") => {}
        Some(_) => {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
    }
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(OAuthError::unauthorized_client(
            "the client may not use the authorization code grant",
        ));
    }
    Ok(())
}

/// RFC 6749 §3.3: a non-empty scope within what the client may ask for.
fn requested_scope(params: &ParamMap, client: &Client) -> Result<Scope, OAuthError> {
    let scope = Scope::parse(params.get("scope").unwrap_or_default())?;
    if scope.is_empty() {
        return Err(OAuthError::invalid_scope("scope is required"));
    }
    if !scope.is_subset_of(&client.scopes) {
        return Err(OAuthError::invalid_scope(
            "a requested scope is not allowed for this client",
        ));
    }
    Ok(scope)
}

/// OpenID Core §3.1.2.1: `max_age` is a non-negative number of seconds.
fn parse_max_age(raw: Option<&str>) -> Result<Option<i64>, OAuthError> {
    match raw {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| OAuthError::invalid_request("max_age must be a non-negative integer")),
    }
}

/// OpenID Core §3.1.2.1: `none` with any other value is an error.
fn parse_prompt(raw: Option<&str>) -> Result<Prompt, OAuthError> {
    let mut prompt = Prompt::default();
    for value in raw.unwrap_or_default().split(' ').filter(|v| !v.is_empty()) {
        match value {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => prompt.select_account = true,
            _ => return Err(OAuthError::invalid_request("unknown prompt value")),
        }
    }
    if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    Ok(prompt)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::keys::Alg;

    fn client(public: bool) -> Client {
        Client {
            client_id: "c1".into(),
            name: "App".into(),
            secret_hash: if public { None } else { Some("x".into()) },
            redirect_uris: vec!["https://app.example/cb".into()],
            post_logout_redirect_uris: vec![],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            scopes: Scope::from_tokens(["openid", "profile"]),
            first_party: false,
            id_token_signed_response_alg: Alg::Rs256,
            access_token_alg: None,
            created_at: 0,
            resource_server: false,
            require_pushed_authorization_requests: false,
            require_mfa: false,
            groups: Default::default(),
            backchannel_logout: None,
            upstreams: Vec::new(),
            password_login: true,
            registration: Default::default(),
        }
    }

    fn params(q: &str) -> ParamMap {
        ParamMap::from_urlencoded(q.as_bytes()).unwrap()
    }

    fn sent() -> RedirectUri {
        RedirectUri::Sent("https://app.example/cb".into())
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn unregistered_redirect_uri_is_an_error_page_not_a_redirect() {
        let c = client(false);
        let p = params("redirect_uri=https%3A%2F%2Fevil.example%2Fcb");
        assert!(resolve_redirect_uri(&p, Some(&c)).is_err());
        assert!(resolve_redirect_uri(&params("redirect_uri=https%3A%2F%2Fapp.example%2Fcb"), None).is_err());
    }

    #[test]
    fn openid_requests_must_send_redirect_uri() {
        let c = client(false);
        assert!(resolve_redirect_uri(&params("scope=openid"), Some(&c)).is_err());
        let uri = resolve_redirect_uri(&params("scope=profile"), Some(&c)).unwrap();
        assert_eq!(
            uri,
            RedirectUri::Registered("https://app.example/cb".into()),
            "an omitted redirect_uri is recorded as not sent"
        );
    }

    #[test]
    fn public_clients_must_use_pkce() {
        let c = client(true);
        let p = params("response_type=code&scope=openid&state=s");
        let err = validate(&p, &c, sent(), PkcePolicy::S256Only).unwrap_err();
        assert_eq!(err.error.code, ErrorCode::InvalidRequest);
        assert_eq!(err.state.as_deref(), Some("s"));
        let p = params(&format!(
            "response_type=code&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256"
        ));
        assert!(validate(&p, &c, sent(), PkcePolicy::S256Only).is_ok());
    }

    #[test]
    fn only_response_type_code_is_supported() {
        let p = params("response_type=token&scope=openid");
        let err = validate(&p, &client(false), sent(), PkcePolicy::S256Only).unwrap_err();
        assert_eq!(err.error.code, ErrorCode::UnsupportedResponseType);
    }

    #[test]
    fn scope_outside_the_clients_allowance_is_invalid_scope() {
        let p = params("response_type=code&scope=openid%20admin");
        let err = validate(&p, &client(false), sent(), PkcePolicy::S256Only).unwrap_err();
        assert_eq!(err.error.code, ErrorCode::InvalidScope);
    }

    /// B.9: `security.allow_plain_pkce` never lets a public client use `plain` (nor a challenge
    /// without a method, which means `plain`); a confidential client may.
    #[test]
    fn plain_pkce_is_never_allowed_for_public_clients() {
        let plain = "response_type=code&scope=openid&code_challenge=\
                     dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&code_challenge_method=plain";
        let implied = "response_type=code&scope=openid&code_challenge=\
                       dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        for q in [plain, implied] {
            let err = validate(&params(q), &client(true), sent(), PkcePolicy::AllowPlain).unwrap_err();
            assert_eq!(err.error.code, ErrorCode::InvalidRequest, "{q}");
            let ok = validate(&params(q), &client(false), sent(), PkcePolicy::AllowPlain).unwrap();
            assert_eq!(
                ok.code_challenge.unwrap().method,
                pkce::ChallengeMethod::Plain,
                "{q}"
            );
        }
    }

    /// A.7: `state` up to 2 KiB, `nonce` and `login_hint` up to 1 KiB, `id_token_hint` up to 4 KiB;
    /// longer is `invalid_request` by redirect, and an over-long `state` is not echoed.
    #[test]
    fn over_long_state_nonce_and_hints_are_invalid_request() {
        let base =
            format!("response_type=code&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256");
        let c = client(false);
        let at_limit = format!(
            "{base}&state={}&nonce={}&login_hint={}&id_token_hint={}",
            "s".repeat(MAX_STATE_LEN),
            "n".repeat(MAX_HINT_LEN),
            "l".repeat(MAX_HINT_LEN),
            "i".repeat(MAX_ID_TOKEN_HINT_LEN)
        );
        assert!(validate(&params(&at_limit), &c, sent(), PkcePolicy::S256Only).is_ok());
        for (name, len) in [
            ("nonce", MAX_HINT_LEN),
            ("login_hint", MAX_HINT_LEN),
            ("id_token_hint", MAX_ID_TOKEN_HINT_LEN),
        ] {
            let q = format!("{base}&state=st&{name}={}", "x".repeat(len + 1));
            let err = validate(&params(&q), &c, sent(), PkcePolicy::S256Only).unwrap_err();
            assert_eq!(err.error.code, ErrorCode::InvalidRequest, "{name}");
            assert_eq!(err.state.as_deref(), Some("st"), "{name}");
            assert_eq!(err.redirect_uri, "https://app.example/cb");
        }
        let q = format!("{base}&state={}", "s".repeat(MAX_STATE_LEN + 1));
        let err = validate(&params(&q), &c, sent(), PkcePolicy::S256Only).unwrap_err();
        assert_eq!(err.error.code, ErrorCode::InvalidRequest);
        assert_eq!(err.state, None, "an over-long state is not echoed");
    }

    #[test]
    fn prompt_none_combined_with_login_is_invalid() {
        assert!(parse_prompt(Some("none login")).is_err());
        assert!(parse_prompt(Some("login consent")).unwrap().consent);
    }
}
