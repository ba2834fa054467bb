//! Token revocation (RFC 7009 §2.1): a refresh token revokes its whole family; an access token's
//! `jti` is refused until it expires. Unknown tokens and tokens of other clients are answered with
//! 200 and left alone (§2.2); a revocation that cannot be written is an error (SECURITY.md E.29).

use crate::grants::issue;
use crate::oauth::OAuthError;
use crate::state::AppState;
use crate::storage::Client;
use crate::util::{now, sha256_hex};

/// RFC 7009 §2.1. Returns Ok(()) whether or not the token was known.
pub async fn revoke(
    state: &AppState,
    client: &Client,
    token: &str,
    hint: Option<&str>,
) -> Result<(), OAuthError> {
    if hint == Some("access_token") {
        if revoke_access(state, client, token).await? {
            return Ok(());
        }
        revoke_refresh(state, client, token).await?;
    } else if !revoke_refresh(state, client, token).await? {
        revoke_access(state, client, token).await?;
    }
    Ok(())
}

async fn revoke_refresh(state: &AppState, client: &Client, token: &str) -> Result<bool, OAuthError> {
    let Some((rt, _family)) = state.store.refresh_token(&sha256_hex(token)).await? else {
        return Ok(false);
    };
    if rt.client_id == client.client_id {
        state.store.revoke_family(&rt.family_id, now()).await?;
    }
    Ok(true)
}

async fn revoke_access(state: &AppState, client: &Client, token: &str) -> Result<bool, OAuthError> {
    if token.len() > 8192 || token.split('.').count() != 3 {
        return Ok(false);
    }
    let Ok((header, claims)) = state.keys.verify(token) else {
        return Ok(false);
    };
    // Expired tokens need no revocation; foreign ones are not ours to revoke.
    let Ok(claims) = crate::oauth::tokens::check_access_token_claims(&header, claims, state.issuer(), now())
    else {
        return Ok(true);
    };
    if claims.client_id == client.client_id {
        issue::revoke_jti(state, &claims.jti, claims.exp).await?;
    }
    Ok(true)
}
