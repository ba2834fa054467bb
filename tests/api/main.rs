//! The one integration-test binary (docs/architecture.md): one module per spec area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account;
mod admin;
mod audit;
mod authorize;
mod authorize_bounds;
mod backchannel;
mod browser_binding;
mod cli;
mod client_auth;
mod cluster;
mod codes;
mod consent;
mod cors;
mod discovery;
mod docserver;
mod done_when;
mod dpop;
mod durability;
mod federation;
mod groups;
mod helpers;
mod input;
mod introspection;
mod limits;
mod logout;
mod mfa;
mod offline;
mod par;
mod private_key_jwt;
mod refresh;
mod registration;
mod relying_party;
mod sessions;
mod token;
mod userinfo;
