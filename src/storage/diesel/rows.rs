//! Row structs for the diesel tables, private to `storage`, with conversions to and from
//! the [`crate::storage::models`] types the core sees (docs/architecture.md, "Storage").

use diesel::prelude::*;

use super::schema::{
    audit_events, clients, consents, ephemeral, identity_links, refresh_tokens, revoked_tokens, signing_keys,
    token_families, users,
};
use crate::keys::Alg;
use crate::oauth::scope::Scope;
use crate::storage::models::{
    AuditEvent, AuditKind, BackchannelLogout, Client, ClientGroups, Consent, FamilyLifetime, GrantType,
    IdentityLink, NewUser, RefreshToken, RevokedToken, SigningKey, TokenFamily, User,
};
use crate::storage::{StorageError, StorageResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub password_hash: String,
    pub disabled: bool,
    pub password_changed_at: i64,
    pub sessions_revoked_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl UserRow {
    /// A new user: enabled; `password_changed_at` and `sessions_revoked_at` start at 0
    /// ("never"), so nothing that begins in the user's first second is void.
    pub fn from_new(user: NewUser) -> UserRow {
        UserRow {
            id: user.id,
            username: user.username,
            email: user.email,
            email_verified: user.email_verified,
            name: user.name,
            password_hash: user.password_hash,
            disabled: false,
            password_changed_at: 0,
            sessions_revoked_at: 0,
            created_at: user.created_at,
            updated_at: user.created_at,
        }
    }
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> User {
        User {
            id: r.id,
            username: r.username,
            email: r.email,
            email_verified: r.email_verified,
            name: r.name,
            password_hash: r.password_hash,
            disabled: r.disabled,
            password_changed_at: r.password_changed_at,
            sessions_revoked_at: r.sessions_revoked_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
pub(crate) struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub grant_types: String,
    pub scopes: String,
    pub first_party: bool,
    pub id_token_signed_response_alg: String,
    pub created_at: i64,
    pub resource_server: bool,
    pub require_pushed_authorization_requests: bool,
    pub require_mfa: bool,
    pub groups_claim_filter: String,
    pub require_groups: String,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub upstreams: String,
    pub password_login: bool,
    pub registration: String,
    pub access_token_alg: Option<String>,
}

fn to_json<T: serde::Serialize>(value: &T) -> StorageResult<String> {
    serde_json::to_string(value).map_err(|e| StorageError::Backend(format!("encoding a list column: {e}")))
}

fn alg(stored: &str, owner: &str) -> StorageResult<Alg> {
    Alg::parse(stored).ok_or_else(|| StorageError::Corrupt(format!("alg of {owner}: {stored:?}")))
}

/// Scopes are stored space-separated (RFC 6749 §3.3).
fn scope(stored: &str) -> Scope {
    Scope::from_tokens(stored.split(' '))
}

fn from_json<T: serde::de::DeserializeOwned>(column: &str, owner: &str, text: &str) -> StorageResult<T> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("{column} of {owner}: {e}")))
}

impl ClientRow {
    pub fn from_model(c: &Client) -> StorageResult<ClientRow> {
        Ok(ClientRow {
            client_id: c.client_id.clone(),
            name: c.name.clone(),
            secret_hash: c.secret_hash.clone(),
            redirect_uris: to_json(&c.redirect_uris)?,
            post_logout_redirect_uris: to_json(&c.post_logout_redirect_uris)?,
            grant_types: to_json(&c.grant_types)?,
            scopes: to_json(&c.scopes.iter().collect::<Vec<_>>())?,
            first_party: c.first_party,
            id_token_signed_response_alg: c.id_token_signed_response_alg.to_string(),
            created_at: c.created_at,
            resource_server: c.resource_server,
            require_pushed_authorization_requests: c.require_pushed_authorization_requests,
            require_mfa: c.require_mfa,
            groups_claim_filter: to_json(&c.groups.claim_filter)?,
            require_groups: to_json(&c.groups.required)?,
            backchannel_logout_uri: c.backchannel_logout.as_ref().map(|b| b.uri.clone()),
            backchannel_logout_session_required: c
                .backchannel_logout
                .as_ref()
                .is_some_and(|b| b.session_required),
            upstreams: to_json(&c.upstreams)?,
            password_login: c.password_login,
            registration: to_json(&c.registration)?,
            access_token_alg: c.access_token_alg.map(|a| a.to_string()),
        })
    }
}

impl TryFrom<ClientRow> for Client {
    type Error = StorageError;

    fn try_from(r: ClientRow) -> StorageResult<Client> {
        let owner = format!("client {}", r.client_id);
        let grant_types: Vec<GrantType> = from_json("grant_types", &owner, &r.grant_types)?;
        let scopes: Vec<String> = from_json("scopes", &owner, &r.scopes)?;
        let id_token_signed_response_alg = alg(&r.id_token_signed_response_alg, &owner)?;
        let access_token_alg = match &r.access_token_alg {
            Some(a) => Some(alg(a, &owner)?),
            None => None,
        };
        let groups = ClientGroups {
            claim_filter: from_json("groups_claim_filter", &owner, &r.groups_claim_filter)?,
            required: from_json("require_groups", &owner, &r.require_groups)?,
        };
        let backchannel_logout = r.backchannel_logout_uri.map(|uri| BackchannelLogout {
            uri,
            session_required: r.backchannel_logout_session_required,
        });
        Ok(Client {
            redirect_uris: from_json("redirect_uris", &owner, &r.redirect_uris)?,
            post_logout_redirect_uris: from_json(
                "post_logout_redirect_uris",
                &owner,
                &r.post_logout_redirect_uris,
            )?,
            grant_types,
            scopes: Scope::from_tokens(scopes),
            client_id: r.client_id,
            name: r.name,
            secret_hash: r.secret_hash,
            first_party: r.first_party,
            id_token_signed_response_alg,
            access_token_alg,
            created_at: r.created_at,
            resource_server: r.resource_server,
            require_pushed_authorization_requests: r.require_pushed_authorization_requests,
            require_mfa: r.require_mfa,
            groups,
            backchannel_logout,
            upstreams: from_json("upstreams", &owner, &r.upstreams)?,
            password_login: r.password_login,
            registration: from_json("registration", &owner, &r.registration)?,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub(crate) struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub private_jwk_sealed: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub activates_at: i64,
    pub retired_at: Option<i64>,
    pub expires_at: Option<i64>,
}

impl From<SigningKey> for KeyRow {
    fn from(k: SigningKey) -> KeyRow {
        KeyRow {
            kid: k.kid,
            alg: k.alg.to_string(),
            private_jwk_sealed: k.private_jwk_sealed,
            public_jwk: k.public_jwk,
            created_at: k.created_at,
            activates_at: k.activates_at,
            retired_at: k.retired_at,
            expires_at: k.expires_at,
        }
    }
}

impl TryFrom<KeyRow> for SigningKey {
    type Error = StorageError;

    fn try_from(r: KeyRow) -> StorageResult<SigningKey> {
        Ok(SigningKey {
            alg: alg(&r.alg, &format!("key {}", r.kid))?,
            kid: r.kid,
            private_jwk_sealed: r.private_jwk_sealed,
            public_jwk: r.public_jwk,
            created_at: r.created_at,
            activates_at: r.activates_at,
            retired_at: r.retired_at,
            expires_at: r.expires_at,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = token_families)]
pub(crate) struct FamilyRow {
    pub id: String,
    pub user_id: Option<String>,
    pub client_id: String,
    pub scope: String,
    pub sid: Option<String>,
    pub auth_time: i64,
    pub created_at: i64,
    pub last_used_at: i64,
    pub absolute_expires_at: i64,
    pub revoked_at: Option<i64>,
    pub device_name: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub session_bound: bool,
    pub dpop_jkt: Option<String>,
    /// The login's RFC 8176 methods, as a JSON array.
    pub amr: String,
    pub idp: Option<String>,
    /// RFC 8707: the grant's APIs, as a JSON array.
    pub resources: String,
}

impl From<TokenFamily> for FamilyRow {
    fn from(f: TokenFamily) -> FamilyRow {
        FamilyRow {
            id: f.id,
            user_id: f.user_id,
            client_id: f.client_id,
            scope: f.scope.to_string(),
            sid: f.sid,
            auth_time: f.auth_time,
            created_at: f.created_at,
            last_used_at: f.last_used_at,
            absolute_expires_at: f.absolute_expires_at,
            revoked_at: f.revoked_at,
            device_name: f.device_name,
            user_agent: f.user_agent,
            ip: f.ip,
            session_bound: f.lifetime == FamilyLifetime::Session,
            dpop_jkt: f.dpop_jkt,
            amr: serde_json::to_string(&f.amr).unwrap_or_else(|_| "[]".into()),
            idp: f.idp,
            resources: serde_json::to_string(&f.resources).unwrap_or_else(|_| "[]".into()),
        }
    }
}

impl From<FamilyRow> for TokenFamily {
    fn from(r: FamilyRow) -> TokenFamily {
        TokenFamily {
            id: r.id,
            user_id: r.user_id,
            client_id: r.client_id,
            scope: scope(&r.scope),
            sid: r.sid,
            auth_time: r.auth_time,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            absolute_expires_at: r.absolute_expires_at,
            revoked_at: r.revoked_at,
            device_name: r.device_name,
            user_agent: r.user_agent,
            ip: r.ip,
            lifetime: if r.session_bound {
                FamilyLifetime::Session
            } else {
                FamilyLifetime::Offline
            },
            dpop_jkt: r.dpop_jkt,
            // Written by `From<TokenFamily>`; a value this version cannot read claims nothing.
            amr: serde_json::from_str(&r.amr).unwrap_or_default(),
            idp: r.idp,
            // A value this version cannot read names no API: tokens for the configured audience
            // only, never for an API the grant did not name.
            resources: serde_json::from_str(&r.resources).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub(crate) struct TokenRow {
    pub token_hash: String,
    pub family_id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl From<RefreshToken> for TokenRow {
    fn from(t: RefreshToken) -> TokenRow {
        TokenRow {
            token_hash: t.token_hash,
            family_id: t.family_id,
            client_id: t.client_id,
            user_id: t.user_id,
            scope: t.scope.to_string(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            used_at: t.used_at,
        }
    }
}

impl From<TokenRow> for RefreshToken {
    fn from(r: TokenRow) -> RefreshToken {
        RefreshToken {
            token_hash: r.token_hash,
            family_id: r.family_id,
            client_id: r.client_id,
            user_id: r.user_id,
            scope: scope(&r.scope),
            created_at: r.created_at,
            expires_at: r.expires_at,
            used_at: r.used_at,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consents)]
pub(crate) struct ConsentRow {
    pub user_id: String,
    pub client_id: String,
    pub scope: String,
    pub granted_at: i64,
}

impl From<Consent> for ConsentRow {
    fn from(c: Consent) -> ConsentRow {
        ConsentRow {
            user_id: c.user_id,
            client_id: c.client_id,
            scope: c.scope.to_string(),
            granted_at: c.granted_at,
        }
    }
}

impl From<ConsentRow> for Consent {
    fn from(r: ConsentRow) -> Consent {
        Consent {
            user_id: r.user_id,
            client_id: r.client_id,
            scope: scope(&r.scope),
            granted_at: r.granted_at,
        }
    }
}

/// An audit row as read (with its surrogate id, used only for ordering).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub(crate) struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
}

/// An audit row to insert (the id is assigned by the database).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
pub(crate) struct NewAuditRow {
    pub at: i64,
    pub kind: String,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
}

impl From<AuditEvent> for NewAuditRow {
    fn from(e: AuditEvent) -> NewAuditRow {
        NewAuditRow {
            at: e.at,
            kind: e.kind.as_str().to_string(),
            user_id: e.user_id,
            client_id: e.client_id,
            ip: e.ip,
            detail: e.detail,
        }
    }
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StorageError;

    fn try_from(r: AuditRow) -> StorageResult<AuditEvent> {
        Ok(AuditEvent {
            kind: AuditKind::parse(&r.kind)
                .ok_or_else(|| StorageError::Corrupt(format!("audit event kind {:?}", r.kind)))?,
            at: r.at,
            user_id: r.user_id,
            client_id: r.client_id,
            ip: r.ip,
            detail: r.detail,
        })
    }
}

/// A row of the `ephemeral` table (short-lived state).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ephemeral)]
pub(crate) struct EphemeralRow {
    pub kind: String,
    pub key: String,
    pub value: String,
    pub consumed: bool,
    pub counter: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = revoked_tokens)]
pub(crate) struct RevokedRow {
    pub jti: String,
    pub expires_at: i64,
    pub revoked_at: i64,
    pub seq: i64,
}

impl From<RevokedRow> for RevokedToken {
    fn from(r: RevokedRow) -> RevokedToken {
        RevokedToken {
            jti: r.jti,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            seq: r.seq,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::user_groups)]
pub(crate) struct UserGroupRow {
    pub user_id: String,
    pub group_name: String,
    pub source: String,
    pub added_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::backchannel_deliveries)]
pub(crate) struct DeliveryRow {
    pub id: String,
    pub client_id: String,
    pub uri: String,
    pub sub: String,
    pub sid: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub last_error: Option<String>,
}

impl From<DeliveryRow> for crate::storage::models::BackchannelDelivery {
    fn from(r: DeliveryRow) -> Self {
        crate::storage::models::BackchannelDelivery {
            id: r.id,
            client_id: r.client_id,
            uri: r.uri,
            sub: r.sub,
            sid: r.sid,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            created_at: r.created_at,
            last_error: r.last_error,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::backchannel_sessions)]
pub(crate) struct BackchannelSessionRow {
    pub client_id: String,
    pub user_id: String,
    /// '' for tokens issued outside a login session.
    pub sid: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = identity_links)]
pub(crate) struct IdentityLinkRow {
    pub upstream_id: String,
    pub subject: String,
    pub user_id: String,
    pub linked_at: i64,
}

impl From<IdentityLink> for IdentityLinkRow {
    fn from(l: IdentityLink) -> IdentityLinkRow {
        IdentityLinkRow {
            upstream_id: l.upstream_id,
            subject: l.subject,
            user_id: l.user_id,
            linked_at: l.linked_at,
        }
    }
}

impl From<IdentityLinkRow> for IdentityLink {
    fn from(r: IdentityLinkRow) -> IdentityLink {
        IdentityLink {
            upstream_id: r.upstream_id,
            subject: r.subject,
            user_id: r.user_id,
            linked_at: r.linked_at,
        }
    }
}
