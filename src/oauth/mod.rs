//! The protocol core: parsing and rules of RFC 6749 and friends. No actix, no diesel.

pub mod authorization;
pub mod client_auth;
pub mod error;
pub mod params;
pub mod pkce;
pub mod redirect_uri;
mod robustness;
pub mod scope;
pub mod tokens;

pub use error::{ErrorCode, OAuthError};
