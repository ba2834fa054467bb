//! [`RegistrationStore`] over diesel: initial access tokens (RFC 7591 §3) and whole-client updates
//! (RFC 7592 §2.2, metadata documents fetched again).

use async_trait::async_trait;
use diesel::prelude::*;

use super::rows::ClientRow;
use super::schema::{clients, registration_tokens};
use super::{DieselStore, write_tx};
use crate::storage::{Client, RegistrationStore, RegistrationToken, StorageResult};

#[async_trait]
impl RegistrationStore for DieselStore {
    async fn create_registration_token(&self, token: RegistrationToken) -> StorageResult<()> {
        self.write(move |conn| {
            diesel::insert_into(registration_tokens::table)
                .values((
                    registration_tokens::token_hash.eq(token.token_hash),
                    registration_tokens::created_at.eq(token.created_at),
                    registration_tokens::expires_at.eq(token.expires_at),
                    registration_tokens::max_uses.eq(token.max_uses),
                    registration_tokens::uses.eq(token.uses),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn use_registration_token(&self, token_hash: &str, now: i64) -> StorageResult<bool> {
        let hash = token_hash.to_owned();
        self.write(move |conn| {
            let n =
                diesel::update(
                    registration_tokens::table
                        .find(hash)
                        .filter(
                            registration_tokens::expires_at
                                .is_null()
                                .or(registration_tokens::expires_at.gt(now)),
                        )
                        .filter(registration_tokens::max_uses.is_null().or(
                            registration_tokens::uses.lt(registration_tokens::max_uses.assume_not_null()),
                        )),
                )
                .set(registration_tokens::uses.eq(registration_tokens::uses + 1))
                .execute(conn)?;
            Ok(n == 1)
        })
        .await
    }

    async fn update_client(&self, client: Client) -> StorageResult<bool> {
        let row = ClientRow::from_model(&client)?;
        let result = self
            .run(move |conn| {
                let id = row.client_id.clone();
                let n = diesel::update(clients::table.find(id))
                    .set(changes(row))
                    .execute(conn)?;
                Ok(n > 0)
            })
            .await;
        self.clients.changed(&client.client_id).await;
        result
    }

    async fn upsert_client(&self, client: Client) -> StorageResult<()> {
        let row = ClientRow::from_model(&client)?;
        let result = self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                let id = row.client_id.clone();
                let n = diesel::update(clients::table.find(&id))
                    .set(changes(row.clone()))
                    .execute(conn)?;
                if n == 0 {
                    diesel::insert_into(clients::table).values(&row).execute(conn)?;
                }
                Ok(())
            })?)
        });
        let result = result.await;
        self.clients.changed(&client.client_id).await;
        result
    }
}

/// Every column but `client_id` and `created_at`.
#[allow(clippy::type_complexity)]
fn changes(
    r: ClientRow,
) -> (
    (
        diesel::dsl::Eq<clients::name, String>,
        diesel::dsl::Eq<clients::secret_hash, Option<String>>,
        diesel::dsl::Eq<clients::redirect_uris, String>,
        diesel::dsl::Eq<clients::post_logout_redirect_uris, String>,
        diesel::dsl::Eq<clients::grant_types, String>,
        diesel::dsl::Eq<clients::scopes, String>,
        diesel::dsl::Eq<clients::first_party, bool>,
        diesel::dsl::Eq<clients::id_token_signed_response_alg, String>,
        diesel::dsl::Eq<clients::resource_server, bool>,
    ),
    (
        diesel::dsl::Eq<clients::require_pushed_authorization_requests, bool>,
        diesel::dsl::Eq<clients::require_mfa, bool>,
        diesel::dsl::Eq<clients::groups_claim_filter, String>,
        diesel::dsl::Eq<clients::require_groups, String>,
        diesel::dsl::Eq<clients::backchannel_logout_uri, Option<String>>,
        diesel::dsl::Eq<clients::backchannel_logout_session_required, bool>,
        diesel::dsl::Eq<clients::upstreams, String>,
        diesel::dsl::Eq<clients::password_login, bool>,
        diesel::dsl::Eq<clients::registration, String>,
        diesel::dsl::Eq<clients::access_token_alg, Option<String>>,
    ),
) {
    (
        (
            clients::name.eq(r.name),
            clients::secret_hash.eq(r.secret_hash),
            clients::redirect_uris.eq(r.redirect_uris),
            clients::post_logout_redirect_uris.eq(r.post_logout_redirect_uris),
            clients::grant_types.eq(r.grant_types),
            clients::scopes.eq(r.scopes),
            clients::first_party.eq(r.first_party),
            clients::id_token_signed_response_alg.eq(r.id_token_signed_response_alg),
            clients::resource_server.eq(r.resource_server),
        ),
        (
            clients::require_pushed_authorization_requests.eq(r.require_pushed_authorization_requests),
            clients::require_mfa.eq(r.require_mfa),
            clients::groups_claim_filter.eq(r.groups_claim_filter),
            clients::require_groups.eq(r.require_groups),
            clients::backchannel_logout_uri.eq(r.backchannel_logout_uri),
            clients::backchannel_logout_session_required.eq(r.backchannel_logout_session_required),
            clients::upstreams.eq(r.upstreams),
            clients::password_login.eq(r.password_login),
            clients::registration.eq(r.registration),
            clients::access_token_alg.eq(r.access_token_alg),
        ),
    )
}
