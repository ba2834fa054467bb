//! Clients as the flows see them (docs/clients.md): [`load`] is the one way endpoints find a
//! client by its client_id (a Client ID Metadata Document URL is resolved here), keys and
//! documents a client names are fetched and cached here, a `private_key_jwt` assertion is checked
//! against the client's keys with its `jti` used once, and clients register themselves here.

pub mod assertion;
pub mod documents;
pub mod metadata_document;
pub mod registration;

use crate::context::Context;
use crate::oauth::OAuthError;
use crate::oauth::client_id_metadata;
use crate::storage::{Client, ClientSource, Registration};

/// A client that described itself (RFC 7591 registration or a metadata document) before its
/// metadata is applied: third party (consent always asked), nothing granted, none of the
/// administrator's switches; `metadata.apply` fills in what it asked for.
pub fn self_described(
    client_id: String,
    created_at: i64,
    ctx: &Context,
    registration: Registration,
) -> Client {
    Client {
        client_id,
        name: String::new(),
        secret_hash: None,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        grant_types: Vec::new(),
        scopes: Default::default(),
        first_party: false,
        id_token_signed_response_alg: ctx.default_alg,
        access_token_alg: None,
        created_at,
        resource_server: false,
        require_pushed_authorization_requests: false,
        require_mfa: false,
        groups: Default::default(),
        backchannel_logout: None,
        upstreams: Vec::new(),
        password_login: true,
        registration,
    }
}

/// The client with this client_id, if any: the endpoints where a client first shows up
/// (authorize, PAR, and every endpoint that authenticates clients) go through here. A client_id
/// that is a metadata document's URL is resolved by fetching it (when
/// `registration.client_id_metadata_documents` is on; when it is off such clients do not exist);
/// a document that cannot be fetched or is not acceptable is `invalid_client` with the reason.
pub async fn load(ctx: &Context, client_id: &str) -> Result<Option<Client>, OAuthError> {
    let documents_on = ctx.registration.client_id_metadata_documents;
    if documents_on {
        if let Some(url) =
            client_id_metadata::document_url(client_id, ctx.registration.cimd_allow_http_loopback)
        {
            return metadata_document::resolve(ctx, &url).await.map(Some);
        }
    }
    let client = ctx.store.client_by_id(client_id).await?;
    Ok(client.filter(|c| documents_on || c.registration.source != ClientSource::MetadataDocument))
}
