//! RFC 9068 JWT access tokens and the opaque-token helpers (DESIGN.md §5 Tokens).

use serde::{Deserialize, Serialize};

use crate::oauth::OAuthError;

/// The claims of an access token (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    /// The user's id, or the client_id for client_credentials (RFC 9068 §2.2).
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The login session, for logout and session views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl AccessTokenClaims {
    /// Whether the token was issued to a user (as opposed to a client for itself).
    pub fn has_user(&self) -> bool {
        self.sub != self.client_id || self.auth_time.is_some()
    }

    pub fn to_map(&self) -> Result<serde_json::Map<String, serde_json::Value>, OAuthError> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => Ok(m),
            Ok(_) => Err(OAuthError::server_error("access token claims are not an object")),
            Err(e) => Err(OAuthError::server_error(e)),
        }
    }
}

/// RFC 9068 §4 checks after the signature: `typ` is `at+jwt`, `iss` is ours, not expired, not before `nbf`.
/// Returns the typed claims or `invalid_token`.
pub fn check_access_token_claims(
    header: &serde_json::Map<String, serde_json::Value>,
    claims: serde_json::Map<String, serde_json::Value>,
    issuer: &str,
    now: i64,
) -> Result<AccessTokenClaims, OAuthError> {
    let typ = header.get("typ").and_then(|v| v.as_str()).unwrap_or_default();
    if !typ.eq_ignore_ascii_case("at+jwt") && !typ.eq_ignore_ascii_case("application/at+jwt") {
        return Err(OAuthError::invalid_token("not an access token"));
    }
    let claims: AccessTokenClaims = serde_json::from_value(serde_json::Value::Object(claims))
        .map_err(|e| OAuthError::invalid_token("malformed access token").with_detail(e))?;
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

/// The JSON body of a successful token response (RFC 6749 §5.1, OpenID Core §3.1.3.3).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn claims(now: i64) -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "https://id.example".into(),
            sub: "u1".into(),
            aud: "https://id.example".into(),
            client_id: "c1".into(),
            scope: "openid".into(),
            exp: now + 60,
            iat: now,
            nbf: now,
            jti: "j".into(),
            auth_time: Some(now),
            sid: None,
        }
    }

    fn header(typ: &str) -> serde_json::Map<String, serde_json::Value> {
        let mut h = serde_json::Map::new();
        h.insert("typ".into(), typ.into());
        h
    }

    #[test]
    fn rfc9068_typ_must_be_at_jwt() {
        let c = claims(100).to_map().unwrap();
        assert!(check_access_token_claims(&header("JWT"), c.clone(), "https://id.example", 100).is_err());
        assert!(check_access_token_claims(&header("at+jwt"), c, "https://id.example", 100).is_ok());
    }

    #[test]
    fn expired_or_foreign_tokens_are_invalid() {
        let c = claims(100).to_map().unwrap();
        assert!(check_access_token_claims(&header("at+jwt"), c.clone(), "https://id.example", 160).is_err());
        assert!(check_access_token_claims(&header("at+jwt"), c, "https://other.example", 100).is_err());
    }
}
