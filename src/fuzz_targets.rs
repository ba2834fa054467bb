//! docs/security.md E.28: the fuzz targets. Each function takes the fuzzer's bytes and drives one
//! parser of untrusted input the way a request would; none may panic. `fuzz/fuzz_targets/*.rs`
//! run them under libFuzzer (`cargo +nightly fuzz run <name>`), and the test suite replays the
//! committed corpus (`fuzz/corpus/<name>/`) plus a short seeded mutation run of each
//! (`fuzz_targets::tests`), so a parser that regresses fails `cargo test` on stable.
//!
//! Targets that need signatures to pass (JWTs, DPoP proofs) take a mode byte first: raw bytes as a
//! token, or the bytes as a JSON header or claims set signed with a real key, so the fuzzer reaches
//! the claim checks behind the signature and not only the framing.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jws::{self, ES256, JwsHeader};
use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::clock::Clock;
use crate::config::{Cidr, Settings};
use crate::digest::sha256_hex;
use crate::http::{cookies, forwarded};
use crate::keys::{Alg, KeyRing};
use crate::oauth::authorization_request;
use crate::oauth::params::ParamMap;
use crate::oauth::pkce::{self, PkcePolicy};
use crate::oauth::scope::Scope;
use crate::oauth::{client_auth, dpop, redirect_uri};
use crate::storage::diesel::DieselStore;
use crate::storage::{Client, DynStore, GrantType, Store};
use crate::tokens::access;

/// The issuer every target runs under (https, so cookies carry the `__Host-` prefix).
pub const ISSUER: &str = "https://id.example.com";
const REDIRECT_URI: &str = "https://app.example.com/cb";
/// The clock of the fixture, in seconds: fixed so runs are reproducible.
const NOW: i64 = 1_800_000_000;

/// What the targets share: a key ring over an in-memory database, two clients, the settings and
/// a DPoP key. Built once per fuzzing process.
pub struct Fixture {
    keys: Arc<KeyRing>,
    settings: Settings,
    confidential: Client,
    public: Client,
    dpop_key: Jwk,
    dpop_public: Map<String, Value>,
}

/// Why a fixture could not be built (only at the start of a run).
#[derive(Debug, thiserror::Error)]
#[error("fuzz fixture: {0}")]
pub struct FixtureError(String);

fn fixture_error(e: impl std::fmt::Display) -> FixtureError {
    FixtureError(e.to_string())
}

impl Fixture {
    /// A fixture on a fresh in-memory SQLite database (call inside a tokio runtime).
    pub async fn new() -> Result<Fixture, FixtureError> {
        let mut settings = Settings {
            issuer: ISSUER.into(),
            ..Settings::default()
        };
        settings.keys.master_key = Some(SecretString::from("cd".repeat(32)));
        let clock = Clock::fixed(NOW * 1000);
        let db = DieselStore::connect("sqlite::memory:", 1)
            .await
            .map_err(fixture_error)?;
        db.migrate().await.map_err(fixture_error)?;
        let store: DynStore = Arc::new(db);
        let keys = KeyRing::load(store, &settings.keys, settings.tokens.access_token_alg, clock)
            .await
            .map_err(fixture_error)?;
        let dpop_key = ES256
            .generate_key_pair()
            .map_err(fixture_error)?
            .to_jwk_key_pair();
        let dpop_public: Map<String, Value> = dpop_key.to_public_key().map_err(fixture_error)?.into();
        Ok(Fixture {
            keys,
            settings,
            confidential: client("web-app", Some("secret")),
            public: client("spa", None),
            dpop_key,
            dpop_public,
        })
    }

    /// A fixture with its own single-threaded runtime, for the libFuzzer binaries.
    pub fn blocking() -> Result<Fixture, FixtureError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(fixture_error)?
            .block_on(Fixture::new())
    }
}

fn client(client_id: &str, secret: Option<&str>) -> Client {
    Client {
        client_id: client_id.into(),
        name: format!("App {client_id}"),
        secret_hash: secret.map(sha256_hex),
        redirect_uris: vec![REDIRECT_URI.into(), "http://127.0.0.1/callback".into()],
        post_logout_redirect_uris: Vec::new(),
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: Scope::from_tokens(["openid", "profile", "email", "offline_access"]),
        first_party: true,
        id_token_signed_response_alg: Alg::Rs256,
        access_token_alg: None,
        created_at: 0,
        resource_server: false,
        require_pushed_authorization_requests: false,
        require_mfa: false,
        groups: Default::default(),
        backchannel_logout: None,
        upstreams: Vec::new(),
        password_login: true,
        registration: Default::default(),
    }
}

/// A fuzz target: the fixture and the fuzzer's bytes.
pub type Target = fn(&Fixture, &[u8]);

/// Every target by name (the names of `fuzz/fuzz_targets/*.rs` and `fuzz/corpus/*/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("params", params),
    ("authorization_request", authorization_request),
    ("token_request", token_request),
    ("redirect_uri", redirect_uri),
    ("jwt", jwt),
    ("dpop_proof", dpop_proof),
    ("cookies", cookies),
];

/// RFC 6749 §3.1: the parameter parser of every endpoint.
pub fn params(_: &Fixture, data: &[u8]) {
    if let Ok(p) = ParamMap::from_urlencoded(data) {
        let _ = p.device_name();
        let _ = p.require("client_id");
        for (name, value) in p.iter() {
            assert!(
                !name.is_empty() && !value.is_empty(),
                "empty parameters are dropped"
            );
        }
    }
}

/// RFC 6749 §4.1.1 / OpenID Core §3.1.2.1: `/authorize`'s two stages for a confidential and a
/// public client, under both PKCE policies.
pub fn authorization_request(fx: &Fixture, data: &[u8]) {
    let Ok(p) = ParamMap::from_urlencoded(data) else {
        return;
    };
    for client in [&fx.confidential, &fx.public] {
        let Ok(uri) = authorization_request::resolve_redirect_uri(&p, Some(client)) else {
            continue;
        };
        for policy in [PkcePolicy::S256Only, PkcePolicy::AllowPlain] {
            if let Ok(req) = authorization_request::validate(&p, client, uri.clone(), policy) {
                assert!(
                    !client.is_public() || req.code_challenge.is_some(),
                    "a public client's request always has a PKCE challenge"
                );
            }
        }
    }
}

/// RFC 6749 §2.3.1, §3.2, §4.1.3, §6: the token request's client authentication and parameters.
/// The first line is the Authorization header (empty: none), the rest the form body.
pub fn token_request(_: &Fixture, data: &[u8]) {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let header = String::from_utf8_lossy(header);
    let Ok(p) = ParamMap::from_urlencoded(body) else {
        return;
    };
    let _ = client_auth::extract((!header.is_empty()).then_some(&*header), &p);
    let _ = p.get("grant_type").map(GrantType::parse);
    if let Some(v) = p.get("code_verifier") {
        let _ = pkce::validate_verifier(v);
    }
    if let Some(s) = p.get("scope") {
        let _ = Scope::parse(s);
    }
}

/// RFC 6749 §3.1.2, RFC 8252 §7.3, RFC 9700 §4.1.3: redirect URI registration and exact matching,
/// building a response URI, and DPoP's `htu` normalisation.
pub fn redirect_uri(fx: &Fixture, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if redirect_uri::validate_registration(&text).is_ok() {
        assert!(
            redirect_uri::matches_registered(&[text.to_string()], &text),
            "a registered URI matches itself"
        );
    }
    let _ = redirect_uri::matches_registered(&fx.confidential.redirect_uris, &text);
    let _ = redirect_uri::with_query(&text, &[("code", "c"), ("state", &text)]);
    let _ = dpop::normalize_htu(&text);
}

/// RFC 7515 / RFC 9068: our JWS verification and the access-token claim checks. Mode byte:
/// 0 the bytes are a compact JWS; 1 they are a claims set signed with our key; 2 they are a
/// header put in front of a validly signed token.
pub fn jwt(fx: &Fixture, data: &[u8]) {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let token = match mode % 3 {
        0 => String::from_utf8_lossy(rest).into_owned(),
        1 => {
            let Ok(claims) = serde_json::from_slice::<Map<String, Value>>(rest) else {
                return;
            };
            let Ok(token) = fx.keys.sign(Alg::Rs256, Some("at+jwt"), &claims) else {
                return;
            };
            token
        }
        _ => {
            let Ok(token) = fx.keys.sign(Alg::Rs256, Some("at+jwt"), &Map::new()) else {
                return;
            };
            let tail = token.split_once('.').map(|(_, t)| t).unwrap_or_default();
            format!("{}.{tail}", URL_SAFE_NO_PAD.encode(rest))
        }
    };
    if let Ok((header, claims)) = fx.keys.verify(&token) {
        let _ = access::check_claims(&header, claims, ISSUER, NOW);
    }
}

/// RFC 9449 §4.3: DPoP proof validation. Mode byte: 0 the bytes are a proof; 1 they are the
/// claims of a proof signed by a real key; 2 they are the JWS header of one (signed as given).
pub fn dpop_proof(fx: &Fixture, data: &[u8]) {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let proof = match mode % 3 {
        0 => String::from_utf8_lossy(rest).into_owned(),
        1 => {
            let Ok(claims) = serde_json::from_slice::<Map<String, Value>>(rest) else {
                return;
            };
            let mut header = Map::new();
            header.insert("typ".into(), "dpop+jwt".into());
            header.insert("jwk".into(), Value::Object(fx.dpop_public.clone()));
            let Some(p) = sign_es256(fx, header, &claims) else {
                return;
            };
            p
        }
        _ => {
            let Ok(header) = serde_json::from_slice::<Map<String, Value>>(rest) else {
                return;
            };
            let claims = serde_json::json!({
                "jti": "j", "htm": "POST", "htu": format!("{ISSUER}/token"), "iat": NOW,
            });
            let Value::Object(claims) = claims else {
                return;
            };
            let Some(p) = sign_es256(fx, header, &claims) else {
                return;
            };
            p
        }
    };
    for access_token in [None, Some("an-access-token")] {
        let htu = format!("{ISSUER}/token");
        let expected = dpop::Expected {
            method: "POST",
            htu: &htu,
            access_token,
            now: NOW,
            iat_window: 60,
        };
        let _ = dpop::verify(&proof, &expected);
    }
}

fn sign_es256(fx: &Fixture, header: Map<String, Value>, claims: &Map<String, Value>) -> Option<String> {
    let header = JwsHeader::from_map(header).ok()?;
    let signer = ES256.signer_from_jwk(&fx.dpop_key).ok()?;
    let payload = serde_json::to_vec(claims).ok()?;
    jws::serialize_compact(&payload, &header, &signer).ok()
}

/// RFC 6265 / docs/security.md E.32-E.33: the cookies a browser sends (session, binding) and the
/// forwarded-for headers a trusted proxy sets. The bytes are the header value.
pub fn cookies(fx: &Fixture, data: &[u8]) {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let req = actix_web::test::TestRequest::default()
        .insert_header((HeaderName::from_static("cookie"), value.clone()))
        .to_http_request();
    let _ = cookies::session_value(&req, &fx.settings);
    if let Some(c) = req.cookie(&cookies::name(&fx.settings, cookies::BROWSER_COOKIE)) {
        let _ = cookies::binding_is_ours(&fx.keys, c.value());
    }
    let trusted: Vec<Cidr> = ["0.0.0.0/0", "::/0"]
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect();
    let peer = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    for name in ["x-forwarded-for", "forwarded"] {
        let mut headers = HeaderMap::new();
        headers.insert(HeaderName::from_static(name), value.clone());
        assert!(
            forwarded::client_addr(peer, &headers, &trusted).is_some(),
            "a request with a peer always has a client address"
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::path::Path;

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// Mutations per target in the test suite's short run (libFuzzer runs millions: E.28).
    const MUTATIONS: usize = 1_500;

    fn corpus(name: &str) -> Vec<Vec<u8>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files.into_iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    fn mutate(rng: &mut StdRng, seed: &[u8]) -> Vec<u8> {
        let mut out = seed.to_vec();
        for _ in 0..rng.gen_range(1..8) {
            let at = if out.is_empty() {
                0
            } else {
                rng.gen_range(0..out.len())
            };
            match rng.gen_range(0..4) {
                0 if !out.is_empty() => out[at] ^= 1 << rng.gen_range(0..8),
                1 => out.insert(at, rng.r#gen()),
                2 if !out.is_empty() => {
                    out.remove(at);
                }
                _ => {
                    let tokens: &[&[u8]] = &[b"&", b"=", b"%00", b".", b"\"", b"{}", b"-1", b"1e999"];
                    let t = tokens[rng.gen_range(0..tokens.len())];
                    out.splice(at..at, t.iter().copied());
                }
            }
        }
        out
    }

    /// E.28: every target accepts its committed corpus (the inputs libFuzzer kept, and every
    /// crash it ever found) and a seeded run of mutations of it without panicking.
    #[tokio::test]
    async fn fuzz_corpus_replays_and_mutations_never_panic() {
        let fx = Fixture::new().await.unwrap();
        let mut rng = StdRng::seed_from_u64(0xf022);
        for (name, target) in TARGETS {
            let seeds = corpus(name);
            assert!(!seeds.is_empty(), "{name}: the corpus is committed");
            for seed in &seeds {
                target(&fx, seed);
            }
            for _ in 0..MUTATIONS {
                let seed = &seeds[rng.gen_range(0..seeds.len())];
                target(&fx, &mutate(&mut rng, seed));
            }
        }
    }

    /// Each fuzz binary is a target of this table: the names agree.
    #[test]
    fn every_target_has_a_fuzz_binary() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
        for (name, _) in TARGETS {
            assert!(
                dir.join(format!("{name}.rs")).exists(),
                "fuzz/fuzz_targets/{name}.rs"
            );
        }
    }
}
