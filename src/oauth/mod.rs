//! The protocol core: parsing and rules of RFC 6749 and friends. No actix, no diesel.

pub mod error;

pub use error::{ErrorCode, OAuthError};
