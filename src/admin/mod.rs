//! The operators' REST API's core (docs/admin-api.md), shared with the CLI: every admin
//! operation (list, read, create, update, delete) and its validation lives here, so that
//! `portcullis client|user|group|api ...` and `/admin/api/v1` cannot disagree. No actix, no diesel:
//! the HTTP layer is `endpoints/admin/`, storage the traits of `storage/`.
//!
//! Who may call the API (docs/security.md M): Portcullis's own access tokens for the audience
//! [`identifier`] carrying [`ADMIN_SCOPE`], which only a client an administrator gave that scope
//! gets, with client_credentials ([`may_mint`]).

pub mod apis;
pub mod audit;
pub mod auth;
pub mod client_patch;
pub mod client_view;
pub mod clients;
pub mod error;
pub mod groups;
pub mod keys;
pub mod page;
pub mod sessions;
pub mod users;

use crate::oauth::OAuthError;
use crate::oauth::scope::Scope;
use crate::storage::{Api, ApiScope, Client, ClientSource, GrantType};
use crate::tokens::audience::Aud;

pub use error::{AdminError, ErrorKind};
pub use page::{Page, PageRequest};

/// The scope that opens the admin API (docs/security.md M.1).
pub const ADMIN_SCOPE: &str = "portcullis:admin";

/// The admin API's resource identifier (RFC 8707 §2), the `aud` its tokens must carry:
/// `{issuer}/admin/api`.
pub fn identifier(issuer: &str) -> String {
    format!("{}/admin/api", issuer.trim_end_matches('/'))
}

/// The admin API as a built-in API (never stored): it defines [`ADMIN_SCOPE`] only, so a client
/// is entitled to it exactly when an administrator gave it that scope (docs/security.md J.4).
pub fn builtin_api(issuer: &str) -> Api {
    Api {
        identifier: identifier(issuer),
        name: "Portcullis admin API".into(),
        scopes: vec![ApiScope {
            name: ADMIN_SCOPE.into(),
            description: "Administer this Portcullis".into(),
        }],
        access_token_ttl_secs: None,
        alg: None,
        introspect_client: None,
        created_at: 0,
    }
}

/// docs/security.md M.2: the one rule every access token passes before it is signed
/// (`tokens::access::mint`). A token may carry [`ADMIN_SCOPE`] only when it is a client's token
/// for itself (client_credentials: no user, no actor) of a client an administrator made and gave
/// the scope, and its only audience is the admin API. Anything else asking for it is `invalid_scope`.
pub fn may_mint(
    issuer: &str,
    client: &Client,
    has_user: bool,
    has_actor: bool,
    scope: &Scope,
    aud: &Aud,
) -> Result<(), OAuthError> {
    if !scope.contains(ADMIN_SCOPE) {
        return Ok(());
    }
    let admin_made = client.registration.source == ClientSource::Admin
        && client.scopes.contains(ADMIN_SCOPE)
        && client.allows_grant(GrantType::ClientCredentials);
    let for_admin_api = aud.values() == [identifier(issuer)];
    if admin_made && !has_user && !has_actor && for_admin_api {
        Ok(())
    } else {
        Err(OAuthError::invalid_scope(
            "portcullis:admin is only for client_credentials tokens of clients an administrator gave it, for the admin API",
        ))
    }
}

/// Drops repeated values, keeping the first of each in order.
pub fn dedup<T: PartialEq>(v: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn client(source: ClientSource, scopes: &str) -> Client {
        let mut c: Client = serde_json::from_value(serde_json::json!({
            "client_id": "c1", "name": "c", "secret_hash": "00", "redirect_uris": [],
            "post_logout_redirect_uris": [], "grant_types": ["client_credentials"],
            "scopes": scopes, "first_party": false, "id_token_signed_response_alg": "RS256",
            "created_at": 0, "resource_server": false
        }))
        .unwrap();
        c.registration.source = source;
        c
    }

    /// M.2: only an admin-made client's own token for the admin API may carry portcullis:admin.
    #[test]
    fn admin_scope_only_in_client_credentials_tokens_for_the_admin_api() {
        let iss = "https://id.example";
        let admin = Scope::parse(ADMIN_SCOPE).unwrap();
        let aud = Aud::one(identifier(iss));
        let ok = client(ClientSource::Admin, "portcullis:admin");
        assert!(may_mint(iss, &ok, false, false, &admin, &aud).is_ok());
        assert!(
            may_mint(iss, &ok, true, false, &admin, &aud).is_err(),
            "with a user"
        );
        assert!(
            may_mint(iss, &ok, false, true, &admin, &aud).is_err(),
            "with an actor"
        );
        assert!(
            may_mint(iss, &ok, false, false, &admin, &Aud::one(iss)).is_err(),
            "other aud"
        );
        let two = Aud::many(vec![identifier(iss), "https://api.example".into()]);
        assert!(
            may_mint(iss, &ok, false, false, &admin, &two).is_err(),
            "shared aud"
        );
        for source in [ClientSource::Dynamic, ClientSource::MetadataDocument] {
            let c = client(source, "portcullis:admin");
            assert!(
                may_mint(iss, &c, false, false, &admin, &aud).is_err(),
                "{source:?}"
            );
        }
        let without = client(ClientSource::Admin, "openid");
        assert!(may_mint(iss, &without, false, false, &admin, &aud).is_err());
        let plain = Scope::parse("openid").unwrap();
        assert!(may_mint(iss, &without, true, false, &plain, &Aud::one(iss)).is_ok());
    }
}
