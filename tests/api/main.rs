//! The one integration-test binary (STYLE.md §7): one module per spec area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod cluster;
mod cors;
mod helpers;
mod relying_party;
mod authorize;
mod codes;
mod sessions;
mod logout;
mod consent;
mod cli;
mod client_auth;
mod discovery;
mod input;
mod introspection;
mod refresh;
mod token;
mod userinfo;
