//! Discovery (OpenID Discovery §3-4, RFC 8414 §3, RFC 9207) and the JWKS (RFC 7517): the metadata
//! lists exactly the endpoints that work, and the JWKS never carries private key material.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::*;

async fn metadata(app: &TestApp, path: &str) -> Value {
    let res = app.api.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{path} content type"
    );
    res.json().await.unwrap()
}

#[tokio::test]
async fn discovery_documents_list_exactly_the_working_endpoints() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let doc = metadata(&app, path).await;
        assert_eq!(
            doc["issuer"],
            app.address.as_str(),
            "{path}: issuer is the app address"
        );
        assert_eq!(
            doc["issuer"],
            format!("http://127.0.0.1:{}", app.port),
            "{path}: exact, no trailing slash"
        );

        let advertised: BTreeSet<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| k.ends_with("_endpoint") || k.ends_with("_uri"))
            .collect();
        let expected: BTreeSet<&str> = [
            "authorization_endpoint",
            "token_endpoint",
            "userinfo_endpoint",
            "jwks_uri",
            "introspection_endpoint",
            "revocation_endpoint",
            "end_session_endpoint",
            "pushed_authorization_request_endpoint",
            "device_authorization_endpoint",
        ]
        .into();
        assert_eq!(
            advertised, expected,
            "{path}: no registration endpoint that is not served"
        );

        for key in &expected {
            let url = doc[*key].as_str().unwrap();
            assert!(
                url.starts_with(&format!("{}/", app.address)),
                "{key} = {url} is under the issuer"
            );
            // Each endpoint answers with its own protocol error or page, never a 404/405.
            let res = match *key {
                "jwks_uri" | "authorization_endpoint" | "end_session_endpoint" | "userinfo_endpoint" => {
                    app.api.get(url).send().await.unwrap()
                }
                _ => app.api.post(url).form(&[("x", "y")]).send().await.unwrap(),
            };
            let status = res.status().as_u16();
            assert!(
                ![404, 405].contains(&status) && status < 500,
                "{key} {url}: {status}"
            );
        }
        // The well-known values that describe behaviour tests elsewhere rely on.
        assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
        let grants: BTreeSet<&str> = doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap())
            .collect();
        assert_eq!(
            grants,
            [
                "authorization_code",
                "refresh_token",
                "password",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:token-exchange",
                "urn:ietf:params:oauth:grant-type:device_code"
            ]
            .into()
        );
        assert!(doc.get("request_parameter_supported") != Some(&Value::Bool(true)));
    }
    // Both documents describe the same server.
    let a = metadata(&app, "/.well-known/openid-configuration").await;
    let b = metadata(&app, "/.well-known/oauth-authorization-server").await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn discovery_advertises_iss_parameter_and_s256_only() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let doc = metadata(&app, path).await;
        assert_eq!(
            doc["authorization_response_iss_parameter_supported"], true,
            "{path}: RFC 9207"
        );
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"]),
            "{path}"
        );
        let algs = doc["id_token_signing_alg_values_supported"].as_array().unwrap();
        assert!(algs.contains(&Value::from("RS256")));
        assert!(
            !algs
                .iter()
                .any(|a| a == "none" || a.as_str().unwrap().starts_with("HS")),
            "{algs:?}"
        );
    }
}

#[tokio::test]
async fn jwks_publishes_public_keys_only() {
    let app = spawn_app().await;
    let res = app.api.get(app.url("/jwks")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let jwks: Value = res.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert!(!keys.is_empty());
    for key in keys {
        for field in ["kid", "kty", "alg"] {
            assert!(
                key[field].as_str().is_some_and(|v| !v.is_empty()),
                "{field} in {key}"
            );
        }
        for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(
                key.get(private).is_none(),
                "private member {private} published: {key}"
            );
        }
        assert_ne!(key["kty"], "oct", "no symmetric keys");
    }
    let kids: BTreeSet<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids.len(), keys.len(), "kids are unique");
}
