//! `private_key_jwt` at this server (RFC 7523 §3, docs/security.md K.1): the assertion checked by
//! `oauth/client_assertion.rs` with the client's keys (inline, or from its `jwks_uri`, fetched
//! again once when the header's `kid` is not in the cached set), and its `jti` used once: the
//! shared store remembers it (`Kind::ClientJti`) until the assertion has expired.

use std::time::Duration;

use url::Url;

use crate::clients::documents::{self, Freshness};
use crate::context::Context;
use crate::digest::sha256_hex;
use crate::oauth::OAuthError;
use crate::oauth::client_assertion::{self, Expected, Failure, LEEWAY, MAX_JWKS_LEN, fail};
use crate::storage::{Client, ClientKeys, Kind};

/// Verifies `assertion` for `client` at the endpoint whose URL is `endpoint`: `aud` may be the
/// issuer, the token endpoint or `endpoint`. Every failure is `invalid_client`.
pub async fn verify(
    ctx: &Context,
    client: &Client,
    assertion: &str,
    endpoint: &str,
) -> Result<(), OAuthError> {
    let keys = client
        .registration
        .keys
        .as_ref()
        .ok_or_else(|| fail("the client is not registered for private_key_jwt"))?;
    let audiences = [
        ctx.issuer.to_string(),
        format!("{}/token", ctx.issuer),
        endpoint.to_string(),
    ];
    let expected = Expected {
        client_id: &client.client_id,
        audiences: &audiences,
        now: ctx.now(),
    };
    let verified = match keys {
        ClientKeys::Jwks(set) => client_assertion::verify(assertion, set, &expected),
        ClientKeys::JwksUri(uri) => {
            let url = Url::parse(uri).map_err(|_| fail("the client's jwks_uri is not a URL"))?;
            let set = jwks_at(ctx, &url, Freshness::Cached)
                .await?
                .ok_or_else(|| fail("the client's JWK Set could not be fetched"))?;
            match client_assertion::verify(assertion, &set, &expected) {
                // The client may have rotated its keys since the copy was cached.
                Err(Failure::KeyNotFound) => match jwks_at(ctx, &url, Freshness::Refetch).await? {
                    Some(fresh) => client_assertion::verify(assertion, &fresh, &expected),
                    None => Err(Failure::KeyNotFound),
                },
                other => other,
            }
        }
    };
    let verified = verified.map_err(|f| match f {
        Failure::KeyNotFound => fail("no key of the client's JWK Set verifies the assertion"),
        Failure::Invalid(e) => e,
    })?;
    // RFC 7523 §3 item 7: one use per jti, across every node, until the assertion has expired.
    let key = sha256_hex(&format!("{}\n{}", client.client_id, verified.jti));
    let ttl = (verified.exp - expected.now + LEEWAY).max(1).unsigned_abs();
    let uses = ctx
        .ephemeral
        .incr(Kind::ClientJti, &key, Duration::from_secs(ttl))
        .await?;
    if uses > 1 {
        return Err(fail("the client assertion's jti was used before"));
    }
    Ok(())
}

/// The JWK Set at `url`, checked: fetched documents that are not a set of public keys are
/// forgotten and refused.
async fn jwks_at(ctx: &Context, url: &Url, freshness: Freshness) -> Result<Option<String>, OAuthError> {
    let text = documents::get(ctx, url, MAX_JWKS_LEN, freshness)
        .await
        .map_err(|e| fail("the client's jwks_uri could not be fetched").with_detail(e))?;
    if let Some(t) = &text {
        if client_assertion::parse_jwks(t).is_err() {
            documents::forget(ctx, url).await?;
            return Err(fail("the client's jwks_uri is not a JWK Set of public keys"));
        }
    }
    Ok(text)
}
