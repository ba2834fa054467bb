//! Tokens after issue: validating bearer access tokens, introspection (RFC 7662), revocation (RFC 7009).

pub mod access;
pub mod introspection;
pub mod revocation;
