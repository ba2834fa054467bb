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
mod device;
mod discovery;
mod done_when;
mod dpop;
mod durability;
mod federation;
mod groups;
mod guides;
mod helpers;
mod input;
mod introspection;
mod limits;
mod logout;
mod mfa;
mod offline;
mod operations;
mod par;
mod refresh;
mod relying_party;
mod sessions;
mod token;
mod userinfo;
