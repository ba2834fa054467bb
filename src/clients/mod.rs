//! Clients as the flows see them (docs/clients.md): [`load`] is the one way endpoints find a
//! client by its client_id, keys and documents a client names are fetched and cached here, and a
//! `private_key_jwt` assertion is checked against the client's keys with its `jti` used once.

pub mod assertion;
pub mod documents;
pub mod registration;

use crate::context::Context;
use crate::oauth::OAuthError;
use crate::storage::Client;

/// The client with this client_id, if any: every endpoint that looks a client up (authorize,
/// PAR, token, introspection, revocation, logout) goes through here.
pub async fn load(ctx: &Context, client_id: &str) -> Result<Option<Client>, OAuthError> {
    Ok(ctx.store.client_by_id(client_id).await?)
}
