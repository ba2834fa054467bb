//! The account page (docs/operations.md, "What users see"; docs/security.md C.13, D.21, D.23): what
//! a signed-in user sees about their account and the changes they make there, without HTTP: the
//! sessions (token families) with their devices, the apps they consented to, ownership checks, and
//! the password-change sequence.

use std::collections::HashMap;

use std::time::Duration;

use serde_json::json;

use crate::accounts::ratelimit;
use crate::accounts::session::{self, LoginSession};
use crate::accounts::users::{self, AccountError};
use crate::accounts::{Audit, devices};
use crate::context::Context;
use crate::storage::{AuditKind, AuthMethod, DynStore, FamilyLifetime, StorageResult, User};

/// One active token family as the user sees it: an app signed in on a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSession {
    pub family_id: String,
    pub client_id: String,
    /// The client's display name (its id if the client is gone).
    pub client_name: String,
    /// `device_name`, else a summary of the User-Agent ([`devices::label`]).
    pub device: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub ip: Option<String>,
    /// Born in this browser's current login session.
    pub this_browser: bool,
    /// OpenID Core §11: offline access, or bound to its login session.
    pub lifetime: FamilyLifetime,
}

/// A remembered consent (docs/security.md D.23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAccess {
    pub client_id: String,
    pub client_name: String,
    /// The granted scopes, in the order stored.
    pub scopes: Vec<String>,
    pub granted_at: i64,
}

/// Everything the account page lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overview {
    /// Newest `last_used_at` first.
    pub sessions: Vec<DeviceSession>,
    /// Ordered by app name.
    pub apps: Vec<AppAccess>,
}

/// Client display names, each looked up once.
struct ClientNames<'a> {
    store: &'a DynStore,
    names: HashMap<String, String>,
}

impl ClientNames<'_> {
    async fn get(&mut self, client_id: &str) -> StorageResult<String> {
        if let Some(name) = self.names.get(client_id) {
            return Ok(name.clone());
        }
        let name = self
            .store
            .client_by_id(client_id)
            .await?
            .map_or_else(|| client_id.to_string(), |c| c.name);
        self.names.insert(client_id.to_string(), name.clone());
        Ok(name)
    }
}

/// The user's active token families and remembered consents. `current_sid` marks the
/// families born in this browser's login session.
pub async fn load(store: &DynStore, user_id: &str, current_sid: &str, at: i64) -> StorageResult<Overview> {
    let mut names = ClientNames {
        store,
        names: HashMap::new(),
    };
    let mut sessions = Vec::new();
    for f in store.active_families_for_user(user_id, at).await? {
        sessions.push(DeviceSession {
            client_name: names.get(&f.client_id).await?,
            device: devices::label(f.device_name.as_deref(), f.user_agent.as_deref()),
            this_browser: f.sid.as_deref() == Some(current_sid),
            lifetime: f.lifetime,
            family_id: f.id,
            client_id: f.client_id,
            created_at: f.created_at,
            last_used_at: f.last_used_at,
            ip: f.ip,
        });
    }
    let mut apps = Vec::new();
    for c in store.consents_for_user(user_id).await? {
        apps.push(AppAccess {
            client_name: names.get(&c.client_id).await?,
            scopes: c.scope.iter().map(str::to_string).collect(),
            client_id: c.client_id,
            granted_at: c.granted_at,
        });
    }
    apps.sort_by(|a, b| {
        a.client_name
            .cmp(&b.client_name)
            .then(a.client_id.cmp(&b.client_id))
    });
    Ok(Overview { sessions, apps })
}

/// The signed-in user acting on the account page, and the address they act from
/// (docs/security.md E.33), for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user_id: &'a str,
    pub ip: &'a str,
}

impl<'a> Actor<'a> {
    fn audit(&self, kind: AuditKind) -> Audit<'a> {
        Audit::new(kind).user(Some(self.user_id)).ip(Some(self.ip))
    }
}

/// RFC 9700 §4.14 "Sign out this device": revokes the family only if it belongs to the actor.
/// False when there is no such family or it is someone else's (the caller answers 404).
pub async fn sign_out_device(ctx: &Context, actor: Actor<'_>, family_id: &str) -> StorageResult<bool> {
    let user_id = actor.user_id;
    let store = &ctx.store;
    let Some(family) = store.family_by_id(family_id).await? else {
        return Ok(false);
    };
    if family.user_id.as_deref() != Some(user_id) {
        return Ok(false);
    }
    let revoked = store.revoke_family(&family.id, ctx.now()).await?;
    if revoked {
        let client_id = Some(family.client_id.as_str());
        let detail = json!({ "family_id": family.id });
        let event = actor.audit(AuditKind::DeviceSignedOut).client(client_id);
        event.detail(detail.clone()).write(store, ctx.now()).await;
        let detail = json!({ "by": "user", "family_id": family.id });
        let event = actor.audit(AuditKind::FamilyRevoked).client(client_id);
        event.detail(detail).write(store, ctx.now()).await;
    }
    Ok(revoked)
}

/// docs/security.md D.23: withdraws the consent for `client_id` and revokes the user's families of
/// that client, so the app can neither refresh nor skip the consent page. True if anything was removed.
pub async fn withdraw_consent(ctx: &Context, actor: Actor<'_>, client_id: &str) -> StorageResult<bool> {
    let (store, t, user_id) = (&ctx.store, ctx.now(), actor.user_id);
    let mut removed = store.delete_consent(user_id, client_id).await?;
    let mut families = 0u64;
    for f in store.active_families_for_user(user_id, t).await? {
        if f.client_id == client_id && store.revoke_family(&f.id, t).await? {
            families += 1;
        }
    }
    removed |= families > 0;
    if removed {
        let event = actor.audit(AuditKind::ConsentWithdrawn).client(Some(client_id));
        event
            .detail(json!({ "families_revoked": families }))
            .write(store, t)
            .await;
    }
    if families > 0 {
        let event = actor.audit(AuditKind::FamilyRevoked).client(Some(client_id));
        event
            .detail(json!({ "by": "user", "count": families }))
            .write(store, t)
            .await;
    }
    Ok(removed)
}

/// "Sign out everywhere": every token family and login session of the user ends.
pub async fn sign_out_everywhere(ctx: &Context, actor: Actor<'_>) -> Result<u64, AccountError> {
    let n = users::logout_everywhere(&ctx.store, &ctx.clock, actor.user_id).await?;
    let event = actor.audit(AuditKind::LogoutEverywhere);
    event
        .detail(json!({ "families_revoked": n }))
        .write(&ctx.store, ctx.now())
        .await;
    let event = actor.audit(AuditKind::FamilyRevoked);
    event
        .detail(json!({ "by": "user", "count": n }))
        .write(&ctx.store, ctx.now())
        .await;
    Ok(n)
}

/// The password-change form's fields.
pub struct PasswordForm {
    pub current: String,
    pub new: String,
    pub confirm: String,
}

/// Why a password change was refused; the message is for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordProblem {
    WrongCurrent,
    /// Too many wrong current passwords (docs/security.md D.20): locked for `wait`.
    Locked {
        wait: Duration,
    },
    Mismatch,
    SameAsCurrent,
    /// The new-password policy ([`crate::accounts::password_policy::check`]).
    Policy(String),
}

impl PasswordProblem {
    /// What the account page says, in the request's language.
    pub fn message(&self) -> String {
        use crate::i18n::{t, t1};
        match self {
            PasswordProblem::WrongCurrent => t("password-wrong-current"),
            PasswordProblem::Locked { wait } => t1("password-locked", "wait", ratelimit::for_people(*wait)),
            PasswordProblem::Mismatch => t("password-mismatch"),
            PasswordProblem::SameAsCurrent => t("password-same-as-current"),
            PasswordProblem::Policy(p) => t1("password-policy", "problem", p),
        }
    }

    /// The form field the problem is about: `current_password` or `new_password`.
    pub fn field(&self) -> &'static str {
        match self {
            PasswordProblem::WrongCurrent | PasswordProblem::Locked { .. } => "current_password",
            _ => "new_password",
        }
    }
}

/// The result of [`change_password`].
pub enum PasswordOutcome {
    /// Changed: the browser's new session (cookie value and session); the old one is gone.
    Changed {
        cookie: String,
        session: LoginSession,
    },
    Refused(PasswordProblem),
}

/// docs/security.md C.13, D.20, D.21: checks the current password (rate-limited like the login
/// form), then the new one; sets it, which revokes every token family; voids every login session
/// up to now (other browsers, and access tokens issued until now); then gives this browser a new
/// session in place of `old_cookie`.
pub async fn change_password(
    ctx: &Context,
    ip: &str,
    user: &User,
    old_cookie: &str,
    form: PasswordForm,
) -> Result<PasswordOutcome, AccountError> {
    if let Some(problem) = check_change(ctx, ip, user, &form).await? {
        return Ok(PasswordOutcome::Refused(problem));
    }
    match users::change_password(&ctx.store, &ctx.hasher, &ctx.clock, &user.id, form.new).await {
        Ok(()) => {}
        Err(AccountError::Policy(p)) => return Ok(PasswordOutcome::Refused(PasswordProblem::Policy(p))),
        Err(e) => return Err(e),
    }
    // Every other session and access token ends too; this browser gets a new session.
    if !ctx.store.revoke_sessions(&user.id, ctx.clock.now_ms()).await? {
        return Err(AccountError::NoSuchUser);
    }
    session::destroy(ctx, old_cookie).await?;
    let (cookie, session) = session::create(ctx, &user.id, vec![AuthMethod::Password]).await?;
    let actor = Actor {
        user_id: &user.id,
        ip,
    };
    actor
        .audit(AuditKind::PasswordChanged)
        .write(&ctx.store, ctx.now())
        .await;
    let event = actor.audit(AuditKind::FamilyRevoked);
    event
        .detail(json!({ "by": "password_change" }))
        .write(&ctx.store, ctx.now())
        .await;
    Ok(PasswordOutcome::Changed { cookie, session })
}

/// Why the change cannot be made, if anything: the current password (rate-limited), then the new
/// one's confirmation and policy.
async fn check_change(
    ctx: &Context,
    ip: &str,
    user: &User,
    form: &PasswordForm,
) -> Result<Option<PasswordProblem>, AccountError> {
    let (eph, limits, t) = (&ctx.ephemeral, &ctx.rate_limit, ctx.now());
    if let Some(wait) = ratelimit::check(eph, limits, t, ip, &user.username).await?.wait() {
        return Ok(Some(PasswordProblem::Locked { wait }));
    }
    let ok = ctx
        .hasher
        .verify(Some(user.password_hash.clone()), form.current.clone())
        .await?;
    if !ok {
        let failure = ratelimit::record_failure(eph, limits, t, ip, &user.username).await?;
        let actor = Actor {
            user_id: &user.id,
            ip,
        };
        actor.audit(AuditKind::PasswordFailure).write(&ctx.store, t).await;
        tokio::time::sleep(ratelimit::delay_after(failure.count)).await;
        if let Some(scope) = failure.locked {
            let detail = json!({ "limit": scope.as_str(), "secs": failure.lock_for.as_secs() });
            actor
                .audit(AuditKind::LoginLockout)
                .detail(detail)
                .write(&ctx.store, t)
                .await;
            return Ok(Some(PasswordProblem::Locked {
                wait: failure.lock_for,
            }));
        }
        return Ok(Some(PasswordProblem::WrongCurrent));
    }
    ratelimit::reset(&ctx.ephemeral, &user.username).await?;
    if form.new != form.confirm {
        return Ok(Some(PasswordProblem::Mismatch));
    }
    let names = [user.username.as_str(), user.email.as_deref().unwrap_or_default()];
    if let Err(p) = crate::accounts::password_policy::check(&ctx.password_policy, &form.new, &names) {
        return Ok(Some(PasswordProblem::Policy(p.to_string())));
    }
    if form.new == form.current {
        return Ok(Some(PasswordProblem::SameAsCurrent));
    }
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn problems_have_messages_for_people() {
        assert_eq!(
            PasswordProblem::Policy("password must be at least 8 characters long".into()).message(),
            "Your new password must be at least 8 characters long."
        );
        assert_eq!(PasswordProblem::WrongCurrent.field(), "current_password");
        assert_eq!(PasswordProblem::Mismatch.field(), "new_password");
    }

    /// A family of the user with `client_id`, started now.
    async fn family(w: &crate::testing::World, client_id: &str) -> String {
        let new = crate::tokens::refresh::NewFamily {
            id: crate::random::random_id(),
            user_id: w.user.id.clone(),
            scope: crate::oauth::scope::Scope::from_tokens(["openid", "offline_access"]),
            sid: None,
            auth_time: w.ctx.now(),
            device_name: None,
            user_agent: None,
            ip: None,
            lifetime: FamilyLifetime::Offline,
            not_after: None,
            dpop_jkt: None,
            amr: vec![crate::storage::AuthMethod::Password],
            idp: None,
            resources: Vec::new(),
        };
        let id = new.id.clone();
        let client = w.client(client_id).await;
        crate::tokens::refresh::start_family(&w.ctx, &client, new)
            .await
            .unwrap();
        id
    }

    /// docs/operations.md, "Audit trail": what the user does on the account page is audited with
    /// the address they act from, and every revocation says who caused it.
    #[tokio::test]
    async fn account_actions_are_audited_with_the_address() {
        let w = crate::testing::world().await;
        let actor = Actor {
            user_id: &w.user.id,
            ip: "198.51.100.9",
        };
        let device = family(&w, crate::testing::FIRST_PARTY).await;
        let _ = family(&w, crate::testing::THIRD_PARTY).await;
        let _ = family(&w, crate::testing::PUBLIC).await;
        assert!(sign_out_device(&w.ctx, actor, &device).await.unwrap());
        assert!(
            withdraw_consent(&w.ctx, actor, crate::testing::THIRD_PARTY)
                .await
                .unwrap()
        );
        assert_eq!(sign_out_everywhere(&w.ctx, actor).await.unwrap(), 1);
        let (cookie, _) = session::create(&w.ctx, &w.user.id, vec![AuthMethod::Password])
            .await
            .unwrap();
        let form = PasswordForm {
            current: "correct horse".into(),
            new: "a brand new passphrase".into(),
            confirm: "a brand new passphrase".into(),
        };
        let user = w.ctx.store.user_by_id(&w.user.id).await.unwrap().unwrap();
        let changed = change_password(&w.ctx, actor.ip, &user, &cookie, form)
            .await
            .unwrap();
        assert!(matches!(changed, PasswordOutcome::Changed { .. }));

        let filter = crate::storage::AuditFilter {
            user_id: Some(w.user.id.clone()),
            ..Default::default()
        };
        let events = w.ctx.store.audit_events(&filter).await.unwrap();
        assert!(
            events.iter().all(|e| e.ip.as_deref() == Some("198.51.100.9")),
            "{events:?}"
        );
        let kinds: Vec<AuditKind> = events.iter().rev().map(|e| e.kind).collect();
        use AuditKind::*;
        assert_eq!(
            kinds,
            [
                DeviceSignedOut,
                FamilyRevoked,
                ConsentWithdrawn,
                FamilyRevoked,
                LogoutEverywhere,
                FamilyRevoked,
                PasswordChanged,
                FamilyRevoked
            ]
        );
        let by: Vec<String> = events
            .iter()
            .filter(|e| e.kind == FamilyRevoked)
            .map(|e| serde_json::from_str::<serde_json::Value>(&e.detail).unwrap()["by"].to_string())
            .collect();
        assert_eq!(
            by,
            [r#""password_change""#, r#""user""#, r#""user""#, r#""user""#]
        );
    }
}
