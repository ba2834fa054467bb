//! RFC 9449 at this server (docs/security.md F.2): a request's DPoP proof checked by
//! `oauth/dpop.rs`, plus what needs shared state or the server's key: the `jti` replay cache in the
//! short-lived store (§11.1) and server nonces (§8) that every node can verify. Also how the tokens
//! of a token response are bound ([`Binding`]).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::context::Context;
use crate::digest::{ct_eq, sha256_hex};
use crate::oauth::dpop::{self, Expected};
use crate::oauth::{ErrorCode, OAuthError};
use crate::storage::{Client, Kind};
use crate::tokens::access::AccessTokenClaims;

/// What the nonce key is derived for (`MasterKey::derive`).
const NONCE_PURPOSE: &str = "dpop-nonce";

/// How the tokens of one token response are presented (RFC 9449 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// No proof came with the request: bearer tokens (RFC 6750).
    Bearer,
    /// Bound to the key of the request's proof, by its RFC 7638 thumbprint.
    Dpop { jkt: String },
}

impl Binding {
    /// The `cnf.jkt` of the access token (RFC 9449 §6.1).
    pub fn jkt(&self) -> Option<&str> {
        match self {
            Binding::Bearer => None,
            Binding::Dpop { jkt } => Some(jkt),
        }
    }

    /// RFC 9449 §5.1: the `token_type` of the token response.
    pub fn token_type(&self) -> &'static str {
        match self {
            Binding::Bearer => "Bearer",
            Binding::Dpop { .. } => "DPoP",
        }
    }

    /// RFC 9449 §5: a new token family of a public client is bound to the key; a confidential
    /// client's refresh tokens are not (it authenticates at every refresh already).
    pub fn for_new_family(&self, client: &Client) -> Option<String> {
        self.jkt().filter(|_| client.is_public()).map(str::to_string)
    }
}

/// A proof and the request it came with.
#[derive(Debug, Clone, Copy)]
pub struct ProofRequest<'a> {
    /// The `DPoP` header's value.
    pub proof: &'a str,
    /// The request's method.
    pub method: &'a str,
    /// The endpoint's path, appended to the issuer for `htu` (e.g. `/token`).
    pub path: &'a str,
    /// The access token presented with the proof, at a resource.
    pub access_token: Option<&'a str>,
}

/// RFC 9449 §4.3: the whole check of a proof. `oauth::dpop::verify`, then the nonce when
/// `dpop.require_nonce` is set (`use_dpop_nonce`), then the `jti`, remembered with the key for
/// twice the `iat` window so the proof cannot be replayed on any node. Returns the key's thumbprint.
pub async fn check(ctx: &Context, req: ProofRequest<'_>) -> Result<String, OAuthError> {
    let htu = format!("{}{}", ctx.issuer, req.path);
    let window = ctx.dpop.iat_window_secs as i64;
    let expected = Expected {
        method: req.method,
        htu: &htu,
        access_token: req.access_token,
        now: ctx.now(),
        iat_window: window,
    };
    let proof = dpop::verify(req.proof, &expected)?;
    if ctx.dpop.require_nonce {
        check_nonce(ctx, proof.nonce.as_deref())?;
    }
    let seen = sha256_hex(&format!("{}:{}", proof.jkt, proof.jti));
    let remember = Duration::from_secs(2 * window as u64 + 1);
    if ctx.ephemeral.incr(Kind::DpopJti, &seen, remember).await? > 1 {
        return Err(OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "the DPoP proof was used before",
        ));
    }
    Ok(proof.jkt)
}

/// RFC 9449 §7.1: a DPoP-bound access token presented with a valid proof of the key it is bound
/// to. A token that is not bound, or bound to another key, is `invalid_token`.
pub async fn check_bound_token(
    ctx: &Context,
    claims: &AccessTokenClaims,
    req: ProofRequest<'_>,
) -> Result<(), OAuthError> {
    let jkt = check(ctx, req).await?;
    match &claims.cnf {
        Some(cnf) if ct_eq(&cnf.jkt, &jkt) => Ok(()),
        Some(_) => Err(OAuthError::invalid_token(
            "the access token is bound to another key",
        )),
        None => Err(OAuthError::invalid_token("the access token is not DPoP-bound")),
    }
}

/// RFC 9449 §8.2: the nonce to send in `DPoP-Nonce` now, when `dpop.require_nonce` is set.
pub fn current_nonce(ctx: &Context) -> Result<Option<String>, OAuthError> {
    if !ctx.dpop.require_nonce {
        return Ok(None);
    }
    nonce_for(ctx, period(ctx)).map(Some)
}

/// The number of the nonce period `now` falls in.
fn period(ctx: &Context) -> i64 {
    ctx.now() / ctx.dpop.nonce_period_secs.max(1) as i64
}

/// The nonce of one period: 128 bits of HMAC-SHA256 over the period number, keyed from the master
/// key, so every node computes the same nonces and nothing is stored.
fn nonce_for(ctx: &Context, period: i64) -> Result<String, OAuthError> {
    let mac = ctx.keys.derive(NONCE_PURPOSE).mac(&period.to_be_bytes());
    Ok(URL_SAFE_NO_PAD.encode(&mac[..16]))
}

/// RFC 9449 §8: the proof's nonce must be the one of this period, the one before (a client that
/// just learnt it) or the one after (a node whose clock is a little ahead).
fn check_nonce(ctx: &Context, nonce: Option<&str>) -> Result<(), OAuthError> {
    let use_nonce = |d: &'static str| OAuthError::new(ErrorCode::UseDpopNonce, d);
    let nonce = nonce.ok_or_else(|| use_nonce("a DPoP nonce is required"))?;
    let now = period(ctx);
    for p in [now, now - 1, now + 1] {
        if ct_eq(nonce, &nonce_for(ctx, p)?) {
            return Ok(());
        }
    }
    Err(use_nonce("the DPoP nonce is not current"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use josekit::jwk::Jwk;
    use josekit::jwk::alg::ec::EcCurve;
    use josekit::jws::{self, ES256, JwsHeader};
    use serde_json::json;

    use super::*;
    use crate::testing::{self, ISSUER};

    struct Key(Jwk);

    impl Key {
        fn new() -> Key {
            Key(Jwk::generate_ec_key(EcCurve::P256).unwrap())
        }

        fn proof(&self, ctx: &Context, nonce: Option<&str>) -> String {
            let mut header = JwsHeader::new();
            header.set_token_type("dpop+jwt");
            header.set_jwk(self.0.to_public_key().unwrap());
            let mut claims = json!({
                "jti": crate::random::random_id(),
                "htm": "POST",
                "htu": format!("{ISSUER}/token"),
                "iat": ctx.now(),
            });
            if let Some(n) = nonce {
                claims["nonce"] = json!(n);
            }
            let signer = ES256.signer_from_jwk(&self.0).unwrap();
            jws::serialize_compact(claims.to_string().as_bytes(), &header, &signer).unwrap()
        }
    }

    fn at_token(proof: &str) -> ProofRequest<'_> {
        ProofRequest {
            proof,
            method: "POST",
            path: "/token",
            access_token: None,
        }
    }

    #[tokio::test]
    async fn replayed_proof_is_refused() {
        let w = testing::world().await;
        let proof = Key::new().proof(&w.ctx, None);
        assert!(check(&w.ctx, at_token(&proof)).await.is_ok());
        let again = check(&w.ctx, at_token(&proof)).await.unwrap_err();
        assert_eq!(again.code, ErrorCode::InvalidDpopProof);
        assert_eq!(again.description, "the DPoP proof was used before");
    }

    #[tokio::test]
    async fn required_nonces_are_checked_and_rotate() {
        let mut w = testing::world().await;
        assert_eq!(current_nonce(&w.ctx).unwrap(), None, "off by default");
        w.ctx.dpop.require_nonce = true;
        let key = Key::new();
        let e = check(&w.ctx, at_token(&key.proof(&w.ctx, None)))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::UseDpopNonce);
        let nonce = current_nonce(&w.ctx).unwrap().unwrap();
        let wrong = check(&w.ctx, at_token(&key.proof(&w.ctx, Some("made-up")))).await;
        assert_eq!(wrong.unwrap_err().code, ErrorCode::UseDpopNonce);
        assert!(
            check(&w.ctx, at_token(&key.proof(&w.ctx, Some(&nonce))))
                .await
                .is_ok()
        );
        w.advance(w.ctx.dpop.nonce_period_secs);
        assert!(
            check(&w.ctx, at_token(&key.proof(&w.ctx, Some(&nonce))))
                .await
                .is_ok(),
            "the previous period's nonce still counts"
        );
        assert_ne!(current_nonce(&w.ctx).unwrap().unwrap(), nonce, "nonces rotate");
        w.advance(w.ctx.dpop.nonce_period_secs);
        let stale = check(&w.ctx, at_token(&key.proof(&w.ctx, Some(&nonce)))).await;
        assert_eq!(stale.unwrap_err().code, ErrorCode::UseDpopNonce);
    }

    #[test]
    fn only_public_clients_get_bound_families() {
        let mut client = crate::storage::Client {
            client_id: "c".into(),
            name: "C".into(),
            secret_hash: None,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            grant_types: vec![],
            scopes: crate::oauth::scope::Scope::default(),
            first_party: false,
            id_token_signed_response_alg: crate::keys::Alg::Rs256,
            access_token_alg: None,
            created_at: 0,
            require_pushed_authorization_requests: false,
            require_mfa: false,
            groups: Default::default(),
            backchannel_logout: None,
            upstreams: Vec::new(),
            password_login: true,
            registration: Default::default(),
            resource_server: false,
        };
        let bound = Binding::Dpop { jkt: "k".into() };
        assert_eq!(bound.for_new_family(&client).as_deref(), Some("k"));
        assert_eq!(Binding::Bearer.for_new_family(&client), None);
        client.secret_hash = Some("digest".into());
        assert_eq!(
            bound.for_new_family(&client),
            None,
            "RFC 9449 §5: confidential clients"
        );
        assert_eq!(bound.token_type(), "DPoP");
    }
}
