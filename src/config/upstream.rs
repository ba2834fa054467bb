//! `[[upstream]]`: OpenID providers users may sign in through (identity brokering,
//! docs/guides/federation.md), and `[federation]`: how Portcullis talks to them. Checked at start
//! (docs/security.md I.1).

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{ConfigError, is_loopback_host, ser_opt_secret};

/// One upstream OpenID provider (OpenID Core §3.1, as the relying party).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSettings {
    /// Stable id, used in URLs (`/upstream/{id}/callback`) and stored with every linked identity:
    /// changing it unlinks every user. Letters, digits, `-` and `_`.
    pub id: String,
    /// The sign-in button's label.
    pub name: String,
    /// The provider's issuer (OpenID Discovery §4): https (http only on loopback, for tests).
    pub issuer: String,
    /// This Portcullis's client id at the provider.
    pub client_id: String,
    /// The client secret at the provider; or `client_secret_file`. Never logged or shown.
    #[serde(
        default,
        serialize_with = "ser_opt_secret",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_secret: Option<SecretString>,
    /// A file holding the client secret (surrounding whitespace ignored), read at start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_file: Option<PathBuf>,
    /// Scopes asked of the provider; `openid` is always sent.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Home-realm discovery: an email (`login_hint` or typed username) in one of these domains
    /// goes straight to this provider.
    #[serde(default)]
    pub domains: Vec<String>,
    /// How a first sign-in finds an existing local user (docs/security.md I.4).
    #[serde(default)]
    pub link_by: LinkBy,
    /// Whether a first sign-in may create the local user.
    #[serde(default)]
    pub provisioning: Provisioning,
    /// Which upstream claims fill the local user's fields.
    #[serde(default)]
    pub claims: ClaimNames,
}

/// How a first federated sign-in is matched to a local user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkBy {
    /// The local user with the same email, only when the provider says `email_verified: true`.
    Email,
    /// Only an identity linked before (by an earlier sign-in, `(upstream, sub)`); never a guess.
    #[default]
    Subject,
}

/// What happens when no local user matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provisioning {
    /// Create the local user, linked, in one transaction.
    #[default]
    Auto,
    /// Refuse: only users that exist (or are linked) may sign in.
    ExistingOnly,
}

/// Claim names at the provider for the local user's fields (read from the ID token, then userinfo).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimNames {
    pub username: String,
    pub email: String,
    pub name: String,
    pub groups: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        ClaimNames {
            username: "preferred_username".into(),
            email: "email".into(),
            name: "name".into(),
            groups: "groups".into(),
        }
    }
}

fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(String::from).to_vec()
}

/// How Portcullis reaches upstream providers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FederationSettings {
    /// First delay before discovery of a provider that was down at start is tried again; it
    /// doubles up to `discovery_retry_max_secs`. A down provider never stops the server.
    pub discovery_retry_initial_ms: u64,
    pub discovery_retry_max_secs: u64,
    /// Discovery (and the provider's JWKS) is fetched again this often, to follow key rotation.
    pub discovery_refresh_secs: u64,
    /// How long a sign-in sent to a provider may take to come back (state, nonce and PKCE verifier
    /// are kept this long, single use).
    pub state_ttl_secs: u64,
    /// Timeout of every request to a provider.
    pub http_timeout_secs: u64,
}

impl Default for FederationSettings {
    fn default() -> Self {
        FederationSettings {
            discovery_retry_initial_ms: 2_000,
            discovery_retry_max_secs: 300,
            discovery_refresh_secs: 3600,
            state_ttl_secs: 600,
            http_timeout_secs: 10,
        }
    }
}

impl UpstreamSettings {
    /// The client secret, from `client_secret` or `client_secret_file`.
    pub fn secret(&self) -> Result<SecretString, ConfigError> {
        match (&self.client_secret, &self.client_secret_file) {
            (Some(s), None) => Ok(s.clone()),
            (None, Some(path)) => {
                let raw = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError::Invalid(format!(
                        "upstream {}: client_secret_file {}: {e}",
                        self.id,
                        path.display()
                    ))
                })?;
                let secret = raw.trim();
                if secret.is_empty() {
                    return Err(ConfigError::Invalid(format!(
                        "upstream {}: client_secret_file is empty",
                        self.id
                    )));
                }
                Ok(SecretString::from(secret.to_string()))
            }
            _ => Err(ConfigError::Invalid(format!(
                "upstream {}: set exactly one of client_secret and client_secret_file",
                self.id
            ))),
        }
    }

    /// Whether `email`'s domain is one of `domains` (ASCII case-insensitive).
    pub fn serves_email(&self, email: &str) -> bool {
        let Some((local, domain)) = email.trim().rsplit_once('@') else {
            return false;
        };
        !local.is_empty() && self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }
}

/// `PORTCULLIS_UPSTREAM__<ID>__<FIELD>` (ID: the upstream's id, any case, `-` written `_`, or its
/// index): sets `client_secret`, `client_secret_file`, `client_id` or `issuer` of an upstream
/// configured in the file or in `PORTCULLIS_UPSTREAM`, so secrets can stay out of the file.
pub(super) fn apply_env(
    upstreams: &mut [UpstreamSettings],
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    const PREFIX: &str = "PORTCULLIS_UPSTREAM__";
    for (name, value) in vars {
        let Some(rest) = name
            .get(..PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(PREFIX))
            .map(|_| &name[PREFIX.len()..])
        else {
            continue;
        };
        let bad = |why: &str| ConfigError::Invalid(format!("{name}: {why}"));
        let (who, field) = rest
            .split_once("__")
            .ok_or_else(|| bad("expected PORTCULLIS_UPSTREAM__<ID>__<FIELD>"))?;
        let matches = |i: usize, u: &UpstreamSettings| {
            who == i.to_string()
                || u.id.eq_ignore_ascii_case(who)
                || u.id.replace('-', "_").eq_ignore_ascii_case(who)
        };
        let u = upstreams
            .iter_mut()
            .enumerate()
            .find(|(i, u)| matches(*i, u))
            .map(|(_, u)| u)
            .ok_or_else(|| bad("no [[upstream]] with this id or index"))?;
        match field.to_ascii_lowercase().as_str() {
            "client_secret" => {
                u.client_secret = Some(SecretString::from(value));
                u.client_secret_file = None;
            }
            "client_secret_file" => {
                u.client_secret_file = Some(PathBuf::from(value));
                u.client_secret = None;
            }
            "client_id" => u.client_id = value,
            "issuer" => u.issuer = value,
            _ => {
                return Err(bad(
                    "only client_id, client_secret, client_secret_file and issuer are set per upstream; \
                     set the whole list with PORTCULLIS_UPSTREAM",
                ));
            }
        }
    }
    Ok(())
}

fn invalid(message: String) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid(message))
}

/// docs/security.md I.1: every upstream is well formed, with a unique URL-safe id, an https issuer
/// (http on loopback only), a secret, `openid` among its scopes; no email domain is claimed by two.
pub fn validate(upstreams: &[UpstreamSettings], federation: &FederationSettings) -> Result<(), ConfigError> {
    let mut ids = std::collections::HashSet::new();
    let mut domains = std::collections::HashMap::new();
    for u in upstreams {
        let url_safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if u.id.is_empty() || u.id.len() > 64 || !u.id.chars().all(url_safe) {
            return invalid(format!(
                "upstream id {:?} must be 1-64 letters, digits, - or _",
                u.id
            ));
        }
        if !ids.insert(u.id.as_str()) {
            return invalid(format!("upstream id {} is used twice", u.id));
        }
        if u.name.trim().is_empty() || u.client_id.is_empty() {
            return invalid(format!("upstream {}: name and client_id are required", u.id));
        }
        validate_issuer(&u.id, &u.issuer)?;
        let secret = u.secret()?;
        if secret.expose_secret().is_empty() {
            return invalid(format!("upstream {}: the client secret is empty", u.id));
        }
        if !u.scopes.iter().any(|s| s == "openid") {
            return invalid(format!("upstream {}: scopes must include openid", u.id));
        }
        for d in &u.domains {
            let d = d.to_ascii_lowercase();
            if d.is_empty() || d.contains('@') || d.contains(char::is_whitespace) {
                return invalid(format!("upstream {}: domain {d:?} is not a domain", u.id));
            }
            if let Some(other) = domains.insert(d.clone(), u.id.as_str()) {
                return invalid(format!("domain {d} belongs to upstreams {other} and {}", u.id));
            }
        }
    }
    let f = federation;
    if !(10..=600_000).contains(&f.discovery_retry_initial_ms)
        || !(1..=86_400).contains(&f.discovery_retry_max_secs)
    {
        return invalid("federation.discovery_retry_initial_ms must be 10..=600000 and discovery_retry_max_secs 1..=86400".into());
    }
    if !(60..=7 * 86_400).contains(&f.discovery_refresh_secs) {
        return invalid("federation.discovery_refresh_secs must be 60..=604800".into());
    }
    if !(30..=3600).contains(&f.state_ttl_secs) {
        return invalid("federation.state_ttl_secs must be 30..=3600".into());
    }
    if !(1..=120).contains(&f.http_timeout_secs) {
        return invalid("federation.http_timeout_secs must be 1..=120".into());
    }
    Ok(())
}

fn validate_issuer(id: &str, issuer: &str) -> Result<(), ConfigError> {
    let url = url::Url::parse(issuer)
        .map_err(|e| ConfigError::Invalid(format!("upstream {id}: issuer {issuer:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(url.host_str().unwrap_or_default()) => Ok(()),
        _ => invalid(format!(
            "upstream {id}: issuer must be https (http only on loopback)"
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::config::Settings;

    const CORP: &str = r#"
[[upstream]]
id = "corp"
name = "Corp SSO"
issuer = "https://login.corp.example"
client_id = "portcullis"
client_secret = "s3cr3t-value"
domains = ["corp.example"]
link_by = "email"
provisioning = "existing_only"
claims = { username = "upn", groups = "roles" }
"#;

    fn parse(toml: &str) -> Settings {
        toml::from_str(toml).unwrap()
    }

    #[test]
    fn upstream_tables_parse_with_defaults() {
        let s = parse(CORP);
        let u = &s.upstream[0];
        assert_eq!(u.scopes, ["openid", "email", "profile"]);
        assert_eq!(u.link_by, LinkBy::Email);
        assert_eq!(u.provisioning, Provisioning::ExistingOnly);
        assert_eq!(u.claims.username, "upn");
        assert_eq!(u.claims.email, "email", "unnamed claims keep their default");
        assert_eq!(u.claims.groups, "roles");
        assert!(s.validate().is_ok());
        assert!(u.serves_email("bob@CORP.example") && !u.serves_email("bob@corp.example.org"));
    }

    /// I.1: the client secret never appears in `config check` output.
    #[test]
    fn upstream_client_secret_is_masked_in_config_check() {
        let s = parse(CORP);
        let out = s.to_masked_toml();
        assert!(out.contains("[[upstream]]") && out.contains("corp"), "{out}");
        assert!(!out.contains("s3cr3t-value"), "{out}");
        let json = serde_json::to_string(&s).unwrap();
        assert!(!json.contains("s3cr3t-value"));
        assert!(!format!("{s:?}").contains("s3cr3t-value"), "Debug masks it too");
    }

    /// I.1: malformed upstreams stop the start with a message.
    #[test]
    fn malformed_upstreams_are_refused() {
        let bad = [
            CORP.replace("id = \"corp\"", "id = \"co/rp\""),
            CORP.replace("https://login.corp.example", "http://login.corp.example"),
            CORP.replace("client_secret = \"s3cr3t-value\"", ""),
            format!("{CORP}client_secret_file = \"/nonexistent\"\n"),
            format!("{CORP}{}", CORP.replace("corp.example\"]", "other.example\"]")),
            format!("{CORP}{}", CORP.replace("id = \"corp\"", "id = \"corp2\"")),
            CORP.replace("domains", "scopes = [\"email\"]\ndomains"),
        ];
        for (i, toml) in bad.iter().enumerate() {
            let parsed: Result<Settings, _> = toml::from_str(toml);
            assert!(parsed.is_err() || parsed.unwrap().validate().is_err(), "case {i}");
        }
        let loopback = CORP.replace("https://login.corp.example", "http://127.0.0.1:9000");
        assert!(parse(&loopback).validate().is_ok(), "http on loopback (tests)");
    }

    /// docs/configuration.md: an upstream's secret (and id, issuer) from the environment, by id
    /// (any case) or index; anything else per field is refused with a message.
    #[test]
    fn upstream_fields_are_set_by_environment() {
        let mut s = parse(CORP);
        let var = |k: &str, v: &str| (k.to_string(), v.to_string());
        let vars = [
            var("PORTCULLIS_UPSTREAM__CORP__CLIENT_SECRET", "from-env"),
            var("PORTCULLIS_UPSTREAM__0__CLIENT_ID", "pc-2"),
            var("PORTCULLIS_LOG__LEVEL", "debug"),
        ];
        apply_env(&mut s.upstream, vars).unwrap();
        assert_eq!(s.upstream[0].secret().unwrap().expose_secret(), "from-env");
        assert_eq!(s.upstream[0].client_id, "pc-2");
        for bad in [
            var("PORTCULLIS_UPSTREAM__OTHER__CLIENT_SECRET", "x"),
            var("PORTCULLIS_UPSTREAM__CORP__DOMAINS", "x"),
            var("PORTCULLIS_UPSTREAM__CORP", "x"),
        ] {
            assert!(apply_env(&mut s.upstream, [bad.clone()]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn client_secret_file_is_read_and_trimmed() {
        let dir = crate::tempdir::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "from-file\n").unwrap();
        let toml = CORP.replace(
            "client_secret = \"s3cr3t-value\"",
            &format!("client_secret_file = {:?}", path.display().to_string()),
        );
        let s = parse(&toml);
        assert!(s.validate().is_ok());
        assert_eq!(s.upstream[0].secret().unwrap().expose_secret(), "from-file");
    }
}
