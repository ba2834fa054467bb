//! Criterion micro-benchmarks of the token endpoint's CPU-bound steps (bench/README.md,
//! "Micro-benchmarks"): signing and verification per algorithm, the parameter parser, scope
//! handling, and the token endpoint's pure path (parse, authenticate, scope, claims, sign).
//! `cargo bench --bench hot_paths`; not part of `cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use base64::Engine;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use portcullis::Clock;
use portcullis::config::KeySettings;
use portcullis::digest::sha256_hex;
use portcullis::keys::{Alg, JsonMap, KeyRing};
use portcullis::oauth::client_auth;
use portcullis::oauth::params::ParamMap;
use portcullis::oauth::scope::Scope;
use portcullis::storage::diesel::DieselStore;
use portcullis::storage::{Client, DynStore, GrantType, Store};
use portcullis::tokens::access::AccessTokenClaims;
use portcullis::tokens::audience::Aud;
use secrecy::SecretString;

const SECRET: &str = "bench-client-secret-0123456789abcdef";

fn key_ring() -> Arc<KeyRing> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = DieselStore::connect("sqlite::memory:", 1).await.unwrap();
        db.migrate().await.unwrap();
        let store: DynStore = Arc::new(db);
        let settings = KeySettings {
            master_key: Some(SecretString::from("11".repeat(32))),
            default_alg: Alg::EdDsa,
            ..KeySettings::default()
        };
        // RS256 and EdDSA (`default_alg`) and ES256 (the access-token algorithm): one key each.
        KeyRing::load(store, &settings, Alg::Es256, Clock::system())
            .await
            .unwrap()
    })
}

fn client() -> Client {
    Client {
        client_id: "bench".into(),
        name: "Bench".into(),
        secret_hash: Some(sha256_hex(SECRET)),
        redirect_uris: vec!["http://127.0.0.1:4001/cb".into()],
        post_logout_redirect_uris: vec![],
        grant_types: GrantType::ALL.to_vec(),
        scopes: Scope::from_tokens([
            "openid",
            "profile",
            "email",
            "offline_access",
            "api:read",
            "api:write",
        ]),
        first_party: true,
        id_token_signed_response_alg: Alg::Rs256,
        access_token_alg: None,
        created_at: 0,
        resource_server: false,
        require_pushed_authorization_requests: false,
        require_mfa: false,
        groups: Default::default(),
        backchannel_logout: None,
        upstreams: vec![],
        password_login: true,
        registration: Default::default(),
    }
}

fn claims(client_id: &str, scope: Scope) -> AccessTokenClaims {
    let now = Clock::system().now();
    AccessTokenClaims {
        iss: "http://127.0.0.1:4100".into(),
        sub: client_id.into(),
        aud: Aud::one("http://127.0.0.1:4100"),
        client_id: client_id.into(),
        scope,
        exp: now + 900,
        iat: now,
        nbf: now,
        jti: portcullis::random::random_id(),
        auth_time: None,
        sid: None,
        cnf: None,
        groups: None,
        act: None,
    }
}

fn signing(c: &mut Criterion) {
    let ring = key_ring();
    let map: JsonMap = claims("bench", Scope::from_tokens(["api:read"]))
        .to_map()
        .unwrap();
    let mut sign = c.benchmark_group("sign");
    for alg in Alg::ALL {
        sign.bench_with_input(BenchmarkId::from_parameter(alg), &alg, |b, alg| {
            b.iter(|| ring.sign(*alg, Some("at+jwt"), black_box(&map)).unwrap())
        });
    }
    sign.finish();
    let mut verify = c.benchmark_group("verify");
    for alg in Alg::ALL {
        let token = ring.sign(alg, Some("at+jwt"), &map).unwrap();
        verify.bench_with_input(BenchmarkId::from_parameter(alg), &token, |b, token| {
            b.iter(|| ring.verify(black_box(token)).unwrap())
        });
    }
    verify.finish();
}

fn parsing(c: &mut Criterion) {
    let body = b"grant_type=refresh_token&refresh_token=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy\
&scope=openid%20profile%20email%20offline_access&client_id=bench&resource=https%3A%2F%2Fapi.example";
    c.bench_function("params/from_urlencoded", |b| {
        b.iter(|| ParamMap::from_urlencoded(black_box(body)).unwrap())
    });
    let allowed = client().scopes;
    c.bench_function("scope/parse_and_check", |b| {
        b.iter(|| {
            let s = Scope::parse(black_box("openid profile email offline_access")).unwrap();
            assert!(s.is_subset_of(&allowed));
            s.intersect(&allowed)
        })
    });
}

/// client_credentials without I/O: parse the body, authenticate the client (Basic, SHA-256),
/// check the scope, build the claims and sign them (the store lookups excluded).
fn token_endpoint(c: &mut Criterion) {
    let ring = key_ring();
    let client = client();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("bench:{SECRET}"))
    );
    let body = b"grant_type=client_credentials&scope=api%3Aread";
    let mut group = c.benchmark_group("token_endpoint/client_credentials");
    for alg in Alg::ALL {
        group.bench_with_input(BenchmarkId::from_parameter(alg), &alg, |b, alg| {
            b.iter(|| {
                let params = ParamMap::from_urlencoded(black_box(body)).unwrap();
                let auth = client_auth::extract(Some(&basic), &params).unwrap().unwrap();
                client_auth::authenticate(Some(&client), &auth).unwrap();
                let scope = Scope::parse(params.get("scope").unwrap()).unwrap();
                assert!(scope.is_subset_of(&client.scopes));
                let map = claims(&client.client_id, scope).to_map().unwrap();
                ring.sign(*alg, Some("at+jwt"), &map).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, signing, parsing, token_endpoint);
criterion_main!(benches);
