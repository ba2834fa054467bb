//! An API gateway's side of Portcullis access tokens (docs/guides/gateway.md): the issuer's keys
//! cached by `kid` and fetched again when a token names a `kid` the cache lacks (at most once a
//! minute), and a verified token's claims forwarded to the services behind as headers. The checks
//! themselves are `verify_access_token` in examples/verify_access_token.rs.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use josekit::jwk::JwkSet;
use josekit::jwt::JwtPayload;

/// The least time between two fetches of the JWKS caused by unknown `kid`s: a flood of tokens
/// with invented `kid`s must not become a flood of requests to Portcullis.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// The issuer's JWKS, and the `kid`s it holds.
pub struct KeyCache<F> {
    fetch: F,
    jwks: Vec<u8>,
    kids: HashSet<String>,
    fetched_at: Option<SystemTime>,
}

impl<F: FnMut() -> Result<Vec<u8>, String>> KeyCache<F> {
    /// `fetch` gets the JWKS: GET the `jwks_uri` of the issuer's discovery document.
    pub fn new(fetch: F) -> Self {
        KeyCache {
            fetch,
            jwks: Vec::new(),
            kids: HashSet::new(),
            fetched_at: None,
        }
    }

    /// The JWKS that holds `kid`, for verifying a token whose header names it. An unknown `kid`
    /// means the issuer rotated its keys: the JWKS is fetched again, unless the last fetch was less
    /// than [`REFETCH_INTERVAL`] ago. `None`: no such key; refuse the token.
    pub fn jwks_for(&mut self, kid: &str, now: SystemTime) -> Result<Option<&[u8]>, String> {
        if !self.kids.contains(kid) {
            let recent = self
                .fetched_at
                .is_some_and(|at| now.duration_since(at).unwrap_or_default() < REFETCH_INTERVAL);
            if !recent {
                self.refresh(now)?;
            }
        }
        Ok(self.kids.contains(kid).then_some(self.jwks.as_slice()))
    }

    fn refresh(&mut self, now: SystemTime) -> Result<(), String> {
        let jwks = (self.fetch)()?;
        let set = JwkSet::from_bytes(&jwks).map_err(|e| format!("bad JWKS: {e}"))?;
        self.kids = set
            .keys()
            .iter()
            .filter_map(|k| k.key_id().map(str::to_string))
            .collect();
        self.jwks = jwks;
        self.fetched_at = Some(now);
        Ok(())
    }
}

/// The headers of the request forwarded to a service, for a token that passed every check: the
/// caller's headers without any `x-auth-*` (or a caller could send `x-auth-subject: admin`), then
/// the token's subject, client, scope and audience.
pub fn forwarded_headers(incoming: &[(String, String)], claims: &JwtPayload) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = incoming
        .iter()
        .filter(|(name, _)| !name.to_ascii_lowercase().starts_with("x-auth-"))
        .cloned()
        .collect();
    let text = |name: &str| {
        claims
            .claim(name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    headers.push(("x-auth-subject".into(), text("sub")));
    headers.push(("x-auth-client".into(), text("client_id")));
    headers.push(("x-auth-scope".into(), text("scope")));
    let audience = claims.audience().unwrap_or_default().join(" ");
    headers.push(("x-auth-audience".into(), audience));
    headers
}

/// `gateway_keys JWKS_FILE KID`: whether the JWKS in the file holds the key a token names.
fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [jwks_file, kid] = args.as_slice() else {
        return Err("usage: gateway_keys JWKS_FILE KID".into());
    };
    let mut cache = KeyCache::new(|| std::fs::read(jwks_file).map_err(|e| format!("{jwks_file}: {e}")));
    match cache.jwks_for(kid, SystemTime::now())? {
        Some(_) => println!("{kid}: known"),
        None => return Err(format!("{kid}: unknown, refuse the token")),
    }
    Ok(())
}
