//! Key ring tests: sign/verify per algorithm, the verification refusals of docs/security.md C.15,
//! the JWKS, rotation (E.25) and the OpenID Core half-hash examples. No store: the ring is built
//! from rows, with the clock passed in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jws::{ES256, HS256, JwsSigner};
use serde_json::{Map, Value, json};

use super::lifecycle::{KeyState, describe, due_for_rotation, plan_retirements, seal_row};
use super::ring::{Inner, build};
use super::{Alg, KeyRing, MasterKey, generate, jwks};
use crate::storage::SigningKey;

const T0: i64 = 1_700_000_000;

fn master() -> MasterKey {
    MasterKey::from_hex(&"5a".repeat(32)).unwrap()
}

fn row(alg: Alg, created_at: i64, activates_at: i64) -> SigningKey {
    seal_row(&generate(alg).unwrap(), &master(), created_at, activates_at).unwrap()
}

fn claims() -> Map<String, Value> {
    let Value::Object(m) = json!({"iss": "https://id.example.com", "sub": "u1", "iat": T0, "exp": T0 + 60})
    else {
        panic!()
    };
    m
}

fn b64(v: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(v)
}

/// A compact JWS with any header we like, signed by `sign` over `header.payload`.
fn craft(header: Value, claims: &Map<String, Value>, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let msg = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(&serde_json::to_vec(claims).unwrap())
    );
    let sig = sign(msg.as_bytes());
    format!("{msg}.{}", b64(&sig))
}

fn private_jwk(key: &SigningKey) -> Jwk {
    Jwk::from_bytes(
        master()
            .open(&key.private_jwk_sealed, key.kid.as_bytes())
            .unwrap(),
    )
    .unwrap()
}

fn three() -> (Vec<SigningKey>, Inner) {
    let rows = vec![
        row(Alg::Rs256, T0, T0),
        row(Alg::Es256, T0, T0),
        row(Alg::EdDsa, T0, T0),
    ];
    let inner = build(rows.clone(), &master(), T0 + 1).unwrap();
    (rows, inner)
}

fn header_of(jws: &str) -> Map<String, Value> {
    let head = jws.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(head).unwrap()).unwrap()
}

#[test]
fn sign_and_verify_each_algorithm() {
    let (rows, inner) = three();
    assert_eq!(
        inner.signing_algs(T0 + 1),
        vec![Alg::Rs256, Alg::Es256, Alg::EdDsa]
    );
    for (alg, key) in Alg::ALL.into_iter().zip(&rows) {
        let jws = inner.sign(alg, None, &claims(), T0 + 1).unwrap();
        let (header, got) = inner.verify(&jws, T0 + 2).unwrap();
        assert_eq!(header["alg"], alg.as_str());
        assert_eq!(header["kid"], key.kid.as_str());
        assert_eq!(header["typ"], "JWT");
        assert_eq!(got, claims());
        let at = inner.sign(alg, Some("at+jwt"), &claims(), T0 + 1).unwrap();
        assert_eq!(inner.verify(&at, T0 + 2).unwrap().0["typ"], "at+jwt");
    }
    // Signing takes an `Alg`: `HS256` and `none` cannot even be named.
    assert_eq!(Alg::parse("HS256"), None);
    assert_eq!(Alg::parse("none"), None);
}

#[test]
fn verify_refuses_alg_none() {
    let (rows, inner) = three();
    for alg in ["none", "None", "NONE"] {
        let jws = craft(json!({"alg": alg, "kid": rows[0].kid}), &claims(), |_| Vec::new());
        assert!(inner.verify(&jws, T0 + 2).is_err(), "{alg}");
    }
    let no_alg = craft(json!({"kid": rows[0].kid}), &claims(), |_| Vec::new());
    assert!(inner.verify(&no_alg, T0 + 2).is_err());
}

#[test]
fn verify_refuses_hs256_keyed_with_the_public_key() {
    let (rows, inner) = three();
    let rsa = &rows[0];
    // The classic confusion: HMAC keyed with the published key, as JSON and as the PEM-less modulus.
    let public: Map<String, Value> = serde_json::from_str(&rsa.public_jwk).unwrap();
    let secrets = [
        rsa.public_jwk.clone().into_bytes(),
        public["n"].as_str().unwrap().as_bytes().to_vec(),
    ];
    for secret in secrets {
        let signer = HS256.signer_from_bytes(&secret).unwrap();
        let jws = craft(
            json!({"alg": "HS256", "kid": rsa.kid, "typ": "JWT"}),
            &claims(),
            |m| signer.sign(m).unwrap(),
        );
        assert!(inner.verify(&jws, T0 + 2).is_err());
    }
}

#[test]
fn verify_refuses_unknown_kid_and_foreign_key() {
    let (rows, inner) = three();
    let stranger = build(vec![row(Alg::Rs256, T0, T0)], &master(), T0 + 1).unwrap();
    let foreign = stranger.sign(Alg::Rs256, None, &claims(), T0 + 1).unwrap();
    assert!(inner.verify(&foreign, T0 + 2).is_err());
    // Our own key's signature under a kid we do not have.
    let signer = ES256.signer_from_jwk(&private_jwk(&rows[1])).unwrap();
    let unknown = craft(json!({"alg": "ES256", "kid": "no-such-kid"}), &claims(), |m| {
        signer.sign(m).unwrap()
    });
    assert!(inner.verify(&unknown, T0 + 2).is_err());
    let no_kid = craft(json!({"alg": "ES256"}), &claims(), |m| signer.sign(m).unwrap());
    assert!(inner.verify(&no_kid, T0 + 2).is_err());
}

#[test]
fn verify_refuses_header_alg_other_than_the_keys() {
    let (rows, inner) = three();
    // Validly ES256-signed, but naming the RS256 key's kid.
    let signer = ES256.signer_from_jwk(&private_jwk(&rows[1])).unwrap();
    let jws = craft(json!({"alg": "ES256", "kid": rows[0].kid}), &claims(), |m| {
        signer.sign(m).unwrap()
    });
    let err = inner.verify(&jws, T0 + 2).unwrap_err();
    assert!(err.to_string().contains("differs"), "{err}");
    // Control: the same under its own kid verifies.
    let ok = craft(json!({"alg": "ES256", "kid": rows[1].kid}), &claims(), |m| {
        signer.sign(m).unwrap()
    });
    assert!(inner.verify(&ok, T0 + 2).is_ok());
}

#[test]
fn verify_refuses_modified_payload_and_garbage() {
    let (_, inner) = three();
    for alg in Alg::ALL {
        let jws = inner.sign(alg, None, &claims(), T0 + 1).unwrap();
        let mut parts: Vec<&str> = jws.split('.').collect();
        let mut evil = claims();
        evil.insert("sub".into(), json!("admin"));
        let evil = b64(&serde_json::to_vec(&evil).unwrap());
        parts[1] = &evil;
        assert!(inner.verify(&parts.join("."), T0 + 2).is_err(), "{alg}");
    }
    for junk in [
        "",
        ".",
        "..",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        "....",
        "eyJ9.e30.",
        &"A".repeat(20_000),
    ] {
        assert!(inner.verify(junk, T0 + 2).is_err(), "{junk:?}");
    }
}

#[test]
fn verify_refuses_crit_even_when_signed() {
    let (rows, inner) = three();
    let signer = ES256.signer_from_jwk(&private_jwk(&rows[1])).unwrap();
    let header = json!({"alg": "ES256", "kid": rows[1].kid, "crit": ["b64"], "b64": false});
    let jws = craft(header, &claims(), |m| signer.sign(m).unwrap());
    let err = inner.verify(&jws, T0 + 2).unwrap_err();
    assert!(err.to_string().contains("crit"), "{err}");
}

#[test]
fn jwks_publishes_only_public_members() {
    let (rows, inner) = three();
    let doc: Value = serde_json::from_str(&inner.jwks).unwrap();
    let keys = doc["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3);
    for k in keys {
        let k = k.as_object().unwrap();
        assert!(
            k.keys().all(|m| jwks::PUBLIC_MEMBERS.contains(&m.as_str())),
            "{k:?}"
        );
        assert_eq!(k["use"], "sig");
        assert!(
            rows.iter()
                .any(|r| k["kid"] == r.kid.as_str() && k["alg"] == r.alg.as_str())
        );
    }
    assert!(!inner.jwks.contains("\"d\""));
}

#[test]
fn rotation_publishes_first_then_signs_and_old_key_keeps_verifying() {
    let max_life = 3600;
    let mut old = row(Alg::Rs256, T0, T0);
    // rotate(.., immediate = false) at T0 + 100 with a 600 s publish delay.
    let new = row(Alg::Rs256, T0 + 100, T0 + 700);
    let plan = plan_retirements(std::slice::from_ref(&old), &new, max_life);
    assert_eq!(plan, vec![(old.kid.clone(), T0 + 700, T0 + 700 + max_life)]);
    old.retired_at = Some(T0 + 700);
    old.expires_at = Some(T0 + 700 + max_life);
    let inner = build(vec![old.clone(), new.clone()], &master(), T0 + 101).unwrap();

    // Published at once ...
    assert!(inner.jwks.contains(&new.kid) && inner.jwks.contains(&old.kid));
    // ... but the old key still signs until the activation time.
    let before = inner.sign(Alg::Rs256, None, &claims(), T0 + 699).unwrap();
    assert_eq!(header_of(&before)["kid"], old.kid.as_str());
    assert_eq!(describe(&new, T0 + 699).state, KeyState::Pending);
    assert_eq!(describe(&old, T0 + 699).state, KeyState::Active);

    // From activation, without a rebuild, the new key signs; the old one still verifies.
    let after = inner.sign(Alg::Rs256, None, &claims(), T0 + 700).unwrap();
    assert_eq!(header_of(&after)["kid"], new.kid.as_str());
    assert!(inner.verify(&before, T0 + 700 + max_life - 1).is_ok());
    assert!(inner.verify(&after, T0 + 700 + max_life - 1).is_ok());
    assert_eq!(describe(&old, T0 + 701).state, KeyState::Retiring);
    assert_eq!(describe(&new, T0 + 701).state, KeyState::Active);

    // Once expired the old key no longer verifies, and a rebuild drops it from the JWKS.
    assert!(inner.verify(&before, T0 + 700 + max_life).is_err());
    assert_eq!(describe(&old, T0 + 700 + max_life).state, KeyState::Expired);
    let later = build(vec![old.clone(), new.clone()], &master(), T0 + 700 + max_life).unwrap();
    assert!(!later.jwks.contains(&old.kid));
    assert_eq!(later.keys.len(), 1);
}

#[test]
fn retirement_never_moves_later_and_only_touches_the_same_alg() {
    let active = row(Alg::Rs256, T0, T0);
    let mut pending = row(Alg::Rs256, T0 + 10, T0 + 610);
    pending.retired_at = None;
    let es = row(Alg::Es256, T0, T0);
    let mut old = row(Alg::Rs256, T0 - 100, T0 - 100);
    old.retired_at = Some(T0);
    old.expires_at = Some(T0 + 3600);
    // An immediate rotation at T0 + 20: the active and the pending key stop now; the old one is unchanged.
    let now_key = row(Alg::Rs256, T0 + 20, T0 + 20);
    let mut plan = plan_retirements(&[active.clone(), pending.clone(), es, old], &now_key, 60);
    plan.sort();
    let mut want = vec![
        (active.kid, T0 + 20, T0 + 80),
        (pending.kid.clone(), T0 + 20, T0 + 80),
    ];
    want.sort();
    assert_eq!(plan, want);
    // A pending key retired before its activation never signs.
    pending.retired_at = Some(T0 + 20);
    let inner = build(vec![pending, now_key.clone()], &master(), T0 + 20).unwrap();
    let jws = inner.sign(Alg::Rs256, None, &claims(), T0 + 1000).unwrap();
    assert_eq!(header_of(&jws)["kid"], now_key.kid.as_str());
}

#[test]
fn retired_keys_verify_but_never_sign() {
    let mut old = row(Alg::EdDsa, T0, T0);
    old.retired_at = Some(T0 + 10);
    old.expires_at = Some(T0 + 1000);
    let signing = build(vec![old.clone()], &master(), T0 + 1).unwrap();
    let token = signing.sign(Alg::EdDsa, None, &claims(), T0 + 1).unwrap();
    let inner = build(vec![old], &master(), T0 + 20).unwrap();
    assert!(inner.signing_algs(T0 + 20).is_empty());
    assert!(matches!(
        inner.sign(Alg::EdDsa, None, &claims(), T0 + 20),
        Err(super::KeyError::NoKey(_))
    ));
    assert!(inner.verify(&token, T0 + 20).is_ok());
}

#[test]
fn a_key_sealed_for_another_row_is_refused() {
    let a = row(Alg::Es256, T0, T0);
    let mut b = row(Alg::Es256, T0, T0);
    b.private_jwk_sealed = a.private_jwk_sealed.clone();
    assert!(build(vec![b], &master(), T0 + 1).is_err());
    let other = MasterKey::from_hex(&"6b".repeat(32)).unwrap();
    assert!(build(vec![a], &other, T0 + 1).is_err());
}

#[test]
fn rotation_falls_due_after_the_period_unless_a_successor_waits() {
    let day = 86_400;
    let active = row(Alg::Rs256, T0, T0);
    assert!(due_for_rotation(std::slice::from_ref(&active), T0 + 89 * day, 90).is_empty());
    assert_eq!(
        due_for_rotation(std::slice::from_ref(&active), T0 + 90 * day, 90),
        vec![Alg::Rs256]
    );
    assert!(due_for_rotation(std::slice::from_ref(&active), T0 + 900 * day, 0).is_empty());
    let successor = row(Alg::Rs256, T0 + 90 * day, T0 + 90 * day + 600);
    assert!(due_for_rotation(&[active, successor], T0 + 90 * day + 1, 90).is_empty());
}

#[test]
fn half_hash_matches_openid_core_examples() {
    // OpenID Core 1.0 Appendix A.3 (at_hash) and A.4 (c_hash), RS256.
    assert_eq!(
        KeyRing::half_hash(Alg::Rs256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
        "77QmUPtjPfzWtF2AnpK9RQ"
    );
    assert_eq!(
        KeyRing::half_hash(
            Alg::Rs256,
            "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
        ),
        "LDktKdoQak3Pk0cnXxCltA"
    );
    assert_eq!(
        KeyRing::half_hash(Alg::Es256, "x"),
        KeyRing::half_hash(Alg::Rs256, "x")
    );
    // EdDSA (Ed25519): SHA-512, left 32 bytes.
    let ed = KeyRing::half_hash(Alg::EdDsa, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y");
    assert_eq!(URL_SAFE_NO_PAD.decode(&ed).unwrap().len(), 32);
}

/// docs/security.md E.36: a token verified once is not verified again, but only while its key is
/// published; a token that failed is never remembered.
#[test]
fn a_remembered_token_still_needs_its_key_published() {
    let mut key = row(Alg::Es256, T0, T0);
    key.expires_at = Some(T0 + 100);
    let inner = build(vec![key], &master(), T0 + 1).unwrap();
    let token = inner.sign(Alg::Es256, Some("at+jwt"), &claims(), T0 + 1).unwrap();
    let first = inner.verify_payload(&token, T0 + 2).unwrap();
    let again = inner.verify_payload(&token, T0 + 3).unwrap();
    assert_eq!(first.1, again.1);
    assert_eq!(first.0, again.0);
    assert!(
        inner.verify_payload(&token, T0 + 100).is_err(),
        "remembered, but its key left the JWKS"
    );
    // A forged signature on the same header and payload is another token: verified, and refused.
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged_sig = b64(&[0u8; 64]);
    parts[2] = &forged_sig;
    assert!(inner.verify_payload(&parts.join("."), T0 + 3).is_err());
}
