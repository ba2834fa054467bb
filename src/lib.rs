//! Portcullis: a standards-exact OAuth 2.0 authorization server and OpenID Provider.
//!
//! The module map follows DESIGN.md §1. Arrows point one way:
//! `endpoints -> (grants, oidc, accounts) -> oauth -> storage traits`; nothing in `oauth`,
//! `grants` or `oidc` names actix or diesel.

pub mod accounts;
pub mod authorization;
pub mod cli;
pub mod config;
pub mod endpoints;
pub mod grants;
pub mod http;
pub mod keys;
pub mod oauth;
pub mod oidc;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod tokens;
pub mod util;

pub use config::Settings;
pub use startup::Application;
