//! The upstream's claims mapped onto a local user's fields (`[[upstream]] claims`,
//! docs/guides/federation.md): read from the verified ID token, completed by userinfo.

use serde_json::{Map, Value};

use crate::config::upstream::ClaimNames;

/// What the upstream said about the person, after mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapped {
    /// The upstream's `sub` (never mapped: OpenID Core §2, the only stable identifier).
    pub subject: String,
    pub username: Option<String>,
    pub email: Option<String>,
    /// OpenID Core §5.1 `email_verified` (a boolean, or the string "true" some providers send).
    pub email_verified: bool,
    pub name: Option<String>,
    /// The groups claim: an array of strings, or one string.
    pub groups: Vec<String>,
}

fn text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

/// Maps `claims` (ID token claims, userinfo's added where the ID token had none) with `names`.
pub fn map(subject: &str, claims: &Map<String, Value>, names: &ClaimNames) -> Mapped {
    let email_verified = match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let groups = match claims.get(&names.groups) {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    Mapped {
        subject: subject.to_string(),
        username: text(claims, &names.username),
        email: text(claims, &names.email).filter(|e| e.contains('@')),
        email_verified,
        name: text(claims, &names.name),
        groups,
    }
}

/// Adds the userinfo claims the ID token does not have (OpenID Core §5.3.2: userinfo's `sub` must
/// be the ID token's, checked by the caller).
pub fn merge(id_token: &mut Map<String, Value>, userinfo: Map<String, Value>) {
    for (k, v) in userinfo {
        id_token.entry(k).or_insert(v);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn claims_are_mapped_by_the_configured_names() {
        let names = ClaimNames {
            username: "upn".into(),
            groups: "roles".into(),
            ..ClaimNames::default()
        };
        let claims = obj(json!({
            "upn": "bob", "email": "Bob@Corp.example", "email_verified": "true",
            "name": "Bob", "roles": ["admins", 7, "staff"], "preferred_username": "ignored"
        }));
        let m = map("s-1", &claims, &names);
        assert_eq!(m.username.as_deref(), Some("bob"));
        assert_eq!(m.email.as_deref(), Some("Bob@Corp.example"));
        assert!(m.email_verified);
        assert_eq!(m.groups, ["admins", "staff"]);
        let unverified = map("s-1", &obj(json!({ "email": "a@b.c" })), &names);
        assert!(!unverified.email_verified, "absent email_verified is false");
    }

    #[test]
    fn userinfo_never_overrides_the_id_token() {
        let mut id = obj(json!({ "sub": "1", "email": "a@b.c" }));
        merge(&mut id, obj(json!({ "sub": "2", "email": "x@y.z", "name": "N" })));
        assert_eq!(id["email"], "a@b.c");
        assert_eq!(id["sub"], "1");
        assert_eq!(id["name"], "N");
    }
}
