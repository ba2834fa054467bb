//! RFC 7517 §5 JWK Set: only the public members of our signing keys are ever published
//! (`kty, kid, use, alg, n, e` for RSA, `kty, kid, use, alg, crv, x, y` for EC / OKP): never `d`,
//! `p`, `q`, `dp`, `dq`, `qi` (docs/security.md E.24).

use serde_json::{Map, Value};

use super::KeyError;

/// The members a published JWK may carry (RFC 7517 §4, RFC 7518 §6.2.1 / §6.3.1, RFC 8037 §2).
pub const PUBLIC_MEMBERS: [&str; 9] = ["kty", "kid", "use", "alg", "n", "e", "crv", "x", "y"];

/// RFC 7517 §4: the public members of `jwk` (a public or private JWK), everything else dropped.
pub fn public_members(jwk: &Map<String, Value>) -> Map<String, Value> {
    jwk.iter()
        .filter(|(k, _)| PUBLIC_MEMBERS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Parses a stored public JWK and keeps only its public members; it must name `kid` and `alg`.
pub fn parse_public(json: &str, kid: &str, alg: &str) -> Result<Map<String, Value>, KeyError> {
    let map: Map<String, Value> = serde_json::from_str(json)
        .map_err(|e| KeyError::Invalid(format!("public JWK of {kid} is not a JSON object: {e}")))?;
    let map = public_members(&map);
    if map.get("kid").and_then(Value::as_str) != Some(kid)
        || map.get("alg").and_then(Value::as_str) != Some(alg)
    {
        return Err(KeyError::Invalid(format!(
            "public JWK of {kid} does not name its kid and alg"
        )));
    }
    Ok(map)
}

/// RFC 7517 §5: renders `{"keys":[...]}` from public JWKs (filtered once more, defensively).
pub fn render<'a>(keys: impl IntoIterator<Item = &'a Map<String, Value>>) -> String {
    let keys: Vec<Value> = keys
        .into_iter()
        .map(|k| Value::Object(public_members(k)))
        .collect();
    let mut doc = Map::new();
    doc.insert("keys".into(), Value::Array(keys));
    Value::Object(doc).to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn private_members_are_dropped() {
        let private = json!({"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"AQ","e":"AQAB",
            "d":"x","p":"x","q":"x","dp":"x","dq":"x","qi":"x","key_ops":["sign"]});
        let Value::Object(private) = private else { panic!() };
        let doc = render([&private]);
        let v: Value = serde_json::from_str(&doc).unwrap();
        let k = v["keys"][0].as_object().unwrap();
        let mut names: Vec<&str> = k.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["alg", "e", "kid", "kty", "n", "use"]);
    }

    #[test]
    fn stored_jwk_must_name_its_row() {
        let json = r#"{"kty":"OKP","kid":"k1","alg":"EdDSA","crv":"Ed25519","x":"AA","d":"secret"}"#;
        let map = parse_public(json, "k1", "EdDSA").unwrap();
        assert!(!map.contains_key("d"));
        assert!(parse_public(json, "k2", "EdDSA").is_err());
        assert!(parse_public(json, "k1", "RS256").is_err());
        assert!(parse_public("[]", "k1", "EdDSA").is_err());
    }
}
