//! OpenID Back-Channel Logout 1.0 (docs/clients.md, "Back-channel logout"): when a login session
//! or every session of a user ends, each client that received tokens in it and registered a
//! `backchannel_logout_uri` gets a signed logout token by a direct POST.
//!
//! - Which clients: every token response to a user ([`record`], from `tokens/response.rs`) notes
//!   (client, user, `sid`) for clients with a back-channel URI, in the database. That covers clients
//!   that got only an ID token and never a refresh token.
//! - When: [`session_ended`] (RP-initiated logout, the account page's sign out, a new user signing
//!   in on the same browser) ends one `sid`; [`user_logged_out`] (sign out everywhere, password
//!   change, admin logout, disable, removal) every session of the user.
//! - How: the store turns the records into rows of the `backchannel_deliveries` queue in the same
//!   transaction; [`deliver`] signs a token at each attempt ([`token`]) and retries with backoff,
//!   so a restart loses nothing.
//!
//! Front-Channel Logout is not built: it needs iframes to every client's origin on the logout page
//! (a `frame-src` listing them in the CSP) and third-party cookies, which browsers now block.

pub mod deliver;
pub mod token;

use url::Url;

use crate::context::Context;
use crate::storage::{Client, DynStore, LogoutScope, StorageError, User};

/// OpenID Back-Channel Logout 1.0 §2.2: a `backchannel_logout_uri` is checked like a redirect URI
/// (docs/security.md A.2: absolute, no fragment, https except on loopback) and must be http(s).
pub fn validate_uri(uri: &str) -> Result<(), String> {
    crate::oauth::redirect_uri::validate_registration(uri)
        .map_err(|e| e.replace("redirect URI", "back-channel logout URI"))?;
    let url = Url::parse(uri).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("back-channel logout URI must be https (http only on loopback)".into());
    }
    Ok(())
}

/// Notes that `client` received tokens for `user` in login session `sid` (none: the password
/// grant), when the client has a back-channel logout URI. The note lasts as long as the longer of
/// a login session and a refresh-token family.
pub async fn record(
    ctx: &Context,
    client: &Client,
    user: &User,
    sid: Option<&str>,
) -> Result<(), StorageError> {
    if client.backchannel_logout.is_none() {
        return Ok(());
    }
    let now = ctx.now();
    let lasts = ctx
        .sessions
        .absolute_ttl_secs
        .max(ctx.tokens.refresh_absolute_ttl_secs) as i64;
    ctx.store
        .record_backchannel_session(&client.client_id, &user.id, sid, now, now + lasts)
        .await
}

/// Login session `sid` of the user ended: queues a logout token for each client that holds its tokens.
pub async fn session_ended(
    store: &DynStore,
    user_id: &str,
    sid: &str,
    now: i64,
) -> Result<u64, StorageError> {
    let n = store
        .queue_logout(user_id, LogoutScope::Session(sid), now)
        .await?;
    if n > 0 {
        tracing::info!(queued = n, "back-channel logout queued for a session");
    }
    Ok(n)
}

/// Every session of the user ended: queues a logout token for each client that holds their tokens.
pub async fn user_logged_out(store: &DynStore, user_id: &str, now: i64) -> Result<u64, StorageError> {
    let n = store.queue_logout(user_id, LogoutScope::User, now).await?;
    if n > 0 {
        tracing::info!(queued = n, "back-channel logout queued for a user");
    }
    Ok(n)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn backchannel_logout_uri_is_validated_like_a_redirect_uri() {
        assert!(validate_uri("https://app.example.com/bcl").is_ok());
        assert!(validate_uri("http://127.0.0.1:9000/bcl").is_ok());
        for bad in [
            "http://app.example.com/bcl",
            "https://app.example.com/bcl#x",
            "com.example.app:/bcl",
            "/relative",
        ] {
            assert!(validate_uri(bad).is_err(), "{bad}");
        }
    }
}
