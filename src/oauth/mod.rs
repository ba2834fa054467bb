//! The protocol core: parsing and rules of RFC 6749 and friends, with no I/O: no actix, no
//! diesel, no store.

pub mod authorization_request;
pub mod client_assertion;
pub mod client_auth;
pub mod client_id_metadata;
pub mod client_metadata;
pub mod device;
pub mod dpop;
pub mod error;
pub mod par;
pub mod params;
pub mod pkce;
pub mod redirect_uri;
pub mod registration;
pub mod resource;
mod robustness;
pub mod scope;

pub use error::{ErrorCode, OAuthError};
