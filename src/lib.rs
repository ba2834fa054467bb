//! Portcullis: a standards-exact OAuth 2.0 authorization server and OpenID Provider.
//!
//! The module map and the path of a request are in docs/architecture.md. Arrows point one way:
//! `endpoints -> http -> (interaction, grants, tokens, oidc, accounts) -> oauth -> storage traits`;
//! below the endpoints every flow takes a [`context::Context`], and nothing in `oauth`,
//! `interaction`, `grants`, `tokens` or `oidc` names actix or diesel.

pub mod accounts;
pub mod admin;
pub mod apis;
pub mod backchannel;
pub mod cli;
pub mod clients;
pub mod clock;
pub mod config;
pub mod context;
pub mod digest;
pub mod endpoints;
pub mod federation;
pub mod fetch;
pub mod fuzz_targets;
pub mod grants;
pub mod groups;
pub mod http;
pub mod i18n;
pub mod interaction;
pub mod keys;
pub mod mail;
pub mod mfa;
pub mod monitoring;
pub mod oauth;
pub mod oidc;
pub mod random;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
#[cfg(test)]
pub(crate) mod tempdir;
#[cfg(test)]
pub(crate) mod testing;
pub mod timefmt;
pub mod tokens;
mod upkeep;

pub use clock::Clock;
pub use config::Settings;
pub use context::Context;
pub use startup::Application;
