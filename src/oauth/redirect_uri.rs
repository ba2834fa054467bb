//! Redirect URIs: registration rules (docs/security.md A.2, RFC 6749 §3.1.2), exact matching with the
//! loopback port exception (docs/security.md A.1, RFC 8252 §7.3), and building responses (RFC 6749 §3.1.2).

use std::net::Ipv6Addr;

use url::{Host, Url};

/// Schemes that run code in the user agent: never a redirect target.
const FORBIDDEN_SCHEMES: [&str; 3] = ["javascript", "data", "vbscript"];
/// Authorization response parameters (RFC 6749 §4.1.2, §4.1.2.1, RFC 9207): a registered URI that
/// already carries one could shadow or confuse the real response.
const RESERVED_PARAMS: [&str; 6] = ["code", "state", "iss", "error", "error_description", "error_uri"];
/// RFC 8252 §7.3: loopback IP literals whose port may vary (never `localhost`, RFC 8252 §8.3).
const LOOPBACK_PREFIXES: [&str; 2] = ["http://127.0.0.1", "http://[::1]"];

/// docs/security.md A.2, RFC 6749 §3.1.2, RFC 8252 §7: checks a redirect URI at registration. It must be
/// an absolute URI of printable ASCII with no fragment, no `*`, no user info, no reserved response
/// parameter (`code`, `state`, `iss`, `error`, ...) in its query, and a scheme other than
/// `javascript`/`data`/`vbscript` (any case). `http` only for loopback: 127.0.0.0/8, `[::1]` and
/// `localhost` (which gets no port leniency). Custom schemes for native apps (`com.example.app:/cb`)
/// are allowed. The error explains why.
pub fn validate_registration(uri: &str) -> Result<(), String> {
    if uri.is_empty() {
        return Err("redirect URI is empty".into());
    }
    // The url crate silently strips whitespace and control characters; exact matching needs the
    // registered string to be exactly what clients send, so refuse them (and non-ASCII) outright.
    if !uri.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err("redirect URI must be printable ASCII without spaces".into());
    }
    if uri.contains('#') {
        return Err("redirect URI must not contain a fragment".into());
    }
    if uri.contains('*') {
        return Err("redirect URI must not contain a wildcard".into());
    }
    let url = Url::parse(uri).map_err(|e| format!("redirect URI is not an absolute URI: {e}"))?;
    let scheme = url.scheme();
    if FORBIDDEN_SCHEMES.contains(&scheme) {
        return Err(format!("redirect URI scheme {scheme}: is not allowed"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("redirect URI must not contain user information".into());
    }
    if scheme == "http" && !is_loopback_host(url.host()) {
        return Err("http redirect URIs are allowed only on loopback (127.0.0.1, [::1], localhost)".into());
    }
    if let Some((name, _)) = url
        .query_pairs()
        .find(|(name, _)| RESERVED_PARAMS.contains(&name.as_ref()))
    {
        return Err(format!(
            "redirect URI query must not contain the response parameter {name}"
        ));
    }
    Ok(())
}

fn is_loopback_host(host: Option<Host<&str>>) -> bool {
    match host {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip == Ipv6Addr::LOCALHOST,
        Some(Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// docs/security.md A.1, RFC 6749 §3.1.2.3, RFC 8252 §7.3: exact, case-sensitive string match against
/// one of `registered`, no normalisation. The only leniency: when a registered URI is `http` on the
/// IP literal `127.0.0.1` or `[::1]`, the requested one may differ in its port alone.
pub fn matches_registered(registered: &[String], requested: &str) -> bool {
    registered
        .iter()
        .any(|r| r == requested || loopback_matches_ignoring_port(r, requested))
}

/// Both strings start with the same loopback prefix, and are byte-equal once the port is removed.
fn loopback_matches_ignoring_port(registered: &str, requested: &str) -> bool {
    LOOPBACK_PREFIXES.iter().any(|prefix| {
        match (
            strip_loopback_port(registered, prefix),
            strip_loopback_port(requested, prefix),
        ) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    })
}

/// For `http://127.0.0.1[:port]<rest>` returns `<rest>`, where `<rest>` is empty or starts with `/`
/// or `?` (so `http://127.0.0.1.evil.com` and `http://127.0.0.1:1@evil.com` yield nothing), and
/// `port` is 1 to 5 digits of a non-zero u16.
fn strip_loopback_port<'a>(uri: &'a str, prefix: &str) -> Option<&'a str> {
    let after_host = uri.strip_prefix(prefix)?;
    let rest = match after_host.strip_prefix(':') {
        Some(port_and_rest) => {
            let digits = port_and_rest.bytes().take_while(u8::is_ascii_digit).count();
            let port = port_and_rest.get(..digits)?;
            if !(1..=5).contains(&digits) || port.parse::<u16>().ok()? == 0 {
                return None;
            }
            port_and_rest.get(digits..)?
        }
        None => after_host,
    };
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')).then_some(rest)
}

/// RFC 6749 §3.1.2 and §4.1.2: adds `params` (form-url-encoded) to the query of `uri`, keeping its
/// existing query and leaving the rest of the string untouched (no normalisation).
pub fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let (base, fragment) = match uri.find('#') {
        Some(i) => uri.split_at(i),
        None => (uri, ""),
    };
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let mut out = String::with_capacity(uri.len() + encoded.len() + 1);
    out.push_str(base);
    if !encoded.is_empty() {
        let separator = match base.find('?') {
            None => "?",
            Some(i) if i + 1 == base.len() || base.ends_with('&') => "",
            Some(_) => "&",
        };
        out.push_str(separator);
        out.push_str(&encoded);
    }
    out.push_str(fragment);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn reg(uris: &[&str]) -> Vec<String> {
        uris.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn redirect_uri_requires_exact_match() {
        let r = reg(&["https://app.example.com/cb"]);
        assert!(matches_registered(&r, "https://app.example.com/cb"));
        for bad in [
            "https://app.example.com/cb/../evil",
            "https://app.example.com/CB",
            "https://APP.example.com/cb",
            "https://app.example.com/cb?x=1",
            "https://app.example.com/cb#f",
            "https://app.example.com/cb/",
            "https://app.example.com:443/cb",
            "https://app.example.com.evil.com/cb",
            "https://app.example.com.evil.com",
            "http://app.example.com/cb",
            " https://app.example.com/cb",
            "",
        ] {
            assert!(!matches_registered(&r, bad), "{bad}");
        }
    }

    #[test]
    fn loopback_ip_redirect_may_differ_in_port_only() {
        let r = reg(&["http://127.0.0.1/cb", "http://[::1]:8080/native"]);
        assert!(matches_registered(&r, "http://127.0.0.1:51234/cb"));
        assert!(matches_registered(&r, "http://127.0.0.1/cb"));
        assert!(matches_registered(&r, "http://[::1]:1/native"));
        assert!(matches_registered(&r, "http://[::1]/native"));
        for bad in [
            "http://127.0.0.1:51234/cb2",
            "http://127.0.0.1:51234/CB",
            "http://127.0.0.1:51234/cb?x=1",
            "http://127.0.0.1:51234@evil.com/cb",
            "http://127.0.0.1.evil.com/cb",
            "http://127.0.0.1:/cb",
            "http://127.0.0.1:0/cb",
            "http://127.0.0.1:65536/cb",
            "http://127.0.0.2:5000/cb",
            "http://[::1]:5000/cb",
            "https://127.0.0.1:5000/cb",
        ] {
            assert!(!matches_registered(&r, bad), "{bad}");
        }
    }

    #[test]
    fn localhost_gets_no_port_leniency() {
        let r = reg(&["http://localhost/cb", "http://localhost:3000/cb"]);
        assert!(matches_registered(&r, "http://localhost:3000/cb"));
        assert!(!matches_registered(&r, "http://localhost:3001/cb"));
        assert!(validate_registration("http://localhost:3000/cb").is_ok());
    }

    #[test]
    fn fragment_is_refused_at_registration() {
        assert!(validate_registration("https://app.example.com/cb#frag").is_err());
        assert!(validate_registration("https://app.example.com/cb#").is_err());
    }

    #[test]
    fn javascript_scheme_refused_any_case() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "DATA:text/html,x",
            "vbScript:msgbox",
        ] {
            assert!(validate_registration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn http_is_refused_off_loopback() {
        assert!(validate_registration("http://app.example.com/cb").is_err());
        assert!(validate_registration("http://127.0.0.1.nip.io/cb").is_err());
        assert!(validate_registration("http://127.0.0.1/cb").is_ok());
        assert!(validate_registration("http://127.1.2.3:8000/cb").is_ok());
        assert!(validate_registration("http://[::1]/cb").is_ok());
    }

    #[test]
    fn wildcards_are_refused_at_registration() {
        assert!(validate_registration("https://*.example.com/cb").is_err());
        assert!(validate_registration("https://app.example.com/*").is_err());
    }

    #[test]
    fn reserved_query_parameters_are_refused_at_registration() {
        for p in ["code", "state", "iss", "error"] {
            assert!(
                validate_registration(&format!("https://app.example.com/cb?{p}=x")).is_err(),
                "{p}"
            );
        }
        assert!(validate_registration("https://app.example.com/cb?tenant=1").is_ok());
    }

    #[test]
    fn relative_uris_are_refused_at_registration() {
        assert!(validate_registration("/cb").is_err());
        assert!(validate_registration("app.example.com/cb").is_err());
        assert!(validate_registration("").is_err());
    }

    #[test]
    fn user_info_and_whitespace_are_refused_at_registration() {
        assert!(validate_registration("https://app.example.com@evil.com/cb").is_err());
        assert!(validate_registration("https://app.example.com/cb\n").is_err());
        assert!(validate_registration("https://app.example.com/c b").is_err());
    }

    #[test]
    fn native_custom_schemes_are_allowed() {
        assert!(validate_registration("com.example.app:/oauth2redirect").is_ok());
        assert!(validate_registration("https://app.example.com/cb").is_ok());
    }

    #[test]
    fn response_parameters_keep_the_existing_query() {
        let p = [("code", "a b&c"), ("state", "s/1")];
        assert_eq!(
            with_query("https://a.example/cb", &p),
            "https://a.example/cb?code=a+b%26c&state=s%2F1"
        );
        assert_eq!(
            with_query("https://a.example/cb?x=1", &p[..1]),
            "https://a.example/cb?x=1&code=a+b%26c"
        );
        assert_eq!(
            with_query("https://a.example/cb?", &p[..1]),
            "https://a.example/cb?code=a+b%26c"
        );
        assert_eq!(
            with_query("https://a.example/cb?x=1&", &p[..1]),
            "https://a.example/cb?x=1&code=a+b%26c"
        );
        assert_eq!(with_query("com.example.app:/cb", &[]), "com.example.app:/cb");
        assert_eq!(
            with_query("com.example.app:/cb", &p[1..]),
            "com.example.app:/cb?state=s%2F1"
        );
    }
}
