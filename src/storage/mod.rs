//! Storage behind traits (docs/architecture.md, "State"). The protocol core sees only these traits and
//! the types of [`models`]; `diesel/` and `ephemeral/` implement them.
//!
//! Every method is async; the diesel implementation runs its queries on the blocking
//! pool. Unless a method says otherwise, "not found" is `Ok(None)` / `Ok(false)`, not an error.

pub mod apis;
pub mod cache;
pub mod diesel;
pub mod ephemeral;
pub mod lists;
pub mod models;
pub mod seed;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use apis::{Api, ApiScope, ApiStore, ClientApiPolicy};
pub use lists::{ClientListFilter, ListStore, UserListFilter};
pub use models::*;
pub use seed::{SeedBatch, SeedStore};

/// Errors of the storage layer. `Unavailable` means the backend could not be reached
/// (mapped to 503 `temporarily_unavailable`); `Conflict` a unique-key clash.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage failure: {0}")]
    Backend(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StorageResult<T> = Result<T, StorageError>;

/// Users (docs/architecture.md, "State").
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user; `Conflict` when the username is taken.
    async fn create_user(&self, user: NewUser) -> StorageResult<User>;
    async fn user_by_id(&self, id: &str) -> StorageResult<Option<User>>;
    async fn user_by_username(&self, username: &str) -> StorageResult<Option<User>>;
    /// All users ordered by username.
    async fn list_users(&self) -> StorageResult<Vec<User>>;
    async fn count_users(&self) -> StorageResult<i64>;
    /// Replaces the password hash and sets `password_changed_at = at_ms` (milliseconds) and
    /// `updated_at` to its second. Returns false if no such user.
    async fn set_password(&self, id: &str, password_hash: &str, at_ms: i64) -> StorageResult<bool>;
    async fn set_disabled(&self, id: &str, disabled: bool, at: i64) -> StorageResult<bool>;
    /// Replaces the profile (`email`, `email_verified`, `name`) and sets `updated_at = at`.
    /// Returns false if no such user.
    async fn set_profile(&self, id: &str, profile: UserProfile, at: i64) -> StorageResult<bool>;
    /// Sets `sessions_revoked_at = at_ms` (milliseconds; admin logout) and `updated_at` to its second.
    async fn revoke_sessions(&self, id: &str, at_ms: i64) -> StorageResult<bool>;
    /// Deletes the user with their consents, families and refresh tokens.
    async fn delete_user(&self, id: &str) -> StorageResult<bool>;
    /// The user for an access-token check (userinfo, introspection, the admin API): from this
    /// node's cache when it was read less than a second ago (docs/security.md E.35). Logins,
    /// password checks and account pages use [`UserStore::user_by_id`].
    async fn user_for_token(&self, id: &str) -> StorageResult<Option<User>> {
        self.user_by_id(id).await
    }
    /// This node's cache of users for access-token checks, when the store keeps one.
    fn user_cache(&self) -> Option<&cache::UserCache> {
        None
    }
}

/// Registered clients (RFC 6749 §2).
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// `Conflict` when the client_id exists.
    async fn create_client(&self, client: Client) -> StorageResult<()>;
    async fn client_by_id(&self, client_id: &str) -> StorageResult<Option<Client>>;
    /// All clients ordered by name, then client_id.
    async fn list_clients(&self) -> StorageResult<Vec<Client>>;
    async fn count_clients(&self) -> StorageResult<i64>;
    async fn set_client_secret_hash(&self, client_id: &str, secret_hash: &str) -> StorageResult<bool>;
    /// Deletes the client with its consents, families and refresh tokens.
    async fn delete_client(&self, client_id: &str) -> StorageResult<bool>;
    /// This node's cache of clients, when the store keeps one (docs/security.md E.35).
    fn client_cache(&self) -> Option<&cache::ClientCache> {
        None
    }
    /// This node's cache of clients' API policies, when the store keeps one (E.35).
    fn policy_cache(&self) -> Option<&cache::PolicyCache> {
        None
    }
}

/// Signing keys (docs/security.md E.24-25).
#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn insert_key(&self, key: SigningKey) -> StorageResult<()>;
    /// All keys, oldest first.
    async fn list_keys(&self) -> StorageResult<Vec<SigningKey>>;
    /// Updates `retired_at` and `expires_at` of a key.
    async fn update_key_lifecycle(
        &self,
        kid: &str,
        retired_at: Option<i64>,
        expires_at: Option<i64>,
    ) -> StorageResult<bool>;
    /// Deletes keys whose `expires_at` is before `now`; returns how many.
    async fn delete_expired_keys(&self, now: i64) -> StorageResult<u64>;
}

/// Refresh-token families and refresh tokens (RFC 6749 §6, RFC 9700 §4.14).
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Inserts a new family and its first refresh token in one transaction; `Conflict` when a family
    /// with its id exists (or was barred by [`GrantStore::revoke_grant`]).
    async fn create_family(&self, family: TokenFamily, first: Option<RefreshToken>) -> StorageResult<()>;
    async fn family_by_id(&self, id: &str) -> StorageResult<Option<TokenFamily>>;
    /// Looks up a refresh token by digest together with its family.
    async fn refresh_token(&self, token_hash: &str) -> StorageResult<Option<(RefreshToken, TokenFamily)>>;
    /// Like [`GrantStore::refresh_token`], with the family's user read in the same call (None when
    /// the family has no user or the user is gone): the refresh grant's one read before its
    /// rotation (bench/PROFILES.md: each store call is a hand-off to the blocking pool).
    async fn refresh_grant(
        &self,
        token_hash: &str,
    ) -> StorageResult<Option<(RefreshToken, TokenFamily, Option<User>)>>;
    /// The rotation, as ONE atomic step (a transaction with a conditional update):
    /// if `old_hash` exists, is unused and its family is not revoked, marks it used at `now`,
    /// inserts `new`, sets the family's `last_used_at = now` (and `ip` when given) and returns
    /// `Rotated`. If it exists but was already used (or the family is revoked), revokes the
    /// family at `now` and returns `Reused`. Of N concurrent calls with one `old_hash`, across
    /// any number of nodes, exactly one returns `Rotated`. Serialization failures are retried
    /// inside; they never surface as errors.
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: RefreshToken,
        now: i64,
        ip: Option<String>,
    ) -> StorageResult<RotateOutcome>;
    /// Marks the family revoked at `now` (idempotent). Returns false if no such family.
    async fn revoke_family(&self, id: &str, now: i64) -> StorageResult<bool>;
    /// docs/security.md B.8: revokes the family `placeholder.id` at `now`, and when it does not exist
    /// yet records `placeholder`, revoked at `now`, under that id, so that a later [`create_family`]
    /// of the id fails with `Conflict` and no live family can ever carry it. Atomic against a
    /// concurrent `create_family` of the same id: either the created family is revoked, or its
    /// creation fails. When the placeholder's user or client no longer exists nothing is recorded
    /// (no family can be created for them either).
    ///
    /// [`create_family`]: GrantStore::create_family
    async fn revoke_grant(&self, placeholder: TokenFamily, now: i64) -> StorageResult<()>;
    /// Revokes every live family of a user; returns how many.
    async fn revoke_user_families(&self, user_id: &str, now: i64) -> StorageResult<u64>;
    /// OpenID Core §11: revokes the live session-bound families born in login session `sid`
    /// (offline families are left alone); returns how many.
    async fn revoke_session_families(&self, sid: &str, now: i64) -> StorageResult<u64>;
    /// Families of a user that are not revoked, newest `last_used_at` first.
    async fn active_families_for_user(&self, user_id: &str, now: i64) -> StorageResult<Vec<TokenFamily>>;
    /// The admin API's sessions list: the families not revoked and not absolutely expired at `now`
    /// of `user_id` and/or `client_id` (each given one must match; served by the families'
    /// `user_id` and `client_id` indexes), by id.
    async fn active_families(
        &self,
        user_id: Option<&str>,
        client_id: Option<&str>,
        now: i64,
    ) -> StorageResult<Vec<TokenFamily>>;
    /// Deletes refresh tokens that expired before `now` or whose family was revoked in the hour
    /// before `now` (the purge runs every minute; tokens of a family revoked earlier went then, or go
    /// with their family), and families revoked or absolutely expired before `now - keep_secs`,
    /// with their tokens. Every statement finds its rows through an index. Returns rows deleted.
    async fn purge_grants(&self, now: i64, keep_secs: i64) -> StorageResult<u64>;
}

/// Remembered consents (docs/security.md D.23).
#[async_trait]
pub trait ConsentStore: Send + Sync {
    async fn consent(&self, user_id: &str, client_id: &str) -> StorageResult<Option<Consent>>;
    /// Inserts or replaces the consent for (user, client).
    async fn save_consent(&self, consent: Consent) -> StorageResult<()>;
    async fn delete_consent(&self, user_id: &str, client_id: &str) -> StorageResult<bool>;
    async fn consents_for_user(&self, user_id: &str) -> StorageResult<Vec<Consent>>;
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn record(&self, event: AuditEvent) -> StorageResult<()>;
    /// Newest first.
    async fn recent_events(&self, limit: i64) -> StorageResult<Vec<AuditEvent>>;
    /// The events `filter` selects, newest first (`at`, then insertion order). Each filter is
    /// served by an index (`audit_events_user_idx`, `_client_idx`, `_kind_idx`, `_at_idx`).
    async fn audit_events(&self, filter: &AuditFilter) -> StorageResult<Vec<AuditEvent>>;
    /// A page of [`AuditStore::audit_events`] for the admin API (docs/admin-api.md): the same
    /// filter and order, each event with its position `(at, id)`, only those after `before` in
    /// that order (keyset pagination: `at < before.0`, or the same `at` and `id < before.1`).
    async fn audit_page(
        &self,
        filter: &AuditFilter,
        before: Option<(i64, i64)>,
    ) -> StorageResult<Vec<((i64, i64), AuditEvent)>>;
}

/// Revoked access-token ids (RFC 7009 §2.1, docs/security.md C.18, E.30): the durable record that
/// each node's cache (`tokens/revoked.rs`) follows.
#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Records `jti` as revoked at `now` until `expires_at`, before the revocation is acknowledged.
    /// Idempotent: a `jti` already recorded keeps its row. A new row takes the next `seq` while it
    /// holds the table's write lock, so rows become visible in `seq` order: a reader that has seen
    /// every row up to `seq = n` finds every later one with [`revoked_after`]`(n)`.
    ///
    /// [`revoked_after`]: RevocationStore::revoked_after
    async fn revoke_token(&self, jti: &str, expires_at: i64, now: i64) -> StorageResult<()>;
    /// Whether `jti` is recorded as revoked and its token has not expired at `now`.
    async fn is_token_revoked(&self, jti: &str, now: i64) -> StorageResult<bool>;
    /// Up to `limit` records with `seq > after`, in `seq` order (expired ones included until purged).
    async fn revoked_after(&self, after: i64, limit: i64) -> StorageResult<Vec<RevokedToken>>;
    /// Deletes the records of tokens expired at `now`, except the newest record, whose `seq` the next
    /// revocation counts on. Returns rows deleted.
    async fn purge_revoked_tokens(&self, now: i64) -> StorageResult<u64>;
}

/// Second factors (docs/guides/mfa.md): TOTP secrets, recovery codes and WebAuthn credentials.
/// Rows go with their user (`ON DELETE CASCADE`).
#[async_trait]
pub trait MfaStore: Send + Sync {
    /// The user's confirmed TOTP secret, if any.
    async fn totp(&self, user_id: &str) -> StorageResult<Option<TotpSecret>>;
    /// Enrolment, in ONE transaction: stores (or replaces) the user's TOTP secret with
    /// `last_used_step` (the step of the code that confirmed it) and replaces every recovery code
    /// by `recovery_hashes`.
    async fn confirm_totp(&self, totp: TotpSecret, recovery_hashes: Vec<String>) -> StorageResult<()>;
    /// RFC 6238 §5.2: records that a code of time step `step` was accepted, only if no code of this
    /// or a later step was: true for exactly one of N concurrent callers with the same step, on any
    /// number of nodes (a conditional update).
    async fn use_totp_step(&self, user_id: &str, step: i64) -> StorageResult<bool>;
    /// Removes the user's TOTP secret and recovery codes. False if there was none.
    async fn delete_totp(&self, user_id: &str) -> StorageResult<bool>;
    /// Marks the unused recovery code with digest `code_hash` used at `now`: true exactly once
    /// across all callers (a conditional update).
    async fn use_recovery_code(&self, user_id: &str, code_hash: &str, now: i64) -> StorageResult<bool>;
    /// How many unused recovery codes the user has.
    async fn recovery_codes_left(&self, user_id: &str) -> StorageResult<i64>;
    /// `Conflict` when a credential with this id exists.
    async fn add_passkey(&self, passkey: PasskeyCredential) -> StorageResult<()>;
    /// The user's passkeys, oldest first.
    async fn passkeys(&self, user_id: &str) -> StorageResult<Vec<PasskeyCredential>>;
    async fn passkey_by_id(&self, id: &str) -> StorageResult<Option<PasskeyCredential>>;
    /// Stores the credential's new state (its signature counter) after a sign-in at `now`.
    async fn update_passkey(&self, id: &str, passkey: &str, now: i64) -> StorageResult<bool>;
    /// Removes one of the user's passkeys. False if the user has no such passkey.
    async fn delete_passkey(&self, user_id: &str, id: &str) -> StorageResult<bool>;
    /// Removes every factor of the user (TOTP, recovery codes, passkeys); returns rows deleted.
    async fn reset_mfa(&self, user_id: &str) -> StorageResult<u64>;
}

/// Groups and memberships (docs/clients.md, "Groups"). Names are compared exactly.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// `Conflict` when a group of that name exists.
    async fn create_group(&self, name: &str, now: i64) -> StorageResult<()>;
    /// Every group with its member count, by name.
    async fn list_groups(&self) -> StorageResult<Vec<Group>>;
    async fn group_exists(&self, name: &str) -> StorageResult<bool>;
    /// Deletes the group and every membership of it, in one transaction. False if no such group.
    async fn delete_group(&self, name: &str) -> StorageResult<bool>;
    /// Puts the user in the existing group `group` as `source` (idempotent). False if no such group.
    async fn add_group_member(
        &self,
        group: &str,
        user_id: &str,
        source: &str,
        now: i64,
    ) -> StorageResult<bool>;
    /// Removes the membership of `source`; false if there was none.
    async fn remove_group_member(&self, group: &str, user_id: &str, source: &str) -> StorageResult<bool>;
    /// The members of a group (any source), by username.
    async fn group_members(&self, group: &str) -> StorageResult<Vec<GroupMember>>;
    /// The names of the user's groups, from every source, sorted and without duplicates.
    async fn user_groups(&self, user_id: &str) -> StorageResult<Vec<String>>;
    /// Federated login (issue 8, part 3): in one transaction, replaces the memberships `source`
    /// (an upstream id) gave the user with `names`, creating the groups that do not exist yet.
    /// Memberships of other sources (local ones included) are left alone.
    async fn replace_external_groups(
        &self,
        user_id: &str,
        source: &str,
        names: &[String],
        now: i64,
    ) -> StorageResult<()>;
}

/// OpenID Back-Channel Logout 1.0: which clients hold tokens of which login session, and the
/// durable queue of logout tokens to deliver (docs/clients.md, "Back-channel logout").
#[async_trait]
pub trait BackchannelStore: Send + Sync {
    /// Records that the client received tokens for the user in login session `sid` (`None`:
    /// outside one, the password grant) until at least `expires_at`. Idempotent; a later call
    /// extends `expires_at`.
    async fn record_backchannel_session(
        &self,
        client_id: &str,
        user_id: &str,
        sid: Option<&str>,
        now: i64,
        expires_at: i64,
    ) -> StorageResult<()>;
    /// In one transaction: removes the records `scope` ends (one `sid` of the user, or all of the
    /// user's) and queues one delivery per record whose client still has a back-channel logout
    /// URI, due at `now`. A client with `session_required` gets none for a record without `sid`.
    /// Returns how many were queued. Nothing is lost if the process stops right after.
    async fn queue_logout(&self, user_id: &str, scope: LogoutScope<'_>, now: i64) -> StorageResult<u64>;
    /// Claims up to `limit` deliveries due at `now` for one attempt: their `next_attempt_at`
    /// becomes `lease_until`, so that no other node takes them meanwhile. A delivery is returned
    /// to exactly one caller across all nodes.
    async fn claim_backchannel_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StorageResult<Vec<BackchannelDelivery>>;
    /// Removes a delivered (or abandoned) delivery.
    async fn delete_backchannel_delivery(&self, id: &str) -> StorageResult<bool>;
    /// Records a failed attempt: `attempts`, the next time, the error.
    async fn retry_backchannel_delivery(
        &self,
        id: &str,
        attempts: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> StorageResult<bool>;
    /// Every queued delivery, oldest first (the CLI, tests).
    async fn backchannel_deliveries(&self) -> StorageResult<Vec<BackchannelDelivery>>;
    /// Deletes session records that expired before `now`; returns how many.
    async fn purge_backchannel_sessions(&self, now: i64) -> StorageResult<u64>;
}

/// Identities at upstream OpenID providers linked to local users (docs/guides/federation.md,
/// docs/security.md I.4).
#[async_trait]
pub trait IdentityLinkStore: Send + Sync {
    /// The user linked to `subject` at `upstream_id`, if any.
    async fn linked_user(&self, upstream_id: &str, subject: &str) -> StorageResult<Option<User>>;
    /// Links an identity to an existing user; `Conflict` when (`upstream_id`, `subject`) is linked
    /// already (to anyone).
    async fn link_identity(&self, link: IdentityLink) -> StorageResult<()>;
    /// Creates `user` and links `link` to it in ONE transaction: both exist afterwards, or neither
    /// (`Conflict` when the username is taken or the identity is linked already).
    async fn create_linked_user(&self, user: NewUser, link: IdentityLink) -> StorageResult<User>;
    /// The identities linked to a user, by upstream id.
    async fn identity_links_for_user(&self, user_id: &str) -> StorageResult<Vec<IdentityLink>>;
    /// Removes the user's identities at `upstream_id`; returns how many.
    async fn unlink_identity(&self, user_id: &str, upstream_id: &str) -> StorageResult<u64>;
    /// Users whose email is `email`, ignoring case (served by `users_email_lower_idx`).
    async fn users_by_email(&self, email: &str) -> StorageResult<Vec<User>>;
}

/// Clients that register themselves (RFC 7591/7592, Client ID Metadata Documents;
/// docs/clients.md) and the initial access tokens of dynamic registration.
#[async_trait]
pub trait RegistrationStore: Send + Sync {
    /// Stores an initial access token (its digest); `Conflict` when it exists.
    async fn create_registration_token(&self, token: RegistrationToken) -> StorageResult<()>;
    /// RFC 7591 §3: counts one use of the token with digest `token_hash` at `now`, only if it
    /// exists, has not expired and has uses left: true for exactly as many callers as it has uses,
    /// across all nodes (one conditional update).
    async fn use_registration_token(&self, token_hash: &str, now: i64) -> StorageResult<bool>;
    /// Replaces every registered property of an existing client (all but `client_id` and
    /// `created_at`). False if there is no such client.
    async fn update_client(&self, client: Client) -> StorageResult<bool>;
    /// Inserts the client, or replaces the client with its client_id (a metadata-document client
    /// fetched again), keeping its `created_at`, consents and tokens.
    async fn upsert_client(&self, client: Client) -> StorageResult<()>;
}

/// Self-service accounts (docs/guides/email.md): address verification and sign-up.
#[async_trait]
pub trait SelfServiceStore: Send + Sync {
    /// Marks the user's address verified, only while it is still exactly `email`: an address
    /// changed since the link was mailed stays unverified. True when it was set.
    async fn set_email_verified(&self, user_id: &str, email: &str, at: i64) -> StorageResult<bool>;
    /// Whether people may create accounts from this client's login page (`--allow-signup`).
    async fn client_allows_signup(&self, client_id: &str) -> StorageResult<bool>;
    /// Turns sign-up on or off for an existing client.
    async fn set_client_signup(&self, client_id: &str, allowed: bool) -> StorageResult<()>;
}

/// The system of record: all durable tables.
#[async_trait]
pub trait Store:
    UserStore
    + ClientStore
    + KeyStore
    + GrantStore
    + ConsentStore
    + AuditStore
    + RevocationStore
    + GroupStore
    + BackchannelStore
    + MfaStore
    + IdentityLinkStore
    + ApiStore
    + RegistrationStore
    + SelfServiceStore
    + SeedStore
    + ListStore
{
    /// Applies pending migrations.
    async fn migrate(&self) -> StorageResult<()>;
    /// A cheap round trip (`SELECT 1`), for `/readyz`.
    async fn ping(&self) -> StorageResult<()>;
    /// "sqlite" or "postgres".
    fn backend_name(&self) -> &'static str;
    /// (open, idle) connections of the pool, for `/metrics`.
    fn pool_state(&self) -> Option<(u32, u32)> {
        None
    }
    /// Copies what an SQLite database's write-ahead log holds into the database, without waiting
    /// for anyone (docs/architecture.md, "SQLite writers"); nothing to do on other backends.
    async fn checkpoint(&self) -> StorageResult<()> {
        Ok(())
    }
}

/// What a short-lived entry is for; each kind is its own namespace (`pc:code:`, `pc:sess:` ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Authorization codes, keyed by code digest.
    Code,
    /// Pending authorization requests waiting for login or consent.
    AuthRequest,
    /// Login sessions, keyed by session-id digest.
    Session,
    /// CSRF tokens.
    Csrf,
    /// Rate-limit counters.
    RateLimit,
    /// Pushed authorization requests (RFC 9126), keyed by the digest of the `request_uri`'s random part.
    Par,
    /// DPoP proof `jti`s already seen (RFC 9449 §11.1), keyed by the digest of key thumbprint and `jti`.
    DpopJti,
    /// RP-initiated logouts waiting for the user's confirmation.
    LogoutRequest,
    /// Locks that let one node at a time do a periodic job (key rotation).
    Lock,
    /// Second factors in progress (docs/guides/mfa.md): half-done logins waiting for their second
    /// factor (keyed by the digest of their id), TOTP secrets waiting for their first code
    /// (`totp:<user id>`), and WebAuthn ceremony states (keyed by the digest of their id).
    Mfa,
    /// Sign-ins sent to an upstream OpenID provider (state, nonce, PKCE verifier), keyed by the
    /// digest of `state`.
    Federation,
    /// RFC 8628 device authorization (docs/guides/device.md): `dc:<digest of device_code>` the
    /// request, `uc:<digest of user code>` the device code it belongs to, `ok:<digest>` the user's
    /// decision (consumed once by the token endpoint), `poll:<digest>` the polling pace,
    /// `ret:<digest of binding>` where a browser goes after signing in, and `/device` pages parked
    /// for one browser by the digest of their id.
    Device,
    /// `private_key_jwt` assertions already used (RFC 7523 §3 `jti`), keyed by the digest of
    /// client_id and `jti`, until the assertion expires (docs/security.md K.1).
    ClientJti,
    /// Documents fetched for clients (Client ID Metadata Documents, `jwks_uri`), keyed by the
    /// digest of their URL, for as long as their cache headers allow within bounds.
    Fetched,
    /// Links sent by mail (docs/security.md N): `link:<digest of nonce>` until the link expires;
    /// consumed once when the link is used.
    EmailLink,
    /// What the page after a form's 303 shows (docs/security.md O.1), parked for one browser's
    /// login by the digest of its key: new recovery codes (`recovery-codes:<login>`, sealed) and a
    /// refused password form (`password-refused:<login>`).
    Page,
}

impl Kind {
    /// The key prefix, e.g. `code` for `pc:code:<key>`.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Code => "code",
            Kind::AuthRequest => "areq",
            Kind::Session => "sess",
            Kind::Csrf => "csrf",
            Kind::RateLimit => "rl",
            Kind::Par => "par",
            Kind::DpopJti => "dpop",
            Kind::LogoutRequest => "lreq",
            Kind::Lock => "lock",
            Kind::Mfa => "mfa",
            Kind::Federation => "fed",
            Kind::Device => "dev",
            Kind::ClientJti => "cjti",
            Kind::Fetched => "fetch",
            Kind::EmailLink => "mail",
            Kind::Page => "page",
        }
    }
}

/// Result of [`Ephemeral::consume`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumed {
    /// This call was the first to consume the entry; here is its value.
    First(String),
    /// The entry had been consumed before (until it expires); here is its value, so the
    /// caller can revoke what the first use issued (RFC 6749 §4.1.2, code reuse).
    Again(String),
    /// No such entry, or expired.
    Missing,
}

/// The short-lived shared state (docs/architecture.md, "State"). Values are opaque strings (JSON).
/// Every entry has a TTL and is invisible once expired, whether or not it has been purged.
/// Implementations: SQL (`ephemeral::sql`, the embedded default) and Redis (`ephemeral::redis`).
#[async_trait]
pub trait Ephemeral: Send + Sync {
    /// Stores (or replaces) `value` under (`kind`, `key`) for `ttl`.
    async fn put(&self, kind: Kind, key: &str, value: &str, ttl: Duration) -> StorageResult<()>;
    async fn get(&self, kind: Kind, key: &str) -> StorageResult<Option<String>>;
    /// Atomic single use: returns the value and deletes the entry, exactly once across all nodes.
    async fn take(&self, kind: Kind, key: &str) -> StorageResult<Option<String>>;
    /// Atomic single use that leaves a mark: the first call returns `First(value)` and marks the
    /// entry consumed (it stays until its TTL ends); later calls return `Again(value)`.
    /// Exactly one caller across all nodes ever sees `First`.
    async fn consume(&self, kind: Kind, key: &str) -> StorageResult<Consumed>;
    async fn delete(&self, kind: Kind, key: &str) -> StorageResult<()>;
    /// Increments a counter that lives `window` from its first increment; returns the new count.
    async fn incr(&self, kind: Kind, key: &str, window: Duration) -> StorageResult<u64>;
    /// Removes expired entries (a no-op where the backend expires them itself).
    async fn purge_expired(&self) -> StorageResult<u64>;
    /// A cheap round trip, for `/readyz`.
    async fn ping(&self) -> StorageResult<()>;
}

pub type DynStore = Arc<dyn Store>;
pub type DynEphemeral = Arc<dyn Ephemeral>;
