//! ID tokens (OpenID Core §2, §3.1.3.6): `iss, sub, aud, exp, iat, auth_time, nonce, at_hash, azp,
//! amr, sid`, signed with the client's `id_token_signed_response_alg`.

use serde_json::{Map, Value, json};

use crate::keys::KeyRing;
use crate::oauth::OAuthError;
use crate::state::AppState;
use crate::storage::{Client, User};
use crate::util::now;

/// What an ID token says.
pub struct IdTokenInput<'a> {
    pub client: &'a Client,
    pub user: &'a User,
    pub nonce: Option<&'a str>,
    pub auth_time: Option<i64>,
    pub sid: Option<&'a str>,
    pub amr: &'a [String],
    /// The access token issued with it, for `at_hash`.
    pub access_token: Option<&'a str>,
}

/// The algorithm for a client's ID tokens: its registered one if we have a key for it.
pub fn alg_for(state: &AppState, client: &Client) -> String {
    let wanted = &client.id_token_signed_response_alg;
    if state.keys.signing_algs().iter().any(|a| a == wanted) {
        wanted.clone()
    } else {
        state.settings.keys.default_alg.clone()
    }
}

/// OpenID Core §2 + §3.1.3.6: builds and signs the ID token.
pub fn sign(state: &AppState, input: &IdTokenInput<'_>) -> Result<String, OAuthError> {
    let alg = alg_for(state, input.client);
    let t = now();
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(state.settings.issuer));
    claims.insert("sub".into(), json!(input.user.id));
    claims.insert("aud".into(), json!(input.client.client_id));
    claims.insert("azp".into(), json!(input.client.client_id));
    claims.insert(
        "exp".into(),
        json!(t + state.settings.tokens.id_token_ttl_secs as i64),
    );
    claims.insert("iat".into(), json!(t));
    if let Some(auth_time) = input.auth_time {
        claims.insert("auth_time".into(), json!(auth_time));
    }
    if let Some(nonce) = input.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    if let Some(at) = input.access_token {
        claims.insert("at_hash".into(), json!(KeyRing::half_hash(&alg, at)));
    }
    if !input.amr.is_empty() {
        claims.insert("amr".into(), json!(input.amr));
    }
    if let Some(sid) = input.sid {
        claims.insert("sid".into(), json!(sid));
    }
    state
        .keys
        .sign(&alg, None, &claims)
        .map_err(OAuthError::server_error)
}

/// Verifies an `id_token_hint` we issued (OpenID RP-Initiated Logout §2): signature and issuer;
/// an expired hint is still accepted, as the spec allows. Returns the claims.
pub fn verify_hint(state: &AppState, hint: &str) -> Result<Map<String, Value>, OAuthError> {
    let (_header, claims) = state
        .keys
        .verify(hint)
        .map_err(|e| OAuthError::invalid_request("invalid id_token_hint").with_detail(e))?;
    if claims.get("iss").and_then(Value::as_str) != Some(state.issuer()) {
        return Err(OAuthError::invalid_request("invalid id_token_hint").with_detail("foreign issuer"));
    }
    if claims.get("sub").and_then(Value::as_str).is_none() {
        return Err(OAuthError::invalid_request("invalid id_token_hint").with_detail("no sub"));
    }
    Ok(claims)
}

/// The `aud` (client_id) of a verified hint: a string, or the first of an array.
pub fn hint_audience(claims: &Map<String, Value>) -> Option<String> {
    match claims.get("aud") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}
