//! The records the protocol core works with. Storage rows never leave `storage/`;
//! these types do. All times are whole seconds since the Unix epoch (`i64`).

use serde::{Deserialize, Serialize};

use crate::keys::Alg;
use crate::oauth::scope::Scope;

/// A person who can sign in (docs/architecture.md, "State").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Stable, random, never reused: the `sub` claim.
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// PHC string (Argon2id).
    pub password_hash: String,
    pub disabled: bool,
    /// When the password last changed, in MILLISECONDS (0: never). Login sessions that began
    /// before it are void; whole seconds could not order a change and a login in one second.
    pub password_changed_at: i64,
    /// "Sign out everywhere", in MILLISECONDS (0: never): sessions, grants and access tokens
    /// from before it are void.
    pub sessions_revoked_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl User {
    /// The instant (ms) before which nothing the user signed in to counts any more.
    pub fn credentials_epoch_ms(&self) -> i64 {
        self.password_changed_at.max(self.sessions_revoked_at)
    }

    /// docs/security.md D.21: a login session that authenticated at `auth_ms` still counts.
    pub fn accepts_session(&self, auth_ms: i64) -> bool {
        !self.disabled && self.credentials_epoch_ms() <= auth_ms
    }

    /// docs/security.md C.13: a grant (code, token family) from a login at whole second `auth_time`
    /// still counts. A tie within one second is allowed: password changes and "sign out
    /// everywhere" also revoke every family explicitly.
    pub fn accepts_grant(&self, auth_time: i64) -> bool {
        !self.disabled && self.credentials_epoch_ms() / 1000 <= auth_time
    }

    /// docs/security.md C.18: an access token issued at whole second `iat` survives "sign out
    /// everywhere" only if that second began after it (a tie is refused: fail closed).
    pub fn accepts_access_token(&self, iat: i64) -> bool {
        !self.disabled && self.sessions_revoked_at < iat.saturating_mul(1000)
    }
}

/// The parts of a user an administrator may change (`UserStore::set_profile`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProfile {
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// What `UserStore::create_user` needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub password_hash: String,
    pub created_at: i64,
}

/// `grant_type` values a client may be allowed (RFC 6749 §4, §6, RFC 8693 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    Password,
    ClientCredentials,
    /// RFC 8693: `urn:ietf:params:oauth:grant-type:token-exchange` (stored as `token_exchange`).
    TokenExchange,
    /// RFC 8628 §3.4: `urn:ietf:params:oauth:grant-type:device_code` (docs/guides/device.md).
    DeviceCode,
}

impl GrantType {
    pub const ALL: [GrantType; 6] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::Password,
        GrantType::ClientCredentials,
        GrantType::TokenExchange,
        GrantType::DeviceCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::Password => "password",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    /// The short name `client add --grant-type` also accepts (`device_code` for the RFC 8628 URN,
    /// `token-exchange` for RFC 8693's).
    pub fn short_name(self) -> &'static str {
        match self {
            GrantType::DeviceCode => "device_code",
            GrantType::TokenExchange => "token-exchange",
            other => other.as_str(),
        }
    }

    pub fn parse(s: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

impl std::fmt::Display for GrantType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A registered OAuth client (RFC 6749 §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    /// SHA-256 hex digest of the secret; `None` for public clients (RFC 6749 §2.1).
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    /// Scopes the client may request.
    pub scopes: Scope,
    /// First-party clients skip the consent page (docs/security.md D.23).
    pub first_party: bool,
    /// JWS alg for ID tokens (OpenID Registration `id_token_signed_response_alg`).
    pub id_token_signed_response_alg: Alg,
    /// JWS alg for its access tokens; `None`: `tokens.access_token_alg` (docs/security.md C.15).
    #[serde(default)]
    pub access_token_alg: Option<Alg>,
    pub created_at: i64,
    /// RFC 7662 §4: a resource server may introspect access tokens meant for it.
    pub resource_server: bool,
    /// RFC 9126 §6: authorization requests only by `request_uri` from `/par` (docs/security.md F.1).
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// docs/guides/mfa.md: every login to this client needs a second factor (docs/security.md G.1).
    #[serde(default)]
    pub require_mfa: bool,
    /// Which groups may appear in its tokens and whose members may use it (docs/clients.md, "Groups").
    #[serde(default)]
    pub groups: ClientGroups,
    /// OpenID Back-Channel Logout 1.0 §2.2: where it receives logout tokens, if anywhere.
    #[serde(default)]
    pub backchannel_logout: Option<BackchannelLogout>,
    /// Upstream OpenID providers (`[[upstream]]` ids) this client offers on its login page; empty:
    /// every configured one (docs/security.md I.6).
    #[serde(default)]
    pub upstreams: Vec<String>,
    /// The password form is offered and accepted; false: upstream sign-in only (docs/security.md I.6).
    #[serde(default = "password_login_default")]
    pub password_login: bool,
    /// How the client came to be and how it proves itself with keys: `private_key_jwt` keys, the
    /// `application_type`, and what dynamic registration (RFC 7591/7592) or a Client ID Metadata
    /// Document left (docs/clients.md, "Clients that register themselves").
    #[serde(default)]
    pub registration: Registration,
}

/// OpenID Registration §2 `application_type`: which redirect URIs suit the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    /// Runs on a web server or in a browser: https redirect URIs on a host other than loopback.
    #[default]
    Web,
    /// Runs on the user's device: custom-scheme or loopback http redirect URIs (RFC 8252 §7).
    Native,
}

impl ApplicationType {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Native => "native",
        }
    }

    pub fn parse(s: &str) -> Option<ApplicationType> {
        match s {
            "web" => Some(ApplicationType::Web),
            "native" => Some(ApplicationType::Native),
            _ => None,
        }
    }
}

/// RFC 7523 §2.2 / OpenID Core §9 `private_key_jwt`: where the client's public keys are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKeys {
    /// `jwks`: a JWK Set (RFC 7517 §5) as JSON text, public keys only.
    Jwks(String),
    /// `jwks_uri`: an https URL the JWK Set is fetched from (docs/security.md K.3).
    JwksUri(String),
}

/// How a client was registered (docs/clients.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSource {
    /// `portcullis client add`.
    #[default]
    Admin,
    /// RFC 7591 dynamic registration at `/register`.
    Dynamic,
    /// A Client ID Metadata Document: the client_id is the document's URL.
    MetadataDocument,
}

/// An initial access token for dynamic registration (RFC 7591 §3), as stored: its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationToken {
    pub token_hash: String,
    pub created_at: i64,
    /// No use at or after this second; `None`: no expiry.
    pub expires_at: Option<i64>,
    /// `None`: any number of uses.
    pub max_uses: Option<i64>,
    pub uses: i64,
}

/// A client's registration facts beyond RFC 6749 (docs/clients.md).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Keys for `private_key_jwt`; a client with keys authenticates only with an assertion
    /// signed by one of them, never with a secret (docs/security.md K.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<ClientKeys>,
    #[serde(default)]
    pub application_type: ApplicationType,
    #[serde(default)]
    pub source: ClientSource,
    /// RFC 7592 §3: SHA-256 digest of the registration access token (dynamic clients only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_hash: Option<String>,
    /// `client_secret_post` when the client registered it (both secret methods are accepted);
    /// otherwise `client_secret_basic` is what a secret client is said to use.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret_post: bool,
    /// A metadata-document client: when its stored copy must be fetched again (seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_at: Option<i64>,
    /// RFC 7591 §2 `client_uri`, `logo_uri`, `policy_uri`, `tos_uri`: what the consent page shows
    /// about the client (docs/security.md O.4).
    #[serde(default, skip_serializing_if = "ClientDisplay::is_empty")]
    pub display: ClientDisplay,
}

/// RFC 7591 §2: the client's pages and logo, each checked by `oauth::client_metadata::check_display`
/// (https, or http on loopback in development). The server never fetches any of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientDisplay {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
}

impl ClientDisplay {
    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|(_, v)| v.is_none())
    }

    /// The members by their RFC 7591 names.
    pub fn fields(&self) -> [(&'static str, Option<&str>); 4] {
        [
            ("client_uri", self.client_uri.as_deref()),
            ("logo_uri", self.logo_uri.as_deref()),
            ("policy_uri", self.policy_uri.as_deref()),
            ("tos_uri", self.tos_uri.as_deref()),
        ]
    }
}

fn password_login_default() -> bool {
    true
}

impl Client {
    /// RFC 6749 §2.1: no secret and no keys (`token_endpoint_auth_method` `none`).
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none() && self.registration.keys.is_none()
    }

    /// OpenID Core §9 `token_endpoint_auth_method`: what the client must authenticate with.
    pub fn auth_method(&self) -> &'static str {
        match (&self.secret_hash, &self.registration.keys) {
            (_, Some(_)) => "private_key_jwt",
            (Some(_), None) if self.registration.secret_post => "client_secret_post",
            (Some(_), None) => "client_secret_basic",
            (None, None) => "none",
        }
    }
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}

/// A signing key as stored: the private JWK is sealed under the master key (docs/security.md E.24).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    pub alg: Alg,
    /// AES-256-GCM sealed private JWK, base64url(nonce || ciphertext).
    pub private_jwk_sealed: String,
    /// Public JWK JSON as published in the JWKS.
    pub public_jwk: String,
    pub created_at: i64,
    /// Published from `created_at`; signs from this time on (rotation publish delay).
    pub activates_at: i64,
    /// Stops signing from this time (a newer key took over); still verifies.
    pub retired_at: Option<i64>,
    /// Removed from the JWKS from this time (every token it signed has expired).
    pub expires_at: Option<i64>,
}

/// One login of one user on one client and device: what a user sees as a "session"
/// and can end. Refresh tokens belong to exactly one family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFamily {
    pub id: String,
    pub user_id: Option<String>,
    pub client_id: String,
    pub scope: Scope,
    /// Login session id (`sid`) the family was born in, if any.
    pub sid: Option<String>,
    pub auth_time: i64,
    pub created_at: i64,
    pub last_used_at: i64,
    /// No refresh after this, however active the family is.
    pub absolute_expires_at: i64,
    pub revoked_at: Option<i64>,
    pub device_name: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// RFC 9449 §5: the RFC 7638 thumbprint of the key a public client's refresh tokens are bound
    /// to; every refresh must prove possession of it (docs/security.md F.2).
    #[serde(default)]
    pub dpop_jkt: Option<String>,
    pub lifetime: FamilyLifetime,
    /// How the user signed in for the login the family was born in (RFC 8176): what an ID token
    /// renewed by its refresh tokens says in `amr` (and `acr`).
    #[serde(default)]
    pub amr: Vec<AuthMethod>,
    /// The upstream OpenID provider of that login, if any (the renewed ID token's `idp`).
    #[serde(default)]
    pub idp: Option<String>,
    /// RFC 8707 §2.2: the APIs (identifiers) the grant is for; a refresh may name any of them.
    /// Empty: the configured audience.
    #[serde(default)]
    pub resources: Vec<String>,
}

/// OpenID Core §11: how long a token family may live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FamilyLifetime {
    /// `offline_access` was granted: the family is independent of the browser session and lives
    /// until its absolute lifetime (or a revocation).
    Offline,
    /// Bound to the login session (`sid`) it was born in: it ends with that session (logout,
    /// sign-out everywhere, session expiry).
    Session,
}

/// A refresh token as stored: only its SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshToken {
    pub token_hash: String,
    pub family_id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scope: Scope,
    pub created_at: i64,
    /// Idle expiry of this token.
    pub expires_at: i64,
    /// Set when it was rotated (used); a second use is reuse.
    pub used_at: Option<i64>,
}

/// Result of [`GrantStore::rotate_refresh_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The old token was active and is now used; the new one is stored.
    Rotated,
    /// The old token had already been used (or its family was revoked): the family is now revoked.
    Reused { family_id: String },
    /// No such token.
    NotFound,
}

/// A revoked access token's `jti` (RFC 7009 §2.1, docs/security.md C.18, E.30), as recorded in the
/// database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedToken {
    pub jti: String,
    /// The token's `exp`: after it the record is no longer needed.
    pub expires_at: i64,
    pub revoked_at: i64,
    /// The row's place in commit order: later revocations have a larger `seq`.
    pub seq: i64,
}

/// A user's remembered consent for a client (docs/security.md D.23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub user_id: String,
    pub client_id: String,
    /// The granted scopes.
    pub scope: Scope,
    pub granted_at: i64,
}

/// Declares [`AuditKind`] with its stored names (`area.event`), which never change: rows written
/// by earlier versions must keep parsing.
macro_rules! audit_kinds {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)+) => {
        /// What an audit event records (docs/operations.md, "Audit trail").
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum AuditKind {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)+
        }

        impl AuditKind {
            pub const ALL: &'static [AuditKind] = &[$(AuditKind::$variant,)+];

            /// The stored name, e.g. `login.success`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditKind::$variant => $name,)+
                }
            }
        }
    };
}

audit_kinds! {
    /// A password check passed (login form or password grant).
    LoginSuccess => "login.success",
    /// A password check failed; `detail.reason` is `unknown_user`, `wrong_password`, `disabled` or
    /// `locked` (refused during a lockout, `detail.limit` says which).
    LoginFailure => "login.failure",
    /// Written by earlier versions for an attempt refused during a lockout (now `login.failure`
    /// with reason `locked`).
    LoginLocked => "login.locked",
    /// A failure used up a budget: sign-in is locked (`detail.limit`: `user` or `address`).
    LoginLockout => "login.lockout",
    /// The user ended this browser's login session (RP-initiated logout or the account page).
    Logout => "session.logout",
    /// The user allowed a client on the consent page (`detail.scope`).
    ConsentGranted => "consent.granted",
    /// Refresh-token families were revoked (`detail.by`: `user`, `admin`, `reuse`, `code_reuse`,
    /// `password_change`, `user_state`).
    FamilyRevoked => "family.revoked",
    /// A used refresh token was presented again.
    RefreshReuse => "token.refresh_reuse",
    /// A used authorization code was presented again.
    CodeReuse => "token.code_reuse",
    DeviceSignedOut => "account.device_signed_out",
    ConsentWithdrawn => "account.consent_withdrawn",
    LogoutEverywhere => "account.logout_everywhere",
    PasswordFailure => "account.password_failure",
    PasswordChanged => "account.password_changed",
    /// The user changed their name or email on the account page (`detail.changed`).
    ProfileChanged => "account.profile_changed",
    ClientCreated => "client.created",
    ClientRemoved => "client.removed",
    ClientSecretRotated => "client.secret_rotated",
    /// A client registered itself at `/register` (RFC 7591; `detail.name`, `detail.method`).
    ClientRegistered => "client.registered",
    /// A client changed its registration with its registration access token (RFC 7592 §2.2).
    ClientRegistrationUpdated => "client.registration_updated",
    /// A client deleted its registration with its registration access token (RFC 7592 §2.3).
    ClientDeregistered => "client.deregistered",
    /// An initial access token for dynamic registration was made (`detail.expires_at`,
    /// `detail.max_uses`).
    RegistrationTokenCreated => "registration.token_created",
    /// A client known by its metadata document was fetched and recorded (`detail.host`).
    ClientMetadataFetched => "client.metadata_fetched",
    /// A new signing key (`detail.by`: `cli` or `schedule`).
    KeyRotated => "key.rotated",
    UserCreated => "admin.user_created",
    UserDisabled => "admin.user_disabled",
    UserEnabled => "admin.user_enabled",
    UserRemoved => "admin.user_removed",
    PasswordSet => "admin.password_set",
    UserLoggedOut => "admin.user_logout",
    /// An administrator changed a user's email or name (the admin API).
    UserUpdated => "admin.user_updated",
    /// An administrator replaced a client's registration (the admin API).
    ClientUpdated => "client.updated",
    /// A second factor was added (`detail.factor`: `totp` or `passkey`).
    MfaEnrolled => "mfa.enrolled",
    /// A second factor failed at sign-in (`detail.factor`, `detail.reason`).
    MfaFailure => "mfa.failure",
    /// A recovery code was used to sign in (`detail.left`: codes remaining).
    MfaRecoveryUsed => "mfa.recovery_used",
    /// A user removed one of their factors on the account page (`detail.factor`).
    MfaRemoved => "mfa.removed",
    /// An administrator removed every factor of a user (`portcullis user mfa-reset`).
    MfaReset => "admin.mfa_reset",
    /// A group was made (`detail.group`).
    GroupCreated => "group.created",
    /// A group was deleted with its memberships (`detail.group`).
    GroupRemoved => "group.removed",
    /// A user was put in a group (`detail.group`, `detail.source`).
    GroupMemberAdded => "group.member_added",
    /// A user was taken out of a group (`detail.group`, `detail.source`).
    GroupMemberRemoved => "group.member_removed",
    /// A user outside the groups a client requires was refused (`detail.required`).
    GroupAccessDenied => "group.access_denied",
    /// A back-channel logout token could not be delivered and was given up after its last attempt
    /// (`detail.attempts`, `detail.error`).
    BackchannelFailed => "logout.backchannel_failed",
    /// A local user was linked to an upstream identity (`detail.upstream`, `detail.by`:
    /// `email`, `provisioning`).
    IdentityLinked => "federation.linked",
    /// An administrator removed a linked upstream identity (`detail.upstream`).
    IdentityUnlinked => "federation.unlinked",
    /// A sign-in through an upstream was refused (`detail.upstream`, `detail.reason`).
    FederationRefused => "federation.refused",
    /// An API (resource server) was registered (`detail.api`, `detail.scopes`).
    ApiCreated => "api.created",
    /// An API was removed with its scopes and client policies (`detail.api`).
    ApiRemoved => "api.removed",
    /// An API's scopes or a client's API policy changed (`detail.api`, `detail.change`).
    ApiChanged => "api.changed",
    /// RFC 8693: a token was exchanged (`detail.subject_token_type`, `detail.audience`,
    /// `detail.actor`, `detail.scope`, `detail.jti`).
    TokenExchanged => "token.exchanged",
    /// A reset link was mailed (docs/guides/email.md).
    PasswordResetRequested => "account.password_reset_requested",
    /// A password was chosen through a reset link: sessions and token families ended.
    PasswordReset => "account.password_reset",
    /// A verification link was mailed (`detail.by`: `signup`, `account`, `email_change`).
    VerificationSent => "account.verification_sent",
    /// An address was confirmed through its link.
    EmailVerified => "account.email_verified",
    /// A person made their own account (`detail.client`).
    SignedUp => "account.signed_up",
    /// A mail was not sent because of a limit (`detail.limit`: `address` or `recipient`,
    /// `detail.what`).
    MailLimited => "mail.limited",
}

impl AuditKind {
    pub fn parse(s: &str) -> Option<AuditKind> {
        AuditKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// Which audit events to list (`portcullis audit`), newest first: every field given must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    /// Any of these kinds; empty means every kind.
    pub kinds: Vec<AuditKind>,
    /// Events at or after this second.
    pub since: Option<i64>,
    /// At most this many events.
    pub limit: i64,
}

impl Default for AuditFilter {
    fn default() -> Self {
        AuditFilter {
            user_id: None,
            client_id: None,
            kinds: Vec::new(),
            since: None,
            limit: 100,
        }
    }
}

/// RFC 8176 authentication method references (`amr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthMethod {
    /// A password.
    #[serde(rename = "pwd")]
    Password,
    /// A one-time password: a TOTP code or a recovery code (RFC 6238).
    #[serde(rename = "otp")]
    Otp,
    /// A hardware-bound key: a WebAuthn credential that cannot leave its device (not backup-eligible).
    #[serde(rename = "hwk")]
    HardwareKey,
    /// A software key: a WebAuthn credential that may be synced between devices (backup-eligible).
    #[serde(rename = "swk")]
    SoftwareKey,
    /// Federated: signed in through an upstream OpenID provider (RFC 8176 §2 `fed`).
    #[serde(rename = "fed")]
    Federated,
}

/// A user's confirmed TOTP secret (RFC 6238), as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpSecret {
    pub user_id: String,
    /// The secret, sealed under the master key with the user id as associated data.
    pub secret_sealed: String,
    /// The last time step a code was accepted for; codes of it or earlier steps are refused.
    pub last_used_step: i64,
    pub created_at: i64,
}

/// A registered WebAuthn credential (passkey).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyCredential {
    /// The credential id, base64url.
    pub id: String,
    pub user_id: String,
    /// A name the user recognises ("Passkey added on 2027-01-15").
    pub name: String,
    /// webauthn-rs's `Passkey`, as JSON: the public key and signature counter.
    pub passkey: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A local user's identity at an upstream OpenID provider (docs/guides/federation.md): the
/// provider's `sub` is unique per provider, so (`upstream_id`, `subject`) names one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityLink {
    pub user_id: String,
    /// The `[[upstream]]` id.
    pub upstream_id: String,
    /// The provider's `sub`.
    pub subject: String,
    pub linked_at: i64,
}

/// An entry in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: i64,
    pub kind: AuditKind,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    /// A small JSON object (the reason, the family, the key id); never a secret.
    pub detail: String,
}

/// A client's group rules (docs/clients.md, "Groups"). Both lists hold group names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientGroups {
    /// The groups that may appear in the `groups` claim of its tokens; empty: every group.
    #[serde(default)]
    pub claim_filter: Vec<String>,
    /// Only members of at least one of these groups may use the client; empty: everyone.
    #[serde(default)]
    pub required: Vec<String>,
}

impl ClientGroups {
    /// The user's groups (`names`) as the client may see them, in the order given.
    pub fn visible(&self, names: &[String]) -> Vec<String> {
        names
            .iter()
            .filter(|n| self.claim_filter.is_empty() || self.claim_filter.contains(n))
            .cloned()
            .collect()
    }

    /// Whether a member of `names` may use the client.
    pub fn admits(&self, names: &[String]) -> bool {
        self.required.is_empty() || names.iter().any(|n| self.required.contains(n))
    }
}

/// OpenID Back-Channel Logout 1.0 §2.2: a client's registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackchannelLogout {
    /// `backchannel_logout_uri`: https (http only on loopback), no fragment.
    pub uri: String,
    /// `backchannel_logout_session_required`: logout tokens must carry `sid`.
    pub session_required: bool,
}

/// Where a group membership came from: `portcullis group add-member` / `user add --group`.
pub const LOCAL_GROUP_SOURCE: &str = "local";

/// A group with its number of members (any source).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub created_at: i64,
    pub members: i64,
}

/// One membership of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    pub user_id: String,
    pub username: String,
    /// [`LOCAL_GROUP_SOURCE`], or the upstream that put it there.
    pub source: String,
    pub added_at: i64,
}

/// A logout token waiting to be delivered (OpenID Back-Channel Logout 1.0 §2.5). The token is
/// signed at each attempt from `sub` and `sid`: its `exp` is short, a retry hours later needs a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackchannelDelivery {
    pub id: String,
    pub client_id: String,
    /// The client's `backchannel_logout_uri` when the logout happened.
    pub uri: String,
    pub sub: String,
    pub sid: Option<String>,
    /// Failed attempts so far.
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub last_error: Option<String>,
}

/// Which login sessions a logout ends, for [`crate::storage::BackchannelStore::queue_logout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutScope<'a> {
    /// One login session (`sid`): RP-initiated logout, the account page's sign out.
    Session(&'a str),
    /// Every session of the user: sign out everywhere, password change, admin logout, disable.
    User,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn user(changed_ms: i64, revoked_ms: i64) -> User {
        User {
            id: "u".into(),
            username: "u".into(),
            email: None,
            email_verified: false,
            name: None,
            password_hash: String::new(),
            disabled: false,
            password_changed_at: changed_ms,
            sessions_revoked_at: revoked_ms,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// Stored audit names are `area.event`, unique, and parse back; the names of earlier
    /// versions still parse.
    #[test]
    fn audit_kind_names_are_stable() {
        let mut seen = std::collections::HashSet::new();
        for kind in AuditKind::ALL {
            let name = kind.as_str();
            assert!(seen.insert(name), "{name} twice");
            let (area, event) = name.split_once('.').unwrap();
            assert!(
                !area.is_empty() && !event.is_empty() && !event.contains('.'),
                "{name}"
            );
            assert_eq!(AuditKind::parse(name), Some(*kind));
            assert_eq!(serde_json::to_string(kind).unwrap(), format!("\"{name}\""));
        }
        for old in [
            "login.success",
            "login.failure",
            "login.locked",
            "account.device_signed_out",
            "account.consent_withdrawn",
            "account.logout_everywhere",
            "account.password_failure",
            "account.password_changed",
        ] {
            assert!(AuditKind::parse(old).is_some(), "{old}");
        }
    }

    #[test]
    fn sessions_from_before_a_password_change_end_even_within_one_second() {
        let u = user(10_500, 0);
        assert!(
            !u.accepts_session(10_400),
            "a login 100 ms before the change is void"
        );
        assert!(
            u.accepts_session(10_600),
            "a login 100 ms after the change counts"
        );
    }

    #[test]
    fn sign_out_everywhere_refuses_access_tokens_of_that_second() {
        let u = user(0, 10_500);
        assert!(
            !u.accepts_access_token(10),
            "issued in the same second: refused (fail closed)"
        );
        assert!(u.accepts_access_token(11));
        assert!(user(0, 0).accepts_access_token(1));
    }

    #[test]
    fn disabled_users_accept_nothing() {
        let mut u = user(0, 0);
        u.disabled = true;
        assert!(!u.accepts_session(1) && !u.accepts_grant(1) && !u.accepts_access_token(1));
    }
}
