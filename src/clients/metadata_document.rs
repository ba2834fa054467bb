//! Client ID Metadata Documents at this server (docs/clients.md, docs/security.md K.3): a client_id
//! that is a document URL is resolved by fetching the document (`fetch`: https only, public
//! addresses pinned, no redirects, 5 KB, 5 s), checked (`oauth/client_id_metadata.rs`) and recorded
//! as a client row, so consents, refresh tokens and the account page work as for any client. The
//! row is reused until the document's cache lifetime (5 minutes to 24 hours) ends; then the next
//! request fetches it again, and a document that can no longer be fetched or checked stops the
//! client (fail closed).

use serde_json::json;
use url::Url;

use crate::accounts::Audit;
use crate::clients::documents;
use crate::context::Context;
use crate::fetch;
use crate::oauth::client_id_metadata::{self, MAX_DOCUMENT_BYTES};
use crate::oauth::registration::Policy;
use crate::oauth::{ErrorCode, OAuthError};
use crate::storage::{AuditKind, Client, ClientSource, Registration};

/// The client the document at `url` describes, fetched again when the recorded copy is stale.
pub async fn resolve(ctx: &Context, url: &Url) -> Result<Client, OAuthError> {
    let now = ctx.now();
    let stored = ctx.store.client_by_id(url.as_str()).await?;
    if let Some(c) = &stored {
        if c.registration.source != ClientSource::MetadataDocument {
            return Ok(c.clone());
        }
        if c.registration.refresh_at.is_some_and(|t| t > now) {
            return Ok(c.clone());
        }
    }
    let fetched = fetch::fetch(url, documents::policy(ctx, MAX_DOCUMENT_BYTES))
        .await
        .map_err(|e| {
            OAuthError::new(
                ErrorCode::InvalidClient,
                format!("the client metadata document could not be fetched: {e}"),
            )
        })?;
    let algs = ctx.keys.signing_algs();
    let policy = Policy {
        allowed_scopes: &ctx.registration.allowed_scopes,
        allow_http_loopback: ctx.registration.cimd_allow_http_loopback,
        signing_algs: &algs,
        default_alg: ctx.default_alg,
    };
    let metadata = client_id_metadata::check_document(url, &fetched.body, &policy)?;
    let registration = Registration {
        source: ClientSource::MetadataDocument,
        refresh_at: Some(now.saturating_add(fetched.cache_secs)),
        ..Registration::default()
    };
    let created_at = stored.as_ref().map_or(now, |c| c.created_at);
    let mut client = super::self_described(url.as_str().to_string(), created_at, ctx, registration);
    metadata.apply(&mut client);
    ctx.store.upsert_client(client.clone()).await?;
    if stored.as_ref() != Some(&client) {
        Audit::new(AuditKind::ClientMetadataFetched)
            .client(Some(&client.client_id))
            .detail(json!({ "host": url.host_str(), "name": client.name }))
            .write(&ctx.store, now)
            .await;
    }
    Ok(client)
}

/// The host name a metadata-document client is shown by (its name is self-asserted).
pub fn host(client: &Client) -> Option<String> {
    (client.registration.source == ClientSource::MetadataDocument)
        .then(|| Url::parse(&client.client_id).ok()?.host_str().map(str::to_string))
        .flatten()
}
