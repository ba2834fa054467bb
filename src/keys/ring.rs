//! The key ring (docs/security.md C.15, E.25): per algorithm the signer of
//! the active key, verifiers for every published key, and the JWKS, all built once per key set.
//! The built state sits behind an `RwLock<Arc<_>>` so that [`KeyRing::reload`] can swap it while
//! requests run; every call clones the `Arc` and never holds the lock across an await.

use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jws::{self, ES256, EdDSA, JwsHeader, JwsSigner, JwsVerifier, RS256};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};

use super::lifecycle::{self, Activation, KeyStore, Plan, row_signs};
use super::{Alg, DerivedKey, KeyError, MasterKey, jwks};
use crate::clock::Clock;
use crate::config::KeySettings;
use crate::storage::{DynStore, SigningKey};

/// A compact JWS longer than this is refused before any parsing (docs/security.md E.28).
pub const MAX_JWS_LEN: usize = 16 * 1024;

/// A JSON object, as JWS headers and JWT claims are.
pub type JsonMap = Map<String, Value>;

/// The signing keys of this node, shared as `Arc<KeyRing>`.
pub struct KeyRing {
    store: DynStore,
    clock: Clock,
    master: MasterKey,
    inner: RwLock<Arc<Inner>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.current();
        let kids: Vec<&str> = inner.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("KeyRing")
            .field("kids", &kids)
            .finish_non_exhaustive()
    }
}

/// The built state: one entry per published key, newest first.
pub(crate) struct Inner {
    pub(crate) keys: Vec<BuiltKey>,
    pub(crate) jwks: Arc<str>,
    /// What the ring was built from: (kid, retired_at, expires_at) of every stored key.
    fingerprint: Vec<(String, Option<i64>, Option<i64>)>,
    /// docs/security.md E.36: tokens this state verified, so the same token again skips the
    /// signature check (a reload starts an empty memo).
    verified: super::verified::VerifiedMemo,
}

fn fingerprint(keys: &[SigningKey]) -> Vec<(String, Option<i64>, Option<i64>)> {
    let mut f: Vec<_> = keys
        .iter()
        .map(|k| (k.kid.clone(), k.retired_at, k.expires_at))
        .collect();
    f.sort();
    f
}

pub(crate) struct BuiltKey {
    pub(crate) kid: String,
    pub(crate) alg: Alg,
    pub(crate) activates_at: i64,
    pub(crate) retired_at: Option<i64>,
    pub(crate) expires_at: Option<i64>,
    /// Built for keys that were not yet retired when the ring was built (pending ones included,
    /// so they start signing when their time comes, without a reload).
    signer: Option<Box<dyn JwsSigner>>,
    verifier: Box<dyn JwsVerifier>,
}

impl BuiltKey {
    fn published(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|e| e > now)
    }

    fn signs(&self, now: i64) -> bool {
        self.activates_at <= now && self.retired_at.is_none_or(|r| r > now) && self.published(now)
    }
}

impl KeyRing {
    /// Loads keys from the store, first creating a key active at once for every algorithm in use
    /// that has no active key ([`algs_in_use`]: RS256 for ID tokens (OpenID Core §15.1),
    /// `keys.default_alg`, `access_token_alg` (`tokens.access_token_alg`), and the algorithms
    /// stored clients and APIs ask for), so that the ring holds one active key per algorithm in use.
    pub async fn load(
        store: DynStore,
        settings: &KeySettings,
        access_token_alg: Alg,
        clock: Clock,
    ) -> Result<Arc<KeyRing>, KeyError> {
        let master = MasterKey::from_settings(settings)?;
        let wanted = algs_in_use(&store, settings, access_token_alg).await?;
        let mut keys = store.list_keys().await?;
        let t = clock.now();
        let mut created = false;
        for alg in wanted {
            if !keys.iter().any(|k| k.alg == alg && row_signs(k, t)) {
                let plan = Plan {
                    alg,
                    publish_delay_secs: 0,
                    max_token_lifetime_secs: lifecycle::FALLBACK_MAX_TOKEN_LIFETIME_SECS,
                    activation: Activation::Now,
                };
                let key_store = KeyStore {
                    store: &store,
                    clock: &clock,
                };
                let key = lifecycle::rotate_with(key_store, &master, plan).await?;
                tracing::info!(kid = %key.kid, alg = %alg, "created a signing key (none was active)");
                let detail = serde_json::json!({ "by": "startup", "kid": key.kid, "alg": alg.as_str() });
                crate::accounts::Audit::new(crate::storage::AuditKind::KeyRotated)
                    .detail(detail)
                    .write(&store, t)
                    .await;
                created = true;
            }
        }
        if created {
            keys = store.list_keys().await?;
        }
        let inner = build_blocking(keys, master.clone(), t).await?;
        tracing::info!(keys = inner.keys.len(), "key ring loaded");
        Ok(Arc::new(KeyRing {
            store,
            clock,
            master,
            inner: RwLock::new(Arc::new(inner)),
        }))
    }

    /// Re-reads the store and swaps the built state (key rotation by another node / CLI).
    pub async fn reload(&self) -> Result<(), KeyError> {
        let keys = self.store.list_keys().await?;
        let t = self.clock.now();
        let current = self.current();
        // Cheap when nothing changed: no key rebuilt unless the rows changed or a key left the JWKS.
        if current.fingerprint == fingerprint(&keys)
            && !current.keys.iter().any(|k| k.expires_at.is_some_and(|e| e <= t))
        {
            return Ok(());
        }
        let inner = Arc::new(build_blocking(keys, self.master.clone(), t).await?);
        for alg in self.current().signing_algs(t) {
            if inner.active(alg, t).is_none() {
                tracing::warn!(alg = %alg, "after reload, no active signing key for this algorithm");
            }
        }
        match self.inner.write() {
            Ok(mut guard) => *guard = inner,
            Err(poisoned) => *poisoned.into_inner() = inner,
        }
        tracing::debug!("key ring reloaded");
        Ok(())
    }

    /// Signs a compact JWS with the active key of `alg`; the header has `alg`, `kid` and `typ`
    /// when given (e.g. Some("at+jwt") for RFC 9068 access tokens, None -> "JWT" for ID tokens).
    pub fn sign(&self, alg: Alg, typ: Option<&str>, claims: &JsonMap) -> Result<String, KeyError> {
        let started = std::time::Instant::now();
        let jws = self.current().sign(alg, typ, claims, self.clock.now());
        crate::monitoring::signed(alg.as_str(), started.elapsed());
        jws
    }

    /// [`KeyRing::sign`] with claims already serialized as a JSON object (a typed struct's
    /// `serde_json::to_vec`): no JSON map built in between (docs/architecture.md, "Habits").
    pub fn sign_json(&self, alg: Alg, typ: Option<&str>, payload: &[u8]) -> Result<String, KeyError> {
        let started = std::time::Instant::now();
        let jws = self.current().sign_payload(alg, typ, payload, self.clock.now());
        crate::monitoring::signed(alg.as_str(), started.elapsed());
        jws
    }

    /// [`KeyRing::verify`] that leaves the verified payload as bytes, for the caller to read into
    /// its own typed claims (checked to be a JSON object by the caller's deserializer).
    pub fn verify_json(&self, jws: &str) -> Result<(JsonMap, Vec<u8>), KeyError> {
        self.current().verify_payload(jws, self.clock.now())
    }

    /// Verifies a compact JWS: header alg must be in the allow-list {RS256, ES256, EdDSA} AND equal to the alg
    /// of the key named by `kid` (docs/security.md C.15: never `none`, never HS*); kid must be a published key.
    /// Returns (header as JSON map, claims). Does not check exp/iss/aud: callers do.
    pub fn verify(&self, jws: &str) -> Result<(JsonMap, JsonMap), KeyError> {
        self.current().verify(jws, self.clock.now())
    }

    /// A key for one `purpose`, derived from the master key (`MasterKey::derive`), e.g. the MAC
    /// key of the browser binding cookie (docs/security.md E.32).
    pub fn derive(&self, purpose: &str) -> DerivedKey {
        self.master.derive(purpose)
    }

    /// docs/guides/mfa.md: seals a user's secret (a TOTP secret) under the master key with `aad`
    /// bound in, as private signing keys are sealed (`MasterKey::seal`).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<String, KeyError> {
        self.master.seal(plaintext, aad)
    }

    /// Opens what [`KeyRing::seal`] sealed with the same `aad`.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.master.open(sealed, aad)
    }

    /// RFC 7517 §5: the published JWKS document `{"keys":[...]}`, pre-rendered (cheap clone).
    pub fn jwks_json(&self) -> Arc<str> {
        self.current().jwks.clone()
    }

    /// Algorithms that currently have an active signing key, e.g. [RS256, ES256] (for discovery).
    pub fn signing_algs(&self) -> Vec<Alg> {
        self.current().signing_algs(self.clock.now())
    }

    /// OpenID Core §3.1.3.6 at_hash / c_hash: left half of the hash of the ASCII token, base64url;
    /// SHA-256 for RS256/ES256, SHA-512 for EdDSA (Ed25519).
    pub fn half_hash(alg: Alg, value: &str) -> String {
        let digest: Vec<u8> = match alg {
            Alg::EdDsa => Sha512::digest(value.as_bytes()).to_vec(),
            Alg::Rs256 | Alg::Es256 => Sha256::digest(value.as_bytes()).to_vec(),
        };
        URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
    }

    fn current(&self) -> Arc<Inner> {
        match self.inner.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// docs/security.md C.15: the algorithms this server signs with: RS256 (OpenID Core §15.1: every
/// relying party can verify it), `keys.default_alg`, the access-token algorithm, and those the
/// stored clients (`id_token_signed_response_alg`, `access_token_alg`) and APIs ask for.
pub async fn algs_in_use(
    store: &DynStore,
    settings: &KeySettings,
    access_token_alg: Alg,
) -> Result<Vec<Alg>, KeyError> {
    let mut wanted = vec![Alg::Rs256, settings.default_alg, access_token_alg];
    for client in store.list_clients().await? {
        wanted.push(client.id_token_signed_response_alg);
        wanted.extend(client.access_token_alg);
    }
    wanted.extend(store.list_apis().await?.into_iter().filter_map(|a| a.alg));
    Ok(Alg::ALL.into_iter().filter(|a| wanted.contains(a)).collect())
}

async fn build_blocking(keys: Vec<SigningKey>, master: MasterKey, now: i64) -> Result<Inner, KeyError> {
    crate::telemetry::spawn_blocking_traced(move || build(keys, &master, now))
        .await
        .map_err(|e| KeyError::Crypto(format!("key ring build task failed: {e}")))?
}

/// Builds signers and verifiers once per key, and the JWKS, from the stored rows as of `now`.
/// Keys no longer published (expired) are left out; signers are built only for keys not retired.
pub(crate) fn build(keys: Vec<SigningKey>, master: &MasterKey, now: i64) -> Result<Inner, KeyError> {
    let fingerprint = fingerprint(&keys);
    let mut built = Vec::with_capacity(keys.len());
    let mut published = Vec::with_capacity(keys.len());
    for key in keys {
        if key.expires_at.is_some_and(|e| e <= now) {
            continue;
        }
        let alg = key.alg;
        let public = jwks::parse_public(&key.public_jwk, &key.kid, alg.as_str())?;
        let verifier = verifier_for(alg, &Jwk::from_map(public.clone())?)?;
        let signer = if key.retired_at.is_none_or(|r| r > now) {
            Some(open_signer(&key, alg, master)?)
        } else {
            None
        };
        published.push((key.activates_at, key.created_at, key.kid.clone(), public));
        built.push((
            key.created_at,
            BuiltKey {
                kid: key.kid,
                alg,
                activates_at: key.activates_at,
                retired_at: key.retired_at,
                expires_at: key.expires_at,
                signer,
                verifier,
            },
        ));
    }
    built.sort_by(|(ca, a), (cb, b)| (b.activates_at, cb, &b.kid).cmp(&(a.activates_at, ca, &a.kid)));
    published.sort_by(|a, b| (b.0, b.1, &b.2).cmp(&(a.0, a.1, &a.2)));
    let jwks: Arc<str> = jwks::render(published.iter().map(|p| &p.3)).into();
    Ok(Inner {
        keys: built.into_iter().map(|(_, k)| k).collect(),
        jwks,
        fingerprint,
        verified: Default::default(),
    })
}

fn open_signer(key: &SigningKey, alg: Alg, master: &MasterKey) -> Result<Box<dyn JwsSigner>, KeyError> {
    let mut plain = master.open(&key.private_jwk_sealed, key.kid.as_bytes())?;
    let jwk = Jwk::from_bytes(&plain);
    plain.fill(0);
    let jwk = jwk.map_err(|_| KeyError::Invalid(format!("sealed key {} is not a JWK", key.kid)))?;
    if jwk.key_id() != Some(key.kid.as_str()) {
        return Err(KeyError::Invalid(format!(
            "sealed key {} names another kid",
            key.kid
        )));
    }
    Ok(match alg {
        Alg::Rs256 => Box::new(RS256.signer_from_jwk(&jwk)?),
        Alg::Es256 => Box::new(ES256.signer_from_jwk(&jwk)?),
        Alg::EdDsa => Box::new(EdDSA.signer_from_jwk(&jwk)?),
    })
}

fn verifier_for(alg: Alg, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, KeyError> {
    Ok(match alg {
        Alg::Rs256 => Box::new(RS256.verifier_from_jwk(jwk)?),
        Alg::Es256 => Box::new(ES256.verifier_from_jwk(jwk)?),
        Alg::EdDsa => Box::new(EdDSA.verifier_from_jwk(jwk)?),
    })
}

impl Inner {
    /// The newest key of `alg` that signs at `now`.
    pub(crate) fn active(&self, alg: Alg, now: i64) -> Option<&BuiltKey> {
        self.keys
            .iter()
            .find(|k| k.alg == alg && k.signer.is_some() && k.signs(now))
    }

    pub(crate) fn signing_algs(&self, now: i64) -> Vec<Alg> {
        Alg::ALL
            .into_iter()
            .filter(|a| self.active(*a, now).is_some())
            .collect()
    }

    pub(crate) fn sign(
        &self,
        alg: Alg,
        typ: Option<&str>,
        claims: &JsonMap,
        now: i64,
    ) -> Result<String, KeyError> {
        let payload = serde_json::to_vec(claims).map_err(|e| KeyError::Invalid(e.to_string()))?;
        self.sign_payload(alg, typ, &payload, now)
    }

    pub(crate) fn sign_payload(
        &self,
        alg: Alg,
        typ: Option<&str>,
        payload: &[u8],
        now: i64,
    ) -> Result<String, KeyError> {
        let key = self
            .active(alg, now)
            .ok_or_else(|| KeyError::NoKey(format!("no active {alg} key")))?;
        let signer = key
            .signer
            .as_deref()
            .ok_or_else(|| KeyError::NoKey(format!("no {alg} signer")))?;
        let mut header = JwsHeader::new();
        header.set_token_type(typ.unwrap_or("JWT"));
        header.set_key_id(key.kid.as_str());
        Ok(jws::serialize_compact(payload, &header, signer)?)
    }

    pub(crate) fn verify(&self, token: &str, now: i64) -> Result<(JsonMap, JsonMap), KeyError> {
        let (header, payload) = self.verify_payload(token, now)?;
        let claims: JsonMap = serde_json::from_slice(&payload)
            .map_err(|_| KeyError::Invalid("JWS payload is not a JSON object".into()))?;
        Ok((header, claims))
    }

    pub(crate) fn verify_payload(&self, token: &str, now: i64) -> Result<(JsonMap, Vec<u8>), KeyError> {
        let invalid = |m: &str| KeyError::Invalid(m.to_string());
        if token.len() > MAX_JWS_LEN {
            return Err(invalid("JWS too long"));
        }
        // docs/security.md E.36: this exact token verified before with a key still published.
        let digest = super::verified::digest(token);
        if let Some(seen) = self.verified.get(&digest) {
            if self.keys.iter().any(|k| k.kid == seen.kid && k.published(now)) {
                return Ok((seen.header, seen.payload));
            }
        }
        let mut parts = token.split('.');
        let (Some(head), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("not a compact JWS"));
        };
        let head = URL_SAFE_NO_PAD
            .decode(head)
            .map_err(|_| invalid("JWS header is not base64url"))?;
        let head: JsonMap =
            serde_json::from_slice(&head).map_err(|_| invalid("JWS header is not a JSON object"))?;
        let alg = head
            .get("alg")
            .and_then(Value::as_str)
            .and_then(Alg::parse)
            .ok_or_else(|| invalid("JWS alg is missing or not allowed"))?;
        if head.contains_key("crit") {
            return Err(invalid("JWS crit is not supported"));
        }
        let kid = head
            .get("kid")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("JWS kid is missing"))?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid && k.published(now))
            .ok_or_else(|| invalid("JWS kid is not a published key"))?;
        if key.alg != alg {
            return Err(invalid("JWS alg differs from the alg of its key"));
        }
        let (payload, header) = jws::deserialize_compact(token, key.verifier.as_ref())
            .map_err(|_| invalid("JWS signature does not verify"))?;
        let header = header.into_map();
        self.verified.remember(
            digest,
            super::verified::Verified {
                kid: key.kid.clone(),
                header: header.clone(),
                payload: payload.clone(),
            },
        );
        Ok((header, payload))
    }
}
