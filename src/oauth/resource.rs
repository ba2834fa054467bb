//! RFC 8707 §2: the `resource` parameter, without I/O (docs/security.md J.1-J.2). A resource is
//! an absolute URI without a fragment; the API registry (`apis/`) decides whether it is known.

use crate::oauth::OAuthError;
use crate::oauth::params::ParamMap;

/// Most `resource` values accepted in one request (docs/security.md E.28: bounded input).
pub const MAX_RESOURCES: usize = 10;

/// RFC 8707 §2: "an absolute URI ... MUST NOT include a fragment component". Returns the value as
/// sent (identifiers are compared exactly); anything else is `invalid_target`.
pub fn parse(value: &str) -> Result<&str, OAuthError> {
    let url =
        url::Url::parse(value).map_err(|_| OAuthError::invalid_target("resource must be an absolute URI"))?;
    if url.fragment().is_some() || value.contains('#') {
        return Err(OAuthError::invalid_target("resource must not contain a fragment"));
    }
    Ok(value)
}

/// RFC 8707 §2: every `resource` of a request, checked with [`parse`], duplicates dropped,
/// in the order sent. None sent: empty.
pub fn requested(params: &ParamMap) -> Result<Vec<String>, OAuthError> {
    let sent = params.all("resource");
    if sent.len() > MAX_RESOURCES {
        return Err(OAuthError::invalid_target("too many resource parameters"));
    }
    let mut out: Vec<String> = Vec::with_capacity(sent.len());
    for value in sent {
        let value = parse(value)?.to_string();
        if !out.contains(&value) {
            out.push(value);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::oauth::ErrorCode;

    /// J.1: RFC 8707 §2: an absolute URI without a fragment; anything else is `invalid_target`.
    #[test]
    fn malformed_resource_is_invalid_target() {
        for bad in [
            "photos",
            "/api",
            "https://a.example/api#x",
            "https://a.example/#",
            "//a.example",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidTarget, "{bad}");
        }
        for good in [
            "https://a.example/api",
            "https://a.example",
            "urn:example:api",
            "https://a.example/?v=1",
        ] {
            assert_eq!(parse(good).unwrap(), good);
        }
    }

    #[test]
    fn repeated_resources_are_kept_in_order_once() {
        let q = "resource=https%3A%2F%2Fb.example&resource=https%3A%2F%2Fa.example&resource=https%3A%2F%2Fb.example";
        let p = ParamMap::from_urlencoded(q.as_bytes()).unwrap();
        assert_eq!(requested(&p).unwrap(), ["https://b.example", "https://a.example"]);
        let many: Vec<String> = (0..=MAX_RESOURCES)
            .map(|i| format!("resource=https%3A%2F%2F{i}.example"))
            .collect();
        let p = ParamMap::from_urlencoded(many.join("&").as_bytes()).unwrap();
        assert_eq!(requested(&p).unwrap_err().code, ErrorCode::InvalidTarget);
    }
}
