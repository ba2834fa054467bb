//! A software passkey: the authenticator side of WebAuthn Level 2 for the passkey tests
//! (`mfa.rs`). It answers the server's creation and request options as a browser with a platform
//! authenticator would: a P-256 key (COSE ES256), user presence and user verification, `none`
//! attestation, a signature counter; device-bound (the server's `amr` is `hwk`) or, made with
//! [`SoftPasskey::synced`], backup-eligible and backed up like a synced passkey (`swk`).
//!
//! It is written here rather than taken from a crate so that the test build needs no dependency
//! the server's release build lacks (bench/README.md, "Build time").

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

/// Authenticator data flags (WebAuthn Level 2 §6.1): user present, user verified, attested
/// credential data included.
const UP: u8 = 0x01;
const UV: u8 = 0x04;
/// Backup eligible and backed up (WebAuthn Level 3 §6.1): a synced passkey.
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;
/// COSE (RFC 9053): key type EC2, curve P-256, algorithm ES256.
const COSE_KTY_EC2: i64 = 2;
const COSE_CRV_P256: i64 = 1;
const COSE_ALG_ES256: i64 = -7;

pub struct SoftPasskey {
    key: PKey<Private>,
    credential_id: Vec<u8>,
    /// The user handle of the registration, returned with each assertion.
    user_handle: Option<String>,
    counter: u32,
    /// BE and BS, or nothing for a device-bound credential.
    backup: u8,
}

impl SoftPasskey {
    pub fn new() -> Self {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        Self {
            key,
            credential_id: rand::random::<[u8; 16]>().to_vec(),
            user_handle: None,
            counter: 0,
            backup: 0,
        }
    }

    /// A synced passkey: backup-eligible and backed up, in every ceremony.
    pub fn synced() -> Self {
        Self {
            backup: BE | BS,
            ..Self::new()
        }
    }

    /// `navigator.credentials.create()`: the credential JSON for the server's creation options
    /// (`{"publicKey": {...}}`), made at `origin`.
    pub fn register(&mut self, origin: &Url, options: &Value) -> Value {
        let options = &options["publicKey"];
        let rp_id = options["rp"]["id"].as_str().expect("rp.id");
        self.user_handle = options["user"]["id"].as_str().map(str::to_string);
        let client_data = client_data("webauthn.create", options, origin);
        let mut auth_data = auth_data_head(rp_id, UP | UV | AT | self.backup, 0);
        auth_data.extend_from_slice(&[0; 16]); // AAGUID: none (no attestation)
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&self.cose_public_key());
        let mut attestation = Cbor::map(3);
        attestation.text("fmt").text("none");
        attestation.text("attStmt").map_head(0);
        attestation.text("authData").bytes(&auth_data);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation.0),
                "clientDataJSON": b64(&client_data),
            },
            "extensions": {},
        })
    }

    /// `navigator.credentials.get()`: the assertion JSON for the server's request options, made
    /// at `origin` and signed over the authenticator data and the client data's hash.
    pub fn sign_in(&mut self, origin: &Url, options: &Value) -> Value {
        let options = &options["publicKey"];
        let rp_id = options["rpId"].as_str().expect("rpId");
        let client_data = client_data("webauthn.get", options, origin);
        self.counter += 1;
        let auth_data = auth_data_head(rp_id, UP | UV | self.backup, self.counter);
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key).unwrap();
        signer.update(&auth_data).unwrap();
        signer.update(&Sha256::digest(&client_data)).unwrap();
        let signature = signer.sign_to_vec().unwrap(); // ASN.1 DER, as WebAuthn §6.5.6 asks
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(&signature),
                "userHandle": self.user_handle,
            },
            "extensions": {},
        })
    }

    /// The credential public key as a COSE_Key map (RFC 9053 §7.1.1).
    fn cose_public_key(&self) -> Vec<u8> {
        let ec = self.key.ec_key().unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        let mut x = openssl::bn::BigNum::new().unwrap();
        let mut y = openssl::bn::BigNum::new().unwrap();
        ec.public_key()
            .affine_coordinates(ec.group(), &mut x, &mut y, &mut ctx)
            .unwrap();
        let mut key = Cbor::map(5);
        key.int(1).int(COSE_KTY_EC2);
        key.int(3).int(COSE_ALG_ES256);
        key.int(-1).int(COSE_CRV_P256);
        key.int(-2).bytes(&x.to_vec_padded(32).unwrap());
        key.int(-3).bytes(&y.to_vec_padded(32).unwrap());
        key.0
    }
}

/// The collected client data (WebAuthn Level 2 §5.8.1) as the browser serialises it.
fn client_data(kind: &str, options: &Value, origin: &Url) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": kind,
        "challenge": options["challenge"].as_str().expect("challenge"),
        "origin": origin.origin().ascii_serialization(),
        "crossOrigin": false,
    }))
    .unwrap()
}

/// rpIdHash, flags and the signature counter (WebAuthn Level 2 §6.1).
fn auth_data_head(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
    let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
    data.push(flags);
    data.extend_from_slice(&counter.to_be_bytes());
    data
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The little of CBOR (RFC 8949) that attestation objects and COSE keys need.
struct Cbor(Vec<u8>);

impl Cbor {
    fn map(entries: u64) -> Self {
        let mut cbor = Self(Vec::new());
        cbor.map_head(entries);
        cbor
    }

    /// A data item's head: major type and argument (RFC 8949 §3).
    fn head(&mut self, major: u8, argument: u64) -> &mut Self {
        let major = major << 5;
        match argument {
            0..=23 => self.0.push(major | argument as u8),
            24..=0xff => self.0.extend_from_slice(&[major | 24, argument as u8]),
            0x100..=0xffff => {
                self.0.push(major | 25);
                self.0.extend_from_slice(&(argument as u16).to_be_bytes());
            }
            _ => {
                self.0.push(major | 26);
                self.0.extend_from_slice(&(argument as u32).to_be_bytes());
            }
        }
        self
    }

    fn map_head(&mut self, entries: u64) -> &mut Self {
        self.head(5, entries)
    }

    fn int(&mut self, value: i64) -> &mut Self {
        if value >= 0 {
            self.head(0, value as u64)
        } else {
            self.head(1, (-1 - value) as u64)
        }
    }

    fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.head(2, bytes.len() as u64);
        self.0.extend_from_slice(bytes);
        self
    }

    fn text(&mut self, text: &str) -> &mut Self {
        self.head(3, text.len() as u64);
        self.0.extend_from_slice(text.as_bytes());
        self
    }
}
