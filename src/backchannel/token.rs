//! The logout token (OpenID Back-Channel Logout 1.0 §2.4): a JWT with `typ: logout+jwt`, `iss`,
//! `aud` (the client), `iat`, a short `exp`, `jti`, `events` with the back-channel logout event,
//! `sub` and `sid` when known, and never `nonce`. Signed with the key ring like the client's ID
//! tokens.

use serde_json::{Value, json};

use crate::context::Context;
use crate::keys::{JsonMap, KeyError};
use crate::oidc::id_token;
use crate::random::random_id;
use crate::storage::Client;

/// §2.4: the `events` member that makes a JWT a logout token.
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// §2.4 (and RFC 8725 §3.11): the explicit type.
pub const TYP: &str = "logout+jwt";
/// §2.4 recommends a short lifetime; two minutes covers clock skew and a slow receiver.
pub const TTL_SECS: i64 = 120;

/// §2.4: a new logout token for `client` about `sub` (and `sid`), valid from now for [`TTL_SECS`].
pub fn sign(ctx: &Context, client: &Client, sub: &str, sid: Option<&str>) -> Result<String, KeyError> {
    let now = ctx.now();
    let mut claims = JsonMap::new();
    claims.insert("iss".into(), Value::from(&*ctx.issuer));
    claims.insert("aud".into(), Value::from(client.client_id.as_str()));
    claims.insert("iat".into(), Value::from(now));
    claims.insert("exp".into(), Value::from(now + TTL_SECS));
    claims.insert("jti".into(), Value::from(random_id()));
    claims.insert("events".into(), json!({ EVENT: {} }));
    claims.insert("sub".into(), Value::from(sub));
    if let Some(sid) = sid {
        claims.insert("sid".into(), Value::from(sid));
    }
    ctx.keys.sign(id_token::alg_for(ctx, client), Some(TYP), &claims)
}
