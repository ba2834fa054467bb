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

/// Descriptions for the consent page.
pub fn describe_scope(scope: &str) -> &'static str {
    match scope {
        "openid" => "Sign you in and know who you are",
        "profile" => "Your name and username",
        "email" => "Your email address",
        "address" => "Your postal address",
        "phone" => "Your phone number",
        "offline_access" => "Stay signed in and access your data while you are away",
        "groups" => "The groups you belong to",
        _ => "Access granted to this application",
    }
}
