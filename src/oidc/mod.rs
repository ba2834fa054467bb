//! OpenID Connect on top of the OAuth core: ID tokens, claims, discovery, RP-initiated logout.

pub mod claims;
pub mod end_session;
pub mod id_token;
pub mod metadata;
