//! Client authentication at the token, introspection, revocation and PAR endpoints: RFC 6749 §2.3.1
//! and §3.2.1, docs/security.md C.11 (form-url-decoded Basic credentials, one method per request,
//! constant-time comparison of digests), C.12 (failures are `invalid_client`) and K.1
//! (`private_key_jwt`, RFC 7523 §2.2: the assertion is verified in `oauth/client_assertion.rs` with
//! keys and the `jti` store from `clients/assertion.rs`).

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::digest::{ct_eq, sha256_hex};
use crate::oauth::OAuthError;
use crate::oauth::client_assertion;
use crate::oauth::params::ParamMap;
use crate::storage::Client;

/// RFC 7617 §2 credentials are padded base64; accept them with or without the padding.
const BASIC_B64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// RFC 6749 §2.3 / OpenID Core §9: how a client identified itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// client_secret_basic. id and secret are form-url-DECODED after base64 (RFC 6749 §2.3.1).
    Basic { client_id: String, secret: String },
    /// client_secret_post.
    Post { client_id: String, secret: String },
    /// `none`: a public client identifying itself with client_id only.
    None { client_id: String },
    /// `private_key_jwt` (RFC 7523 §2.2): a JWT signed with one of the client's keys. The
    /// client_id is the body's, else the assertion's (unverified) `sub` (RFC 7521 §4.2).
    Assertion { client_id: String, assertion: String },
}

impl ClientAuth {
    pub fn client_id(&self) -> &str {
        match self {
            ClientAuth::Basic { client_id, .. }
            | ClientAuth::Post { client_id, .. }
            | ClientAuth::None { client_id }
            | ClientAuth::Assertion { client_id, .. } => client_id,
        }
    }

    /// docs/security.md C.12: whether the Authorization header was used (then a failure carries
    /// `WWW-Authenticate: Basic`).
    pub fn used_header(&self) -> bool {
        matches!(self, ClientAuth::Basic { .. })
    }

    /// OpenID Core §9 / RFC 8414 `token_endpoint_auth_method` name.
    pub fn method(&self) -> &'static str {
        match self {
            ClientAuth::Basic { .. } => "client_secret_basic",
            ClientAuth::Post { .. } => "client_secret_post",
            ClientAuth::None { .. } => "none",
            ClientAuth::Assertion { .. } => "private_key_jwt",
        }
    }
}

/// RFC 6749 §2.3.1 / §3.2.1, docs/security.md C.11: reads the Authorization header value (if any) and the
/// body parameters. Both Basic and `client_secret` (or a client assertion): `invalid_request`
/// "multiple client authentication methods"; a Basic client_id different from the body's
/// `client_id`: `invalid_request`; a malformed Basic header, a non-Basic scheme or a
/// `client_assertion_type` other than RFC 7523's: `invalid_client`. `Ok(None)` when the client did
/// not identify itself.
pub fn extract(authorization: Option<&str>, params: &ParamMap) -> Result<Option<ClientAuth>, OAuthError> {
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    let assertion = params.contains("client_assertion") || params.contains("client_assertion_type");
    if let Some(header) = authorization {
        let (client_id, secret) = parse_basic(header)?;
        if body_secret.is_some() || assertion {
            return Err(OAuthError::invalid_request(
                "multiple client authentication methods",
            ));
        }
        if body_id.is_some_and(|id| id != client_id) {
            return Err(OAuthError::invalid_request(
                "client_id does not match the authenticated client",
            ));
        }
        return Ok(Some(ClientAuth::Basic { client_id, secret }));
    }
    if assertion {
        if body_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "multiple client authentication methods",
            ));
        }
        return assertion_auth(params).map(Some);
    }
    match (body_id, body_secret) {
        (Some(id), Some(secret)) => Ok(Some(ClientAuth::Post {
            client_id: id.to_string(),
            secret: secret.to_string(),
        })),
        (Some(id), None) => Ok(Some(ClientAuth::None {
            client_id: id.to_string(),
        })),
        (None, Some(_)) => Err(OAuthError::invalid_request("missing parameter: client_id")),
        (None, None) => Ok(None),
    }
}

/// RFC 7521 §4.2 / RFC 7523 §2.2: `client_assertion_type` is the JWT bearer type and
/// `client_assertion` present; the client_id from the body or the assertion's `sub`.
fn assertion_auth(params: &ParamMap) -> Result<ClientAuth, OAuthError> {
    let (Some(kind), Some(assertion)) = (
        params.get("client_assertion_type"),
        params.get("client_assertion"),
    ) else {
        return Err(OAuthError::invalid_request(
            "client_assertion and client_assertion_type go together",
        ));
    };
    if kind != client_assertion::ASSERTION_TYPE {
        return Err(OAuthError::invalid_client("unsupported client_assertion_type"));
    }
    let client_id = match params.get("client_id") {
        Some(id) => id.to_string(),
        None => client_assertion::peek(assertion)?
            .sub
            .ok_or_else(|| OAuthError::invalid_client("the client assertion names no client"))?,
    };
    Ok(ClientAuth::Assertion {
        client_id,
        assertion: assertion.to_string(),
    })
}

/// RFC 7617 §2 + RFC 6749 §2.3.1: `Basic base64(urlencode(id) ":" urlencode(secret))`.
fn parse_basic(header: &str) -> Result<(String, String), OAuthError> {
    let malformed = || OAuthError::invalid_client("malformed Basic authorization header");
    let header = header.trim();
    let (scheme, credentials) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client("unsupported authentication scheme"));
    }
    let decoded = BASIC_B64
        .decode(credentials.trim())
        .map_err(|e| malformed().with_detail(e))?;
    let decoded = String::from_utf8(decoded).map_err(|e| malformed().with_detail(e))?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let client_id = form_url_decode(id).ok_or_else(malformed)?;
    let secret = form_url_decode(secret).ok_or_else(malformed)?;
    if client_id.is_empty() {
        return Err(malformed().with_detail("empty client_id"));
    }
    // docs/security.md E.28: no control characters, as in every other parameter (a NUL reached
    // PostgreSQL).
    if client_id.chars().chain(secret.chars()).any(char::is_control) {
        return Err(malformed().with_detail("control character in credentials"));
    }
    Ok((client_id, secret))
}

/// `application/x-www-form-urlencoded` decoding of one component: `+` is a space, `%XX` a byte; a
/// stray `%` or invalid UTF-8 is `None`.
fn form_url_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// RFC 6749 §2.3.1 / §3.2.1, docs/security.md C.11: checks `auth` against the registered client (`None` =
/// unknown). Confidential clients need Basic or Post with a secret whose SHA-256 digest equals
/// `secret_hash` (constant time); public clients must use `none`; a client registered for
/// `private_key_jwt` must send an assertion and nothing else, and only it may (docs/security.md
/// K.1). An assertion is not verified here: this returns `Ok` for none, and the caller verifies it
/// (`clients::assertion`). Every failure is `invalid_client` "client authentication failed", with the
/// real reason as the logged detail.
pub fn authenticate(client: Option<&Client>, auth: &ClientAuth) -> Result<(), OAuthError> {
    let fail =
        |reason: &'static str| OAuthError::invalid_client("client authentication failed").with_detail(reason);
    let client = client.ok_or_else(|| fail("unknown client"))?;
    if client.client_id != auth.client_id() {
        return Err(fail("client_id does not match the registered client"));
    }
    match (client.registration.keys.is_some(), auth) {
        (true, ClientAuth::Assertion { .. }) => {
            return Err(fail("a client assertion is verified with the client's keys"));
        }
        (true, _) => return Err(fail("a private_key_jwt client must send a client assertion")),
        (false, ClientAuth::Assertion { .. }) => {
            return Err(fail("the client is not registered for private_key_jwt"));
        }
        (false, _) => {}
    }
    match (&client.secret_hash, auth) {
        (Some(hash), ClientAuth::Basic { secret, .. } | ClientAuth::Post { secret, .. }) => {
            if ct_eq(&sha256_hex(secret), &hash.to_ascii_lowercase()) {
                Ok(())
            } else {
                Err(fail("wrong client secret"))
            }
        }
        (Some(_), ClientAuth::None { .. }) => Err(fail("confidential client sent no secret")),
        (None, ClientAuth::None { .. }) => Ok(()),
        (None, ClientAuth::Basic { .. } | ClientAuth::Post { .. }) => {
            Err(fail("public client sent a secret"))
        }
        (_, ClientAuth::Assertion { .. }) => Err(fail("unexpected client assertion")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::oauth::ErrorCode;
    use base64::engine::general_purpose::STANDARD as B64;

    fn params(q: &str) -> ParamMap {
        ParamMap::from_urlencoded(q.as_bytes()).unwrap()
    }

    fn basic(raw: &str) -> String {
        format!("Basic {}", B64.encode(raw))
    }

    fn client(secret: Option<&str>) -> Client {
        Client {
            client_id: "app 1".into(),
            name: "App".into(),
            secret_hash: secret.map(sha256_hex),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            grant_types: vec![],
            scopes: crate::oauth::scope::Scope::default(),
            first_party: false,
            id_token_signed_response_alg: crate::keys::Alg::Rs256,
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

    #[test]
    fn basic_credentials_are_form_url_decoded() {
        let h = basic("app+1:s%3Ac%2Bret%25");
        let auth = extract(Some(&h), &params("grant_type=x")).unwrap().unwrap();
        assert_eq!(
            auth,
            ClientAuth::Basic {
                client_id: "app 1".into(),
                secret: "s:c+ret%".into()
            }
        );
        assert!(auth.used_header());
        assert_eq!(auth.method(), "client_secret_basic");
    }

    #[test]
    fn basic_scheme_is_case_insensitive() {
        let h = format!("bAsIc  {}", B64.encode("a:b"));
        assert_eq!(extract(Some(&h), &params("")).unwrap().unwrap().client_id(), "a");
    }

    #[test]
    fn two_authentication_methods_are_rejected() {
        let e = extract(Some(&basic("a:b")), &params("client_secret=b")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert_eq!(e.description, "multiple client authentication methods");
        let e = extract(Some(&basic("a:b")), &params("client_assertion=x")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn basic_client_id_must_match_body_client_id() {
        let e = extract(Some(&basic("a:b")), &params("client_id=other")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(extract(Some(&basic("a:b")), &params("client_id=a")).is_ok());
    }

    #[test]
    fn malformed_basic_header_is_invalid_client() {
        for h in [
            "Basic".to_string(),
            "Basic !!!".to_string(),
            basic("no-colon"),
            basic(":secret"),
            basic("a%zz:b"),
            basic("a:%"),
            basic("web%00app:secret"),
            basic("web-app:sec%0Aret"),
            format!("Basic {}", B64.encode([0xff, b':', b'x'])),
        ] {
            assert_eq!(
                extract(Some(&h), &params("")).unwrap_err().code,
                ErrorCode::InvalidClient,
                "{h}"
            );
        }
    }

    #[test]
    fn non_basic_scheme_is_invalid_client() {
        for h in ["Bearer abc", "Digest x", ""] {
            assert_eq!(
                extract(Some(h), &params("")).unwrap_err().code,
                ErrorCode::InvalidClient
            );
        }
    }

    #[test]
    fn client_secret_post_and_none_are_read_from_the_body() {
        let post = extract(None, &params("client_id=a&client_secret=s"))
            .unwrap()
            .unwrap();
        assert_eq!(
            post,
            ClientAuth::Post {
                client_id: "a".into(),
                secret: "s".into()
            }
        );
        assert_eq!(post.method(), "client_secret_post");
        let none = extract(None, &params("client_id=a&client_secret="))
            .unwrap()
            .unwrap();
        assert_eq!(
            none,
            ClientAuth::None {
                client_id: "a".into()
            }
        );
        assert!(!none.used_header());
        assert_eq!(extract(None, &params("grant_type=x")).unwrap(), None);
        assert!(extract(None, &params("client_secret=s")).is_err());
    }

    #[test]
    fn client_assertions_need_the_jwt_bearer_type() {
        let e = extract(None, &params("client_id=a&client_assertion=x")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        let e = extract(
            None,
            &params("client_id=a&client_assertion=x&client_assertion_type=urn%3Aother"),
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
        let q = format!(
            "client_id=a&client_assertion=x.y.z&client_assertion_type={}",
            url::form_urlencoded::byte_serialize(client_assertion::ASSERTION_TYPE.as_bytes())
                .collect::<String>()
        );
        let auth = extract(None, &params(&q)).unwrap().unwrap();
        assert_eq!(auth.method(), "private_key_jwt");
        assert_eq!(auth.client_id(), "a");
    }

    #[test]
    fn a_private_key_jwt_client_may_not_use_a_secret_and_vice_versa() {
        let mut keyed = client(None);
        keyed.registration.keys = Some(crate::storage::ClientKeys::Jwks("{}".into()));
        for auth in [
            ClientAuth::Post {
                client_id: "app 1".into(),
                secret: "s".into(),
            },
            ClientAuth::None {
                client_id: "app 1".into(),
            },
        ] {
            assert!(authenticate(Some(&keyed), &auth).is_err());
        }
        let assertion = ClientAuth::Assertion {
            client_id: "app 1".into(),
            assertion: "x".into(),
        };
        assert!(authenticate(Some(&client(Some("s"))), &assertion).is_err());
        assert!(authenticate(Some(&client(None)), &assertion).is_err());
        assert!(!keyed.is_public());
    }

    #[test]
    fn confidential_client_needs_the_right_secret() {
        let c = client(Some("s3cret"));
        let ok = ClientAuth::Basic {
            client_id: "app 1".into(),
            secret: "s3cret".into(),
        };
        assert!(authenticate(Some(&c), &ok).is_ok());
        assert!(
            authenticate(
                Some(&c),
                &ClientAuth::Post {
                    client_id: "app 1".into(),
                    secret: "s3cret".into()
                }
            )
            .is_ok()
        );
        for bad in [
            ClientAuth::Post {
                client_id: "app 1".into(),
                secret: "wrong".into(),
            },
            ClientAuth::None {
                client_id: "app 1".into(),
            },
            ClientAuth::Basic {
                client_id: "other".into(),
                secret: "s3cret".into(),
            },
        ] {
            let e = authenticate(Some(&c), &bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidClient);
            assert_eq!(e.description, "client authentication failed");
        }
    }

    #[test]
    fn public_client_must_not_send_a_secret() {
        let c = client(None);
        assert!(
            authenticate(
                Some(&c),
                &ClientAuth::None {
                    client_id: "app 1".into()
                }
            )
            .is_ok()
        );
        let e = authenticate(
            Some(&c),
            &ClientAuth::Post {
                client_id: "app 1".into(),
                secret: "x".into(),
            },
        );
        assert_eq!(e.unwrap_err().code, ErrorCode::InvalidClient);
    }

    #[test]
    fn unknown_client_fails_authentication() {
        let e = authenticate(
            None,
            &ClientAuth::None {
                client_id: "nobody".into(),
            },
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
        assert!(e.detail.is_some());
    }
}
