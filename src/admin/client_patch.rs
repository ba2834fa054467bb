//! A change to an administrator's client (`PATCH /admin/api/v1/clients/{client_id}`,
//! `portcullis client edit`; docs/admin-api.md, "Clients"): every member of the registration
//! ([`ClientSpec`], `client add`'s options) may be given; an absent one stays as it is, `null`
//! puts it back to its default. The change is applied to the client's registration as it stands
//! ([`spec_of`]) and the result is checked and stored by `clients::replace`, so an edit obeys
//! exactly the rules a registration does.

use serde::Deserialize;

use super::AdminError;
use super::clients::ClientSpec;
use crate::keys::Alg;
use crate::storage::{ApplicationType, Client, ClientApiPolicy, ClientKeys, GrantType};

/// A patch member's value as the registration's field: an optional field takes it as is, a list,
/// flag or text its default for `null`.
trait Patched<P> {
    fn patched(value: Option<P>) -> Self;
}

impl<T> Patched<T> for Option<T> {
    fn patched(value: Option<T>) -> Self {
        value
    }
}

impl<T> Patched<Vec<T>> for Vec<T> {
    fn patched(value: Option<Vec<T>>) -> Self {
        value.unwrap_or_default()
    }
}

impl Patched<bool> for bool {
    fn patched(value: Option<bool>) -> Self {
        value.unwrap_or_default()
    }
}

impl Patched<String> for String {
    fn patched(value: Option<String>) -> Self {
        value.unwrap_or_default()
    }
}

/// The patch type and its application, one line per member of [`ClientSpec`] (the test
/// `patch_covers_every_member_of_the_registration` holds the two to the same members).
macro_rules! client_patch {
    ($( $(#[$doc:meta])* $field:ident : $ty:ty as $schema:ty ),* $(,)?) => {
        /// A change to a client: absent members stay, `null` is the member's default.
        #[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct ClientPatch {
            /// Refused unless it is the client's own: a client_id never changes.
            #[serde(default)]
            pub client_id: Option<String>,
            $(
                $(#[$doc])*
                #[serde(default, deserialize_with = "super::users::present")]
                #[schema(value_type = $schema)]
                pub $field: Option<Option<$ty>>,
            )*
        }

        impl ClientPatch {
            /// The members given, by name (for the audit trail).
            pub fn fields(&self) -> Vec<&'static str> {
                let mut out = Vec::new();
                $( if self.$field.is_some() { out.push(stringify!($field)); } )*
                out
            }

            fn apply_members(self, spec: &mut ClientSpec) {
                $( if let Some(value) = self.$field { spec.$field = Patched::patched(value); } )*
            }
        }
    };
}

client_patch! {
    /// Display name (required: `null` is refused).
    name: String as Option<String>,
    redirect_uris: Vec<String> as Option<Vec<String>>,
    post_logout_redirect_uris: Vec<String> as Option<Vec<String>>,
    /// client_secret_basic, client_secret_post, none or private_key_jwt.
    token_endpoint_auth_method: String as Option<String>,
    /// private_key_jwt: the client's JWK Set, as JSON text.
    jwks: String as Option<String>,
    /// private_key_jwt: an https URL of the client's JWK Set.
    jwks_uri: String as Option<String>,
    /// web or native.
    application_type: ApplicationType as Option<String>,
    grant_types: Vec<GrantType> as Option<Vec<String>>,
    scopes: Vec<String> as Option<Vec<String>>,
    first_party: bool as Option<bool>,
    resource_server: bool as Option<bool>,
    require_pushed_authorization_requests: bool as Option<bool>,
    require_mfa: bool as Option<bool>,
    groups_claim_filter: Vec<String> as Option<Vec<String>>,
    require_groups: Vec<String> as Option<Vec<String>>,
    backchannel_logout_uri: String as Option<String>,
    backchannel_logout_session_required: bool as Option<bool>,
    upstreams: Vec<String> as Option<Vec<String>>,
    password_login: bool as Option<bool>,
    id_token_signed_response_alg: Alg as Option<String>,
    access_token_alg: Alg as Option<String>,
    api: String as Option<String>,
    exchange_to: Vec<String> as Option<Vec<String>>,
    client_uri: String as Option<String>,
    logo_uri: String as Option<String>,
    policy_uri: String as Option<String>,
    tos_uri: String as Option<String>,
    allow_signup: bool as Option<bool>,
}

impl ClientPatch {
    /// `spec` with this change applied. A `client_id` other than the client's own is refused.
    pub fn apply(self, mut spec: ClientSpec) -> Result<ClientSpec, AdminError> {
        if let Some(id) = &self.client_id
            && spec.client_id.as_deref() != Some(id.as_str())
        {
            return Err(AdminError::invalid(
                "client_id cannot change: tokens, consents and sessions name it; register a new client instead",
            ));
        }
        // Switching between jwks and jwks_uri: naming one drops the other unless both are named.
        if matches!(self.jwks, Some(Some(_))) && self.jwks_uri.is_none() {
            spec.jwks_uri = None;
        }
        if matches!(self.jwks_uri, Some(Some(_))) && self.jwks.is_none() {
            spec.jwks = None;
        }
        self.apply_members(&mut spec);
        Ok(spec)
    }
}

/// The registration a client stands on, as `client add` would have been given it: applying no
/// change to it and storing it again ([`super::clients::replace`]) changes nothing.
pub fn spec_of(client: &Client, policy: &ClientApiPolicy, allow_signup: bool) -> ClientSpec {
    let registration = &client.registration;
    let display = &registration.display;
    let (jwks, jwks_uri) = match &registration.keys {
        Some(ClientKeys::Jwks(set)) => (Some(set.clone()), None),
        Some(ClientKeys::JwksUri(uri)) => (None, Some(uri.clone())),
        None => (None, None),
    };
    let backchannel = client.backchannel_logout.as_ref();
    ClientSpec {
        name: client.name.clone(),
        client_id: Some(client.client_id.clone()),
        redirect_uris: client.redirect_uris.clone(),
        post_logout_redirect_uris: client.post_logout_redirect_uris.clone(),
        token_endpoint_auth_method: Some(client.auth_method().to_string()),
        jwks,
        jwks_uri,
        application_type: Some(registration.application_type),
        grant_types: client.grant_types.clone(),
        scopes: client.scopes.iter().map(str::to_string).collect(),
        first_party: client.first_party,
        resource_server: client.resource_server,
        require_pushed_authorization_requests: client.require_pushed_authorization_requests,
        require_mfa: client.require_mfa,
        groups_claim_filter: client.groups.claim_filter.clone(),
        require_groups: client.groups.required.clone(),
        backchannel_logout_uri: backchannel.map(|b| b.uri.clone()),
        backchannel_logout_session_required: backchannel.is_some_and(|b| b.session_required),
        upstreams: client.upstreams.clone(),
        password_login: Some(client.password_login),
        id_token_signed_response_alg: Some(client.id_token_signed_response_alg),
        access_token_alg: client.access_token_alg,
        api: policy.default_api.clone(),
        exchange_to: policy.exchange_to.clone(),
        client_uri: display.client_uri.clone(),
        logo_uri: display.logo_uri.clone(),
        policy_uri: display.policy_uri.clone(),
        tos_uri: display.tos_uri.clone(),
        allow_signup,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::admin::clients::build;

    /// Every member of the registration, each set to something other than its default.
    fn full_spec() -> ClientSpec {
        ClientSpec {
            name: "Reporting".into(),
            client_id: Some("reporting".into()),
            redirect_uris: vec!["https://app.example/cb".into()],
            post_logout_redirect_uris: vec!["https://app.example/bye".into()],
            token_endpoint_auth_method: Some("client_secret_basic".into()),
            jwks: None,
            jwks_uri: None,
            application_type: Some(ApplicationType::Web),
            grant_types: vec![GrantType::AuthorizationCode, GrantType::TokenExchange],
            scopes: vec!["openid".into(), "photos:read".into()],
            first_party: true,
            resource_server: true,
            require_pushed_authorization_requests: true,
            require_mfa: true,
            groups_claim_filter: vec!["staff".into()],
            require_groups: vec!["admins".into()],
            backchannel_logout_uri: Some("https://app.example/bcl".into()),
            backchannel_logout_session_required: true,
            upstreams: vec!["corp".into()],
            password_login: Some(false),
            id_token_signed_response_alg: Some(Alg::Es256),
            access_token_alg: Some(Alg::Rs256),
            api: Some("https://photos.example/api".into()),
            exchange_to: vec!["https://photos.example/api".into()],
            client_uri: Some("https://app.example/".into()),
            logo_uri: Some("https://app.example/logo.png".into()),
            policy_uri: Some("https://app.example/privacy".into()),
            tos_uri: Some("https://app.example/tos".into()),
            allow_signup: true,
        }
    }

    /// docs/admin-api.md: a patch can set every member a registration has (`client add`'s
    /// options), and applying all of them yields exactly that registration.
    #[test]
    fn patch_covers_every_member_of_the_registration() {
        let spec = full_spec();
        let members = serde_json::to_value(&spec).unwrap();
        let patch: ClientPatch = serde_json::from_value(members.clone()).unwrap();
        let base = ClientSpec {
            client_id: spec.client_id.clone(),
            ..ClientSpec::default()
        };
        let patched = patch.apply(base).unwrap();
        assert_eq!(serde_json::to_value(&patched).unwrap(), members);
    }

    /// An edit that names nothing stores the client as it was: the registration read back from a
    /// client builds the same client.
    #[test]
    fn client_registration_read_back_builds_the_same_client() {
        let mut keyed = full_spec();
        keyed.token_endpoint_auth_method = Some("private_key_jwt".into());
        keyed.jwks_uri = Some("https://app.example/jwks.json".into());
        for spec in [full_spec(), keyed] {
            let (client, _) = build(spec.clone(), Alg::Rs256, 100).unwrap();
            let policy = ClientApiPolicy {
                default_api: spec.api.clone(),
                exchange_to: spec.exchange_to.clone(),
            };
            let again = spec_of(&client, &policy, spec.allow_signup);
            let (rebuilt, _) = build(again.clone(), Alg::Rs256, 100).unwrap();
            let strip = |c: Client| Client {
                secret_hash: c.secret_hash.map(|_| String::new()),
                ..c
            };
            assert_eq!(spec_of(&client, &policy, spec.allow_signup), again);
            assert_eq!(strip(rebuilt), strip(client));
        }
    }

    /// `null` puts a member back to its default; an absent one stays; the client_id never changes.
    #[test]
    fn patch_null_resets_absent_keeps_and_client_id_is_refused() {
        let patch: ClientPatch =
            serde_json::from_value(serde_json::json!({ "backchannel_logout_uri": null, "backchannel_logout_session_required": null, "require_mfa": false, "redirect_uris": null }))
                .unwrap();
        let out = patch.apply(full_spec()).unwrap();
        assert_eq!(out.backchannel_logout_uri, None);
        assert!(!out.require_mfa && !out.backchannel_logout_session_required);
        assert!(out.redirect_uris.is_empty());
        assert_eq!(out.name, "Reporting");
        let other: ClientPatch = serde_json::from_value(serde_json::json!({ "client_id": "other" })).unwrap();
        assert!(other.apply(full_spec()).is_err());
        let same: ClientPatch =
            serde_json::from_value(serde_json::json!({ "client_id": "reporting" })).unwrap();
        assert!(same.apply(full_spec()).is_ok());
        assert!(serde_json::from_value::<ClientPatch>(serde_json::json!({ "colour": "red" })).is_err());
    }
}
