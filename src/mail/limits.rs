//! docs/security.md N.5: limits on mail, counted in the shared ephemeral store so they hold across
//! nodes: requests per client address (an IPv6 /64, as for sign-in: `accounts/ratelimit.rs`),
//! counted whether or not an account matched, and mails per recipient address. A request over a
//! limit gets the same page as any other; only the mail is not sent.

use std::time::Duration;

use crate::accounts::ratelimit::address_key;
use crate::context::Context;
use crate::digest::sha256_hex;
use crate::storage::{Kind, StorageError};

/// Counts a request that may send mail from `ip`; false when the address is over
/// `email.per_ip` within `email.window_secs`.
pub async fn request_from(ctx: &Context, ip: &str) -> Result<bool, StorageError> {
    let s = &ctx.email;
    let key = format!("mail-ip:{}", address_key(ip));
    let n = ctx
        .ephemeral
        .incr(Kind::RateLimit, &key, Duration::from_secs(s.window_secs))
        .await?;
    Ok(n <= s.per_ip)
}

/// Counts a mail to `address`; false when it is over `email.per_recipient` within the window.
pub async fn mail_to(ctx: &Context, address: &str) -> Result<bool, StorageError> {
    let s = &ctx.email;
    let key = format!("mail-to:{}", sha256_hex(&address.trim().to_lowercase()));
    let n = ctx
        .ephemeral
        .incr(Kind::RateLimit, &key, Duration::from_secs(s.window_secs))
        .await?;
    Ok(n <= s.per_recipient)
}
