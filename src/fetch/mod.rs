//! Server-side fetches of documents a client names (docs/security.md K.3): Client ID Metadata
//! Documents and `jwks_uri` JWK Sets. A URL on the internet chosen by anyone must not reach the
//! server's own network, so:
//!
//! - https only (plain http on the literal 127.0.0.1 only when
//!   `registration.cimd_allow_http_loopback` is on, for tests);
//! - the host name is resolved here, EVERY address it resolves to must be public
//!   ([`address::is_public`]), and the connection goes to the checked address only (the name is
//!   pinned to it, so DNS rebinding between check and connect cannot switch it); no proxy;
//! - no redirects (a 3xx is an error), only 200;
//! - at most `max_bytes`, read chunk by chunk and abandoned past it; 5 s for the whole fetch;
//! - how long the answer may be reused comes from `Cache-Control: max-age` (or `Expires` minus
//!   `Date`), clamped to [`MIN_CACHE_SECS`, `MAX_CACHE_SECS`]; `no-store`/`no-cache` count as 0,
//!   so as the minimum.

pub mod address;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use url::{Host, Url};

/// The shortest time a fetched document is reused (5 minutes).
pub const MIN_CACHE_SECS: i64 = 300;
/// The longest time a fetched document is reused (24 hours).
pub const MAX_CACHE_SECS: i64 = 86_400;
/// The whole fetch, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// What a fetch may do.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The largest body accepted.
    pub max_bytes: usize,
    /// Plain http to 127.0.0.1 (tests only).
    pub allow_http_loopback: bool,
}

/// A fetched document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub body: Vec<u8>,
    /// How long it may be reused, within the bounds.
    pub cache_secs: i64,
}

/// Why a fetch was refused or failed; the text is safe to show to the client that named the URL.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("the URL must be https")]
    NotHttps,
    #[error("the URL is not acceptable: {0}")]
    BadUrl(&'static str),
    #[error("the host resolves to an address that is not public")]
    ForbiddenAddress,
    #[error("the host name could not be resolved")]
    Resolve,
    #[error("the server answered with a redirect, which is not followed")]
    Redirect,
    #[error("the server answered with status {0}")]
    Status(u16),
    #[error("the document is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the fetch failed or timed out")]
    Network,
}

/// Fetches `url` under `policy` (see the module documentation).
pub async fn fetch(url: &Url, policy: Policy) -> Result<Fetched, FetchError> {
    let addr = checked_address(url, policy).await?;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .user_agent(concat!("portcullis/", env!("CARGO_PKG_VERSION")));
    if let Some(Host::Domain(name)) = url.host() {
        // Connect to the address checked above, whatever DNS says by then.
        builder = builder.resolve(name, addr);
    }
    let client = builder.build().map_err(|_| FetchError::Network)?;
    let fetch = async {
        let mut res = client
            .get(url.as_str())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|_| FetchError::Network)?;
        let status = res.status();
        if status.is_redirection() {
            return Err(FetchError::Redirect);
        }
        if status != reqwest::StatusCode::OK {
            return Err(FetchError::Status(status.as_u16()));
        }
        if res.content_length().is_some_and(|n| n > policy.max_bytes as u64) {
            return Err(FetchError::TooLarge(policy.max_bytes));
        }
        let cache_secs = cache_lifetime(res.headers());
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|_| FetchError::Network)? {
            if body.len() + chunk.len() > policy.max_bytes {
                return Err(FetchError::TooLarge(policy.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { body, cache_secs })
    };
    tokio::time::timeout(TIMEOUT, fetch)
        .await
        .map_err(|_| FetchError::Network)?
}

/// The one address the fetch connects to: every address of the host must be public (or, with
/// the test switch, the URL is plain http to the literal 127.0.0.1).
async fn checked_address(url: &Url, policy: Policy) -> Result<SocketAddr, FetchError> {
    check_url(url, policy)?;
    let port = url.port_or_known_default().ok_or(FetchError::BadUrl("no port"))?;
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(name)) => tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((name, port)))
            .await
            .map_err(|_| FetchError::Resolve)?
            .map_err(|_| FetchError::Resolve)?
            .collect(),
        None => return Err(FetchError::BadUrl("no host")),
    };
    let first = *addrs.first().ok_or(FetchError::Resolve)?;
    if url.scheme() == "http" {
        // check_url allowed http only for the literal 127.0.0.1.
        return Ok(first);
    }
    if addrs.iter().any(|a| !address::is_public(a.ip())) {
        return Err(FetchError::ForbiddenAddress);
    }
    Ok(first)
}

/// The URL itself: https (or the loopback test exception), a host, no user information, no
/// fragment.
pub fn check_url(url: &Url, policy: Policy) -> Result<(), FetchError> {
    match url.scheme() {
        "https" => {}
        "http"
            if policy.allow_http_loopback
                && url.host() == Some(Host::Ipv4(std::net::Ipv4Addr::LOCALHOST)) => {}
        _ => return Err(FetchError::NotHttps),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::BadUrl("user information"));
    }
    if url.fragment().is_some() {
        return Err(FetchError::BadUrl("a fragment"));
    }
    if url.host().is_none() {
        return Err(FetchError::BadUrl("no host"));
    }
    Ok(())
}

/// RFC 9111 §5.2.2.1 `max-age` (`no-store`/`no-cache`: 0), else §5.3 `Expires` minus `Date`,
/// clamped to the bounds.
fn cache_lifetime(headers: &reqwest::header::HeaderMap) -> i64 {
    let text = |name: reqwest::header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let from_cache_control = text(reqwest::header::CACHE_CONTROL).and_then(|cc| {
        let mut max_age = None;
        for directive in cc.split(',').map(|d| d.trim().to_ascii_lowercase()) {
            if directive == "no-store" || directive == "no-cache" {
                return Some(0);
            }
            if let Some(v) = directive.strip_prefix("max-age=") {
                max_age = v.trim_matches('"').parse::<i64>().ok();
            }
        }
        max_age
    });
    let from_expires = || {
        let expires = http_date(text(reqwest::header::EXPIRES)?)?;
        let date = http_date(text(reqwest::header::DATE)?)?;
        Some(expires - date)
    };
    from_cache_control
        .or_else(from_expires)
        .unwrap_or(0)
        .clamp(MIN_CACHE_SECS, MAX_CACHE_SECS)
}

/// RFC 9110 §5.6.7 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), as Unix seconds.
fn http_date(s: &str) -> Option<i64> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(s.trim(), format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    const STRICT: Policy = Policy {
        max_bytes: 5 * 1024,
        allow_http_loopback: false,
    };

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cache_lifetime_follows_the_headers_within_bounds() {
        assert_eq!(
            cache_lifetime(&headers(&[("cache-control", "max-age=3600")])),
            3600
        );
        assert_eq!(
            cache_lifetime(&headers(&[("cache-control", "public, max-age=10")])),
            MIN_CACHE_SECS
        );
        assert_eq!(
            cache_lifetime(&headers(&[("cache-control", "max-age=999999")])),
            MAX_CACHE_SECS
        );
        assert_eq!(
            cache_lifetime(&headers(&[("cache-control", "no-store")])),
            MIN_CACHE_SECS
        );
        assert_eq!(cache_lifetime(&headers(&[])), MIN_CACHE_SECS);
        let expires = headers(&[
            ("date", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ("expires", "Sun, 06 Nov 1994 10:49:37 GMT"),
        ]);
        assert_eq!(cache_lifetime(&expires), 7200);
    }

    #[test]
    fn http_urls_are_refused_unless_loopback_is_allowed() {
        let http = Url::parse("http://127.0.0.1:8080/client").unwrap();
        assert_eq!(check_url(&http, STRICT), Err(FetchError::NotHttps));
        let lenient = Policy {
            allow_http_loopback: true,
            ..STRICT
        };
        assert_eq!(check_url(&http, lenient), Ok(()));
        for other in [
            "http://localhost/x",
            "http://10.0.0.1/x",
            "http://[::1]/x",
            "ftp://x.example/y",
        ] {
            let url = Url::parse(other).unwrap();
            assert!(check_url(&url, lenient).is_err(), "{other}");
        }
        let creds = Url::parse("https://user:pw@example.com/x").unwrap();
        assert!(check_url(&creds, STRICT).is_err());
    }

    #[tokio::test]
    async fn literal_private_addresses_are_refused_before_connecting() {
        for url in [
            "https://127.0.0.1/x",
            "https://10.0.0.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://[::ffff:192.168.0.1]/x",
        ] {
            let url = Url::parse(url).unwrap();
            assert_eq!(
                checked_address(&url, STRICT).await,
                Err(FetchError::ForbiddenAddress),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused() {
        let url = Url::parse("https://localhost/x").unwrap();
        assert_eq!(
            checked_address(&url, STRICT).await,
            Err(FetchError::ForbiddenAddress)
        );
    }
}
