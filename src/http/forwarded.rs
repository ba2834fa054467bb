//! RFC 7239 `Forwarded` and the de-facto `X-Forwarded-For`: the client's address behind proxies
//! the operator trusts (`http.trusted_proxies`, docs/security.md E.33).
//!
//! The headers are believed only when the TCP peer is a trusted proxy. Each proxy appends the
//! address it received the request from, so the list is read from the right: trusted proxies are
//! skipped and the first address that is not one is the client (anything further left came from
//! the client and may be forged). A malformed entry met on the way, or an obfuscated or `unknown`
//! node (RFC 7239 §6), leaves the peer's address. When a request carries both headers,
//! `X-Forwarded-For` is read (it is what most load balancers write); a proxy that writes only
//! `Forwarded` must drop an incoming `X-Forwarded-For` (docs/operations.md, "Behind a proxy").

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{HeaderMap, HeaderName};

use crate::config::Cidr;

const X_FORWARDED_FOR: &str = "x-forwarded-for";
const FORWARDED: &str = "forwarded";

/// The client's address: the peer, or, when the peer is a trusted proxy, the right-most address
/// of the forwarded chain that is not a trusted proxy. `None` only without a peer address.
pub fn client_addr(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[Cidr]) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let chain: Result<Vec<Option<IpAddr>>, ()> = if let Some(raw) = joined(headers, X_FORWARDED_FOR) {
        raw.map(|v| split_outside_quotes(&v, ',').map(parse_node).collect())
    } else if let Some(raw) = joined(headers, FORWARDED) {
        raw.map(|v| split_outside_quotes(&v, ',').map(forwarded_for).collect())
    } else {
        return Some(peer);
    };
    let Ok(chain) = chain else {
        return Some(peer);
    };
    Some(walk(peer, &chain, is_trusted))
}

/// From the right: skips trusted proxies, stops at the first other address; a malformed entry on
/// the way means the peer; a chain of nothing but trusted proxies means its left-most address.
fn walk(peer: IpAddr, chain: &[Option<IpAddr>], is_trusted: impl Fn(IpAddr) -> bool) -> IpAddr {
    let mut last = peer;
    for entry in chain.iter().rev() {
        match entry {
            None => return peer,
            Some(ip) if is_trusted(*ip) => last = *ip,
            Some(ip) => return *ip,
        }
    }
    last
}

/// Every value of one header, joined by commas as RFC 9110 §5.3 allows. `None` when absent,
/// `Some(Err)` when a value is not visible ASCII.
fn joined(headers: &HeaderMap, name: &'static str) -> Option<Result<String, ()>> {
    let name = HeaderName::from_static(name);
    let mut values = headers.get_all(&name).peekable();
    values.peek()?;
    let parts: Result<Vec<&str>, ()> = values.map(|v| v.to_str().map_err(|_| ())).collect();
    Some(parts.map(|p| p.join(",")))
}

/// Splits at `sep` outside double quotes (RFC 7239 §4 allows quoted values).
fn split_outside_quotes(s: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts.into_iter().map(str::trim)
}

/// RFC 7239 §4: the `for` parameter of one forwarded-element.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    split_outside_quotes(element, ';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_node(unquote(value.trim())))?
    })
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v)
}

/// RFC 7239 §6 node, or an `X-Forwarded-For` entry: `192.0.2.1`, `192.0.2.1:4711`,
/// `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:4711`. `unknown` and obfuscated identifiers
/// (`_hidden`) are not addresses.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim();
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = node.parse::<SocketAddr>() {
        return Some(sa.ip().to_canonical());
    }
    let inner = node.strip_prefix('[')?.strip_suffix(']')?;
    inner.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    const LB: &str = "10.0.0.5";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn trusted() -> Vec<Cidr> {
        vec![
            "10.0.0.0/8".parse().unwrap(),
            "2001:db8:ffff::/48".parse().unwrap(),
        ]
    }

    fn addr(peer: &str, headers: &[(&'static str, &str)]) -> String {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        client_addr(Some(ip(peer)), &map, &trusted()).unwrap().to_string()
    }

    /// E.33: behind a trusted proxy the right-most address that is not a trusted proxy wins.
    #[test]
    fn trusted_proxy_reports_the_client_address() {
        assert_eq!(addr(LB, &[("x-forwarded-for", "203.0.113.7")]), "203.0.113.7");
        assert_eq!(
            addr(LB, &[("x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.1.1.1")]),
            "203.0.113.7"
        );
        assert_eq!(
            addr(
                LB,
                &[
                    ("x-forwarded-for", "198.51.100.1"),
                    ("x-forwarded-for", "203.0.113.7")
                ]
            ),
            "203.0.113.7"
        );
        assert_eq!(
            addr(LB, &[("forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43")]),
            "192.0.2.60"
        );
        assert_eq!(
            addr(
                LB,
                &[(
                    "forwarded",
                    r#"for=192.0.2.43, for="[2001:db8:cafe::17]:4711", for=10.2.2.2"#
                )]
            ),
            "2001:db8:cafe::17"
        );
        assert_eq!(
            addr(LB, &[("forwarded", r#"For="198.51.100.17:8080""#)]),
            "198.51.100.17"
        );
        assert_eq!(
            addr(LB, &[("x-forwarded-for", "[2001:db8::9]:443")]),
            "2001:db8::9"
        );
        assert_eq!(
            addr(LB, &[("x-forwarded-for", "10.3.3.3, 10.4.4.4")]),
            "10.3.3.3",
            "all trusted: the left-most"
        );
        assert_eq!(
            addr("::ffff:10.0.0.5", &[("x-forwarded-for", "203.0.113.7")]),
            "203.0.113.7"
        );
    }

    /// E.33: an untrusted peer's forwarded headers are ignored, however they look.
    #[test]
    fn untrusted_peer_cannot_forge_its_address() {
        assert_eq!(
            addr("203.0.113.9", &[("x-forwarded-for", "198.51.100.1")]),
            "203.0.113.9"
        );
        assert_eq!(
            addr("203.0.113.9", &[("forwarded", "for=198.51.100.1")]),
            "203.0.113.9"
        );
        assert_eq!(addr(LB, &[]), LB, "no header: the peer");
        let mut map = HeaderMap::new();
        map.insert(
            HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_static("198.51.100.1"),
        );
        assert_eq!(
            client_addr(Some(ip(LB)), &map, &[]).unwrap().to_string(),
            LB,
            "no trusted proxies configured"
        );
    }

    /// E.33: a malformed entry, `unknown` or an obfuscated node met while walking means the peer;
    /// garbage the client put further left does not matter.
    #[test]
    fn malformed_forwarded_headers_fall_back_to_the_peer() {
        assert_eq!(addr(LB, &[("x-forwarded-for", "not-an-ip")]), LB);
        assert_eq!(addr(LB, &[("x-forwarded-for", "203.0.113.7, ")]), LB);
        assert_eq!(addr(LB, &[("x-forwarded-for", "")]), LB);
        assert_eq!(addr(LB, &[("forwarded", "for=unknown")]), LB);
        assert_eq!(addr(LB, &[("forwarded", "for=_hidden, for=10.1.1.1")]), LB);
        assert_eq!(addr(LB, &[("forwarded", "proto=https")]), LB);
        assert_eq!(addr(LB, &[("forwarded", r#"for="[2001:db8::1"#)]), LB);
        assert_eq!(
            addr(LB, &[("x-forwarded-for", "garbage, 203.0.113.7")]),
            "203.0.113.7"
        );
    }

    /// E.33: with both headers, `X-Forwarded-For` is the one read.
    #[test]
    fn x_forwarded_for_is_read_before_forwarded() {
        let both = [
            ("forwarded", "for=198.51.100.1"),
            ("x-forwarded-for", "203.0.113.7"),
        ];
        assert_eq!(addr(LB, &both), "203.0.113.7");
    }
}
