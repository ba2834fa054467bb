//! Standard claims by scope (OpenID Core §5.4, §5.3.2 userinfo).

use serde_json::{Map, Value, json};

use crate::oauth::scope::Scope;
use crate::storage::User;

/// The userinfo claims `scope` grants for `user`; `sub` always.
pub fn for_scope(user: &User, scope: &Scope) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.id));
    if scope.contains("profile") {
        claims.insert("preferred_username".into(), json!(user.username));
        if let Some(name) = &user.name {
            claims.insert("name".into(), json!(name));
        }
        claims.insert("updated_at".into(), json!(user.updated_at));
    }
    if scope.contains("email") {
        if let Some(email) = &user.email {
            claims.insert("email".into(), json!(email));
            claims.insert("email_verified".into(), json!(user.email_verified));
        }
    }
    claims
}

/// OpenID Core §5.3.2: the userinfo response for an access token of `client_id` with `scope`:
/// [`for_scope`], and with the `groups` scope the user's groups as that client may see them.
pub async fn userinfo(
    ctx: &crate::context::Context,
    client_id: &str,
    user: &User,
    scope: &Scope,
) -> Result<Map<String, Value>, crate::storage::StorageError> {
    let mut claims = for_scope(user, scope);
    if scope.contains(crate::groups::SCOPE) {
        let groups = match ctx.store.client_by_id(client_id).await? {
            Some(client) => crate::groups::claim(ctx, &client, user, scope).await?,
            None => Some(Vec::new()),
        };
        crate::groups::insert(&mut claims, groups.as_deref());
    }
    Ok(claims)
}

/// Claims we can ever return (discovery `claims_supported`).
pub const SUPPORTED: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "acr",
    "azp",
    "at_hash",
    "sid",
    "name",
    "preferred_username",
    "updated_at",
    "email",
    "email_verified",
    "groups",
];

/// The id of the message (`locales/*/pages.ftl`) describing a scope this server defines.
fn scope_message(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "openid" => "scope-openid",
        "profile" => "scope-profile",
        "email" => "scope-email",
        "address" => "scope-address",
        "phone" => "scope-phone",
        "offline_access" => "scope-offline-access",
        "groups" => "scope-groups",
        _ => return None,
    })
}

/// Whether this server has its own words for `scope`.
pub fn has_description(scope: &str) -> bool {
    scope_message(scope).is_some()
}

/// Descriptions for the consent and account pages, in the request's language.
pub fn describe_scope(scope: &str) -> String {
    crate::i18n::t(scope_message(scope).unwrap_or("scope-other"))
}
