//! Tokens, minted and checked in one place: JWT access tokens (RFC 9068), refresh tokens and their
//! families, the token response, introspection (RFC 7662), revocation (RFC 7009), each node's cache
//! of revoked access tokens, and DPoP binding (RFC 9449).

pub mod access;
pub mod audience;
pub mod dpop;
pub mod introspection;
pub mod refresh;
pub mod response;
pub mod revocation;
pub mod revoked;

use crate::storage::{AuthMethod, User};

pub use response::{Grant, TokenResponse};

/// Who tokens are about and how they authenticated: a user, or no one (a client for itself).
#[derive(Clone, Copy)]
pub struct Subject<'a> {
    pub user: Option<&'a User>,
    pub auth_time: Option<i64>,
    pub sid: Option<&'a str>,
    /// RFC 8176 authentication methods.
    pub amr: &'a [AuthMethod],
    /// The upstream OpenID provider of the login (the ID token's `idp`).
    pub idp: Option<&'a str>,
}

impl Subject<'_> {
    /// A client acting for itself (client_credentials).
    pub const CLIENT: Subject<'static> = Subject {
        user: None,
        auth_time: None,
        sid: None,
        amr: &[],
        idp: None,
    };
}
