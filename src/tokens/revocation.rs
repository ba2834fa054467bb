//! Token revocation (RFC 7009 §2.1): a refresh token revokes its whole family; an access token's
//! `jti` is refused until it expires. Unknown tokens and tokens of other clients are answered with
//! 200 and left alone (§2.2); a revocation that cannot be written is an error
//! (docs/security.md E.29).

use crate::context::Context;
use crate::digest::sha256_hex;
use crate::oauth::OAuthError;
use crate::storage::Client;
use crate::tokens::access;

/// RFC 7009 §2.1: `token_type_hint` only orders the look-ups. Ok(()) whether or not the token was
/// known.
pub async fn revoke(
    ctx: &Context,
    client: &Client,
    token: &str,
    hint: Option<&str>,
) -> Result<(), OAuthError> {
    if hint == Some("access_token") {
        if revoke_access(ctx, client, token).await? {
            return Ok(());
        }
        revoke_refresh(ctx, client, token).await?;
    } else if !revoke_refresh(ctx, client, token).await? {
        revoke_access(ctx, client, token).await?;
    }
    Ok(())
}

async fn revoke_refresh(ctx: &Context, client: &Client, token: &str) -> Result<bool, OAuthError> {
    let Some((rt, _family)) = ctx.store.refresh_token(&sha256_hex(token)).await? else {
        return Ok(false);
    };
    if rt.client_id == client.client_id {
        ctx.store.revoke_family(&rt.family_id, ctx.now()).await?;
    }
    Ok(true)
}

async fn revoke_access(ctx: &Context, client: &Client, token: &str) -> Result<bool, OAuthError> {
    let Some(checked) = access::verify(ctx, token) else {
        return Ok(false);
    };
    // Expired tokens need no revocation; foreign ones are not ours to revoke.
    let Ok(claims) = checked else {
        return Ok(true);
    };
    if claims.client_id == client.client_id {
        revoke_jti(ctx, &claims.jti, claims.exp).await?;
    }
    Ok(true)
}

/// RFC 7009 §2.1 / docs/security.md C.18, E.29, E.30: an access token's `jti` is refused until the
/// token expires. The database records it first (a failed write is an error, never a success); then
/// this node's cache has it at once, and the other nodes at their next notice or poll.
pub async fn revoke_jti(ctx: &Context, jti: &str, expires_at: i64) -> Result<(), OAuthError> {
    ctx.store.revoke_token(jti, expires_at, ctx.now()).await?;
    ctx.revoked.record(jti, expires_at);
    Ok(())
}
