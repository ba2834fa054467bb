//! Documents a client names, fetched under the SSRF rules of `fetch` and cached in the shared
//! store (`Kind::Fetched`, keyed by the digest of the URL) for as long as their cache headers
//! allow within bounds (docs/security.md K.3).

use std::time::Duration;

use url::Url;

use crate::context::Context;
use crate::digest::sha256_hex;
use crate::fetch::{self, FetchError, Policy};
use crate::storage::{Kind, StorageError};

/// How long after a forced fetch of a URL another forced fetch is refused (seconds).
const REFETCH_PAUSE_SECS: u64 = 60;

/// Why a document could not be had.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("the document is not UTF-8 text")]
    NotText,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Whether a cached copy may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// A cached copy if there is one.
    Cached,
    /// Fetch again (a key was not found), unless the URL was force-fetched in the last minute.
    Refetch,
}

/// The fetch policy for this server's settings.
pub fn policy(ctx: &Context, max_bytes: usize) -> Policy {
    Policy {
        max_bytes,
        allow_http_loopback: ctx.registration.cimd_allow_http_loopback,
    }
}

/// The document at `url` as text, from the cache or fetched; `Ok(None)` when `Refetch` was asked
/// within a minute of the last one (the cached copy stands).
pub async fn get(
    ctx: &Context,
    url: &Url,
    max_bytes: usize,
    freshness: Freshness,
) -> Result<Option<String>, DocumentError> {
    let key = sha256_hex(url.as_str());
    match freshness {
        Freshness::Cached => {
            if let Some(text) = ctx.ephemeral.get(Kind::Fetched, &key).await? {
                return Ok(Some(text));
            }
        }
        Freshness::Refetch => {
            let mark = format!("refetch:{key}");
            let n = ctx
                .ephemeral
                .incr(Kind::Fetched, &mark, Duration::from_secs(REFETCH_PAUSE_SECS))
                .await?;
            if n > 1 {
                return Ok(None);
            }
        }
    }
    let fetched = fetch::fetch(url, policy(ctx, max_bytes)).await?;
    let text = String::from_utf8(fetched.body).map_err(|_| DocumentError::NotText)?;
    let ttl = Duration::from_secs(fetched.cache_secs.unsigned_abs());
    ctx.ephemeral.put(Kind::Fetched, &key, &text, ttl).await?;
    Ok(Some(text))
}

/// Forgets the cached copy of `url` (a document that turned out to be unusable).
pub async fn forget(ctx: &Context, url: &Url) -> Result<(), StorageError> {
    ctx.ephemeral
        .delete(Kind::Fetched, &sha256_hex(url.as_str()))
        .await
}
