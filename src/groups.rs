//! Groups in tokens (issue 8, part 3; docs/clients.md, "Groups"): the `groups` scope puts the
//! user's groups, as the client may see them (its `groups_claim_filter`), in the ID token, the
//! access token and userinfo; a client with `require_groups` serves only their members.
//! Groups are local (`portcullis group ...`) or come from an upstream identity provider at each
//! federated login ([`crate::storage::GroupStore::replace_external_groups`]).

use serde_json::{Map, Value};

use crate::context::Context;
use crate::oauth::scope::Scope;
use crate::oauth::{ErrorCode, OAuthError};
use crate::storage::{AuditKind, Client, StorageError, User};

/// The scope that asks for the `groups` claim.
pub const SCOPE: &str = "groups";
/// The claim: a JSON array of group names.
pub const CLAIM: &str = "groups";

/// Longest group name accepted.
const MAX_NAME_CHARS: usize = 128;

/// A group name: 1 to 128 characters, none of them a control character, no leading or trailing
/// whitespace (upstream groups such as "Domain Users" have inner spaces). The error says why.
pub fn validate_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(format!("a group name has 1 to {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("a group name must not contain control characters".into());
    }
    if name.trim() != name {
        return Err("a group name must not begin or end with whitespace".into());
    }
    Ok(())
}

/// The most groups one upstream login may give a user (larger lists are cut, in the order sent).
pub const MAX_EXTERNAL: usize = 256;

/// The groups an upstream sent that can be stored: valid names, each once, at most `limit`.
pub fn sanitize_external(names: &[String], limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if validate_name(n).is_ok() && !out.contains(n) && out.len() < limit {
            out.push(n.clone());
        }
    }
    out
}

/// docs/guides/federation.md: at each sign-in through upstream `source`, the user's groups from
/// that upstream become exactly the (valid) names its `groups` claim carries; local groups and
/// other upstreams' stay.
pub async fn sync_external(
    ctx: &Context,
    user_id: &str,
    source: &str,
    names: &[String],
) -> Result<(), StorageError> {
    let names = sanitize_external(names, MAX_EXTERNAL);
    ctx.store
        .replace_external_groups(user_id, source, &names, ctx.now())
        .await
}

/// The `groups` claim for `user` in `client`'s tokens when `scope` asks for it: the user's groups
/// that the client's filter lets through (possibly an empty array). `None` without the scope.
pub async fn claim(
    ctx: &Context,
    client: &Client,
    user: &User,
    scope: &Scope,
) -> Result<Option<Vec<String>>, StorageError> {
    if !scope.contains(SCOPE) {
        return Ok(None);
    }
    let names = ctx.store.user_groups(&user.id).await?;
    Ok(Some(client.groups.visible(&names)))
}

/// Adds the `groups` claim to a claim set (ID token, userinfo) when there is one.
pub fn insert(claims: &mut Map<String, Value>, groups: Option<&[String]>) {
    if let Some(g) = groups {
        claims.insert(CLAIM.into(), Value::from(g.to_vec()));
    }
}

/// Whether `user` may use `client`: always, unless the client requires groups and the user is in
/// none of them.
pub async fn admits(ctx: &Context, client: &Client, user: &User) -> Result<bool, StorageError> {
    if client.groups.required.is_empty() {
        return Ok(true);
    }
    let names = ctx.store.user_groups(&user.id).await?;
    Ok(client.groups.admits(&names))
}

/// The `access_denied` error (RFC 6749 §4.1.2.1) for a user outside the client's groups, audited.
pub async fn denied(ctx: &Context, client: &Client, user: &User, ip: Option<&str>) -> OAuthError {
    let detail = serde_json::json!({ "required": client.groups.required });
    crate::accounts::Audit::new(AuditKind::GroupAccessDenied)
        .user(Some(&user.id))
        .client(Some(&client.client_id))
        .ip(ip)
        .detail(detail)
        .write(&ctx.store, ctx.now())
        .await;
    OAuthError::new(
        ErrorCode::AccessDenied,
        "the user is not a member of a group allowed to use this application",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::storage::{ClientGroups, LOCAL_GROUP_SOURCE};
    use crate::testing;

    #[test]
    fn group_names_are_printable_and_trimmed() {
        assert!(validate_name("engineering").is_ok());
        assert!(validate_name("Domain Users").is_ok());
        for bad in ["", " admins", "admins ", "a\nb", &"x".repeat(129)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        let got = sanitize_external(&["a".into(), "a".into(), "\u{7}".into(), "b".into()], 10);
        assert_eq!(got, ["a", "b"]);
    }

    #[test]
    fn claim_filter_lets_through_only_listed_groups_and_required_groups_admit_members() {
        let mine = vec!["admins".to_string(), "staff".to_string()];
        let open = ClientGroups::default();
        assert_eq!(open.visible(&mine), mine);
        assert!(open.admits(&[]));
        let strict = ClientGroups {
            claim_filter: vec!["staff".into(), "other".into()],
            required: vec!["admins".into()],
        };
        assert_eq!(strict.visible(&mine), ["staff"]);
        assert!(strict.admits(&mine));
        assert!(!strict.admits(&["staff".into()]));
    }

    /// Issue 8 part 3: an upstream's groups replace what that upstream gave before, create groups
    /// as needed, and leave local memberships and other upstreams' alone.
    #[tokio::test]
    async fn replace_external_groups_replaces_only_that_sources_memberships() {
        let w = testing::world().await;
        let store = &w.ctx.store;
        let uid = w.user.id.as_str();
        store.create_group("local-team", 1).await.unwrap();
        assert!(
            store
                .add_group_member("local-team", uid, LOCAL_GROUP_SOURCE, 1)
                .await
                .unwrap()
        );
        store
            .replace_external_groups(uid, "other-idp", &["shared".into()], 1)
            .await
            .unwrap();
        let corp = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        store
            .replace_external_groups(uid, "corp", &corp(&["eng", "shared"]), 2)
            .await
            .unwrap();
        assert_eq!(
            store.user_groups(uid).await.unwrap(),
            ["eng", "local-team", "shared"]
        );
        assert!(store.group_exists("eng").await.unwrap(), "created as needed");

        store
            .replace_external_groups(uid, "corp", &corp(&["ops"]), 3)
            .await
            .unwrap();
        assert_eq!(
            store.user_groups(uid).await.unwrap(),
            ["local-team", "ops", "shared"],
            "eng gone; shared stays from other-idp; local stays"
        );
        store.replace_external_groups(uid, "corp", &[], 4).await.unwrap();
        assert_eq!(store.user_groups(uid).await.unwrap(), ["local-team", "shared"]);
        let members = store.group_members("shared").await.unwrap();
        assert_eq!(members.len(), 1);
        assert_eq!(members[0].source, "other-idp");
    }
}
