//! docs/security.md E.28: protocol parsers never panic, whatever bytes arrive. A seeded random
//! generator throws structured garbage at every parser of untrusted input.

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use crate::oauth::client_auth;
    use crate::oauth::params::ParamMap;
    use crate::oauth::{pkce, redirect_uri, scope::Scope};

    const ALPHABET: &[u8] = b"=&%+ab:/?#.-_~ \x00\xff\xc3\x28\"'<>\\[]@!Basic bearer";

    fn garbage(rng: &mut StdRng) -> Vec<u8> {
        let len = rng.gen_range(0..200);
        (0..len)
            .map(|_| {
                if rng.gen_bool(0.8) {
                    ALPHABET[rng.gen_range(0..ALPHABET.len())]
                } else {
                    rng.r#gen()
                }
            })
            .collect()
    }

    #[test]
    fn parsers_never_panic_on_random_input() {
        let mut rng = StdRng::seed_from_u64(0x5eed);
        for _ in 0..20_000 {
            let bytes = garbage(&mut rng);
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if let Ok(params) = ParamMap::from_urlencoded(&bytes) {
                let _ = client_auth::extract(Some(&text), &params);
                let _ = client_auth::extract(Some(&format!("Basic {text}")), &params);
            }
            let _ = Scope::parse(&text);
            let _ = pkce::validate_verifier(&text);
            let _ = pkce::parse_challenge(Some(&text), Some(&text), pkce::PkcePolicy::AllowPlain);
            let _ = redirect_uri::validate_registration(&text);
            let _ = redirect_uri::matches_registered(&["http://127.0.0.1/cb".to_string()], &text);
            let _ = redirect_uri::with_query(&text, &[("state", &text)]);
            if let Some(code) = crate::oauth::device::UserCode::parse(&text) {
                assert_eq!(code.as_str().len(), crate::oauth::device::LENGTH);
            }
        }
    }

    /// docs/security.md K: the parsers of client assertions, JWK Sets, registration requests,
    /// metadata-document client_ids and documents.
    #[test]
    fn registration_parsers_never_panic_on_random_input() {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;

        use crate::keys::Alg;
        use crate::oauth::{client_assertion, client_id_metadata, registration};

        let allowed = vec!["openid".to_string()];
        let policy = registration::Policy {
            allowed_scopes: &allowed,
            allow_http_loopback: true,
            signing_algs: &[Alg::Rs256],
            default_alg: Alg::Rs256,
        };
        let url = url::Url::parse("https://agent.example/c.json").unwrap();
        let mut rng = StdRng::seed_from_u64(0x7591);
        for _ in 0..20_000 {
            let bytes = garbage(&mut rng);
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let _ = client_assertion::peek(&text);
            let encoded = URL_SAFE_NO_PAD.encode(&bytes);
            let _ = client_assertion::peek(&format!("{encoded}.{encoded}.x"));
            let _ = client_assertion::parse_jwks(&text);
            if let Ok(req) = registration::read(&bytes) {
                let _ = registration::check(req, &policy);
            }
            let _ = client_id_metadata::document_url(&text, true);
            let _ = client_id_metadata::document_url(&format!("https://a.example/{text}"), false);
            let _ = client_id_metadata::check_document(&url, &bytes, &policy);
        }
    }
}
