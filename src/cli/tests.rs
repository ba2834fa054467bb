//! Argument parsing of every command, and the pure pieces of the CLI.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::Parser;

use super::client::{AddArgs as ClientAddArgs, ClientCommand, build_client};
use super::config::ConfigCommand;
use super::keys::KeysCommand;
use super::output::{fmt_time, strip_newline, table};
use super::serve::{DemoSeed, dev_authorization_url, dev_token_curl, percent_encode, s256_challenge};
use super::user::{UserCommand, validate_email, validate_username};
use super::{Cli, Command, parse_grant_type};
use crate::clock::Clock;
use crate::keys::Alg;
use crate::oauth::scope::Scope;
use crate::storage::GrantType;

fn parse(args: &[&str]) -> Command {
    let mut v = vec!["portcullis"];
    v.extend_from_slice(args);
    Cli::try_parse_from(v)
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
        .command
}

fn fails(args: &[&str]) -> clap::error::ErrorKind {
    let mut v = vec!["portcullis"];
    v.extend_from_slice(args);
    Cli::try_parse_from(v).map(|_| ()).unwrap_err().kind()
}

fn client_add(args: &[&str]) -> ClientAddArgs {
    let mut v = vec!["client", "add"];
    v.extend_from_slice(args);
    match parse(&v) {
        Command::Client(ClientCommand::Add(a)) => *a,
        other => panic!("{other:?}"),
    }
}

#[test]
fn serve_and_migrate_parse() {
    assert!(matches!(parse(&["serve"]), Command::Serve(a) if !a.dev));
    assert!(matches!(parse(&["serve", "--dev"]), Command::Serve(a) if a.dev));
    assert!(matches!(parse(&["migrate"]), Command::Migrate));
}

#[test]
fn config_is_global() {
    let cli = Cli::try_parse_from(["portcullis", "user", "list", "--config", "x.toml"]).unwrap();
    assert_eq!(cli.config.as_deref(), Some(std::path::Path::new("x.toml")));
    let cli = Cli::try_parse_from(["portcullis", "--config", "y.toml", "migrate"]).unwrap();
    assert_eq!(cli.config.as_deref(), Some(std::path::Path::new("y.toml")));
}

#[test]
fn usage_errors_are_reported_by_clap() {
    use clap::error::ErrorKind;
    assert_eq!(fails(&["frobnicate"]), ErrorKind::InvalidSubcommand);
    assert_eq!(fails(&["user", "add"]), ErrorKind::MissingRequiredArgument);
    assert_eq!(
        fails(&["client", "add", "x", "--grant-type", "implicit"]),
        ErrorKind::ValueValidation
    );
    assert_eq!(
        fails(&["keys", "rotate", "--alg", "HS256"]),
        ErrorKind::InvalidValue
    );
}

#[test]
fn user_commands_parse() {
    match parse(&[
        "user",
        "add",
        "alice",
        "--email",
        "a@example.com",
        "--name",
        "Alice A",
        "--password-stdin",
        "--json",
        "--email-verified",
    ]) {
        Command::User(UserCommand::Add(a)) => {
            assert_eq!(a.username, "alice");
            assert_eq!(a.email.as_deref(), Some("a@example.com"));
            assert_eq!(a.name.as_deref(), Some("Alice A"));
            assert!(a.password_stdin && a.json && a.email_verified);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse(&["user", "list", "--json"]),
        Command::User(UserCommand::List { json: true })
    ));
    assert!(matches!(
        parse(&["user", "passwd", "bob", "--password-stdin"]),
        Command::User(UserCommand::Passwd { username, password_stdin: true }) if username == "bob"
    ));
    assert!(matches!(
        parse(&["user", "disable", "bob"]),
        Command::User(UserCommand::Disable { .. })
    ));
    assert!(matches!(
        parse(&["user", "enable", "bob"]),
        Command::User(UserCommand::Enable { .. })
    ));
    assert!(matches!(
        parse(&["user", "remove", "bob"]),
        Command::User(UserCommand::Remove { .. })
    ));
}

#[test]
fn client_commands_parse() {
    let a = client_add(&[
        "My App",
        "--redirect-uri",
        "https://app.example.com/cb",
        "https://app.example.com/cb2",
        "--post-logout-redirect-uri",
        "https://app.example.com/",
        "--grant-type",
        "authorization_code",
        "client_credentials",
        "--scope",
        "openid",
        "--scope",
        "api:read",
        "--first-party",
        "--id-token-alg",
        "ES256",
        "--client-id",
        "my-app",
        "--json",
    ]);
    assert_eq!(a.name, "My App");
    assert_eq!(a.redirect_uris.len(), 2);
    assert_eq!(a.post_logout_redirect_uris, ["https://app.example.com/"]);
    assert_eq!(
        a.grant_types,
        [GrantType::AuthorizationCode, GrantType::ClientCredentials]
    );
    assert_eq!(a.scopes, ["openid", "api:read"]);
    assert!(a.first_party && a.json && !a.public);
    assert_eq!(a.id_token_alg, Some(Alg::Es256));
    assert_eq!(a.client_id.as_deref(), Some("my-app"));
    assert!(matches!(
        parse(&["client", "list"]),
        Command::Client(ClientCommand::List { json: false })
    ));
    assert!(matches!(
        parse(&["client", "show", "x", "--json"]),
        Command::Client(ClientCommand::Show { .. })
    ));
    assert!(matches!(
        parse(&["client", "remove", "x"]),
        Command::Client(ClientCommand::Remove { .. })
    ));
    assert!(matches!(
        parse(&["client", "rotate-secret", "x", "--json"]),
        Command::Client(ClientCommand::RotateSecret { json: true, .. })
    ));
}

#[test]
fn keys_and_config_commands_parse() {
    assert!(matches!(
        parse(&["keys", "list", "--json"]),
        Command::Keys(KeysCommand::List { json: true })
    ));
    match parse(&["keys", "rotate", "--alg", "EdDSA", "--now"]) {
        Command::Keys(KeysCommand::Rotate { alg, now, json }) => {
            assert_eq!(alg, Some(Alg::EdDsa));
            assert!(now && !json);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse(&["config", "check"]),
        Command::Config(ConfigCommand::Check { json: false })
    ));
    assert!(matches!(
        parse(&["config", "check", "--json"]),
        Command::Config(ConfigCommand::Check { json: true })
    ));
}

#[test]
fn confidential_client_gets_a_digested_secret_and_defaults() {
    let (c, secret) = build_client(
        client_add(&["App", "--redirect-uri", "https://a.example/cb"]),
        Alg::Rs256,
        &Clock::system(),
    )
    .unwrap();
    let secret = secret.unwrap();
    assert_eq!(
        c.secret_hash.as_deref(),
        Some(crate::digest::sha256_hex(&secret).as_str())
    );
    assert_eq!(
        c.grant_types,
        [GrantType::AuthorizationCode, GrantType::RefreshToken]
    );
    assert_eq!(
        c.scopes,
        Scope::from_tokens(["openid", "profile", "email", "address", "phone", "offline_access"])
    );
    assert_eq!(c.id_token_signed_response_alg, Alg::Rs256);
    assert_eq!(c.client_id.len(), 22);
    assert!(!c.first_party);
}

#[test]
fn public_client_rules() {
    let (c, secret) = build_client(
        client_add(&["SPA", "--public", "--redirect-uri", "http://127.0.0.1/cb"]),
        Alg::Es256,
        &Clock::system(),
    )
    .unwrap();
    assert!(secret.is_none() && c.is_public());
    for g in ["client_credentials", "password"] {
        let args = client_add(&[
            "SPA",
            "--public",
            "--redirect-uri",
            "https://a.example/cb",
            "--grant-type",
            g,
        ]);
        assert!(build_client(args, Alg::Rs256, &Clock::system()).is_err(), "{g}");
    }
}

#[test]
fn client_registration_is_validated() {
    // authorization_code needs a redirect URI.
    assert!(build_client(client_add(&["App"]), Alg::Rs256, &Clock::system()).is_err());
    // A service client does not.
    assert!(
        build_client(
            client_add(&["Svc", "--grant-type", "client_credentials"]),
            Alg::Rs256,
            &Clock::system(),
        )
        .is_ok()
    );
    for bad in [
        "https://a.example/cb#frag",
        "http://a.example/cb",
        "javascript:alert(1)",
        "https://a.example/*",
    ] {
        assert!(
            build_client(
                client_add(&["App", "--redirect-uri", bad]),
                Alg::Rs256,
                &Clock::system()
            )
            .is_err(),
            "{bad}"
        );
    }
    let bad_logout = client_add(&[
        "App",
        "--redirect-uri",
        "https://a.example/cb",
        "--post-logout-redirect-uri",
        "x",
    ]);
    assert!(build_client(bad_logout, Alg::Rs256, &Clock::system()).is_err());
    let bad_id = client_add(&[
        "App",
        "--redirect-uri",
        "https://a.example/cb",
        "--client-id",
        "a b",
    ]);
    assert!(build_client(bad_id, Alg::Rs256, &Clock::system()).is_err());
    let bad_scope = client_add(&["App", "--redirect-uri", "https://a.example/cb", "--scope", "a\"b"]);
    assert!(build_client(bad_scope, Alg::Rs256, &Clock::system()).is_err());
    assert!(
        build_client(
            client_add(&[" ", "--redirect-uri", "https://a.example/cb"]),
            Alg::Rs256,
            &Clock::system(),
        )
        .is_err()
    );
}

#[test]
fn dev_authorization_url_is_complete() {
    let seed = DemoSeed {
        password: "pw".into(),
        code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
        state: "st".into(),
        nonce: "no".into(),
    };
    let url = dev_authorization_url("http://127.0.0.1:8080", &seed);
    assert_eq!(
        url,
        "http://127.0.0.1:8080/authorize?response_type=code&client_id=demo-app\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fdev%2Fcallback\
         &scope=openid%20profile%20email%20offline_access&state=st&nonce=no\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
    let curl = dev_token_curl("http://127.0.0.1:8080", &seed.code_verifier);
    assert!(curl.contains("'http://127.0.0.1:8080/token'"));
    assert!(curl.contains("code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
    assert!(curl.contains("redirect_uri=http://127.0.0.1:8080/dev/callback"));
}

#[test]
fn pkce_and_encoding_helpers() {
    // RFC 7636 Appendix B.
    assert_eq!(
        s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(percent_encode("a b/c~d"), "a%20b%2Fc~d");
}

#[test]
fn output_helpers() {
    let t = table(
        &["A", "LONGER"],
        &[vec!["xyz".into(), "1".into()], vec!["é".into(), "22".into()]],
    );
    assert_eq!(t, "A    LONGER\nxyz  1\né    22");
    assert_eq!(fmt_time(0), "1970-01-01 00:00:00Z");
    assert_eq!(fmt_time(951_782_400), "2000-02-29 00:00:00Z");
    assert_eq!(fmt_time(1_700_000_000), "2023-11-14 22:13:20Z");
    assert_eq!(strip_newline("pass word\r\n".into()), "pass word");
    assert_eq!(strip_newline("pw\n\n".into()), "pw\n");
    assert_eq!(strip_newline("pw".into()), "pw");
}

#[test]
fn user_input_validation() {
    assert!(validate_username("alice").is_ok());
    assert!(validate_username("").is_err());
    assert!(validate_username("a b").is_err());
    assert!(validate_username(&"x".repeat(65)).is_err());
    assert!(validate_email("a@example.com").is_ok());
    assert!(validate_email("a@@example.com").is_err());
    assert!(validate_email("nope").is_err());
}

#[test]
fn example_config_lists_every_setting_with_its_default() {
    let text = include_str!("../../portcullis.example.toml");
    let parsed: crate::config::Settings = toml::from_str(text).unwrap();
    parsed.validate().unwrap();
    let defaults = crate::config::Settings::default();
    assert_eq!(parsed.to_masked_toml(), defaults.to_masked_toml());
    // Every key of the defaults (optional ones may be commented out) is in the file.
    let value = toml::Value::try_from(&defaults).unwrap();
    let mut keys = Vec::new();
    for (k, v) in value.as_table().unwrap() {
        match v.as_table() {
            Some(t) => keys.extend(t.keys().cloned()),
            None => keys.push(k.clone()),
        }
    }
    for opt in ["url", "audience", "master_key"] {
        keys.push(opt.to_string());
    }
    for key in keys {
        let present = text.lines().any(|l| {
            let l = l.trim_start_matches(['#', ' ']);
            l.starts_with(&format!("{key} ="))
        });
        assert!(present, "{key} missing from portcullis.example.toml");
    }
}

/// docs/security.md F.1: `client add --require-par` registers a client that must push its
/// authorization requests (RFC 9126 §6); without the flag it need not.
#[test]
fn require_par_flag_is_registered() {
    let build = |extra: &[&str]| {
        let mut args = vec!["App", "--redirect-uri", "https://a.example/cb"];
        args.extend_from_slice(extra);
        build_client(client_add(&args), Alg::Rs256, &Clock::system())
            .unwrap()
            .0
    };
    assert!(build(&["--require-par"]).require_pushed_authorization_requests);
    assert!(!build(&[]).require_pushed_authorization_requests);
}

/// docs/security.md G.1: `client add --require-mfa` registers a client whose logins need a second
/// factor; without the flag they do not.
#[test]
fn require_mfa_flag_is_registered() {
    let build = |extra: &[&str]| {
        let mut args = vec!["App", "--redirect-uri", "https://a.example/cb"];
        args.extend_from_slice(extra);
        build_client(client_add(&args), Alg::Rs256, &Clock::system())
            .unwrap()
            .0
    };
    assert!(build(&["--require-mfa"]).require_mfa);
    assert!(!build(&[]).require_mfa);
}

/// E.24: `serve` with an https issuer needs `keys.master_key` unless `--dev`; an http (loopback)
/// issuer may use the development key file.
#[test]
fn https_serve_needs_a_configured_master_key_outside_dev() {
    use crate::cli::serve::require_master_key;
    let mut s = crate::config::Settings {
        issuer: "https://id.example.com".into(),
        ..crate::config::Settings::default()
    };
    let err = require_master_key(&s).unwrap_err().to_string();
    assert!(err.contains("PORTCULLIS_KEYS__MASTER_KEY"), "{err}");
    s.dev_mode = true;
    assert!(require_master_key(&s).is_ok(), "--dev may use the key file");
    s.dev_mode = false;
    s.keys.master_key = Some(secrecy::SecretString::from("ab".repeat(32)));
    assert!(require_master_key(&s).is_ok());
    let loopback = crate::config::Settings::default();
    assert!(
        require_master_key(&loopback).is_ok(),
        "http on loopback is development"
    );
}

/// docs/security.md I.6: `client add --upstream ID --no-password-login` registers the upstreams a
/// client offers and turns its password form off; unknown upstreams, and upstream-only clients
/// without any upstream configured, are refused.
#[test]
fn upstream_flags_are_registered_and_checked() {
    let mut args = vec!["App", "--redirect-uri", "https://a.example/cb"];
    args.extend_from_slice(&["--upstream", "corp", "--upstream", "corp", "--no-password-login"]);
    let client = build_client(client_add(&args), Alg::Rs256, &Clock::system())
        .unwrap()
        .0;
    assert_eq!(client.upstreams, ["corp"]);
    assert!(!client.password_login);
    let plain = build_client(
        client_add(&["App", "--redirect-uri", "https://a.example/cb"]),
        Alg::Rs256,
        &Clock::system(),
    );
    assert!(plain.unwrap().0.password_login, "passwords by default");

    use crate::federation::check_client_upstreams;
    let toml = "[[upstream]]\nid = \"corp\"\nname = \"C\"\nissuer = \"https://c.example\"\nclient_id = \"x\"\nclient_secret = \"s\"\n";
    let configured = toml::from_str::<crate::config::Settings>(toml).unwrap().upstream;
    assert!(check_client_upstreams(&configured, &["corp".into()], true).is_ok());
    assert!(check_client_upstreams(&configured, &["other".into()], false).is_err());
    assert!(check_client_upstreams(&[], &[], true).is_err());
}

/// docs/security.md L.1: `--grant-type device_code` (or the RFC 8628 URN) registers the device
/// grant; a public device client needs no redirect URI.
#[test]
fn public_device_client_needs_no_redirect_uri() {
    for name in ["device_code", "urn:ietf:params:oauth:grant-type:device_code"] {
        let args = client_add(&["TV", "--public", "--grant-type", name, "refresh_token"]);
        assert_eq!(args.grant_types, [GrantType::DeviceCode, GrantType::RefreshToken]);
        let (c, secret) = build_client(args, Alg::Rs256, &Clock::system()).unwrap();
        assert!(secret.is_none() && c.redirect_uris.is_empty());
        assert!(c.allows_grant(GrantType::DeviceCode));
    }
    let e = parse_grant_type("device").unwrap_err();
    assert!(e.contains("device_code"), "{e}");
}

/// docs/security.md K.2: `client add` applies the rules dynamic registration applies:
/// `application_type`, and `--auth-method` with the keys it needs.
#[test]
fn application_type_and_auth_method_are_checked() {
    let build = |args: &[&str]| build_client(client_add(args), Alg::Rs256, &Clock::system());
    assert!(
        build(&[
            "App",
            "--application-type",
            "web",
            "--redirect-uri",
            "http://127.0.0.1/cb"
        ])
        .is_err()
    );
    assert!(
        build(&[
            "App",
            "--application-type",
            "native",
            "--redirect-uri",
            "myapp:/cb"
        ])
        .is_err()
    );
    let (c, _) = build(&["App", "--public", "--redirect-uri", "com.example.app:/cb"]).unwrap();
    assert_eq!(
        c.registration.application_type,
        crate::storage::ApplicationType::Native
    );
    assert!(
        build(&[
            "App",
            "--public",
            "--auth-method",
            "private_key_jwt",
            "--redirect-uri",
            "https://a.example/cb"
        ])
        .is_err()
    );
    assert!(
        fails(&["client", "add", "App", "--auth-method", "client_secret_jwt"])
            == clap::error::ErrorKind::ValueValidation
    );
    let (c, secret) = build(&[
        "App",
        "--auth-method",
        "private_key_jwt",
        "--jwks-uri",
        "https://keys.example/jwks.json",
        "--redirect-uri",
        "https://a.example/cb",
    ])
    .unwrap();
    assert!(secret.is_none() && !c.is_public());
    assert_eq!(c.auth_method(), "private_key_jwt");
}

/// docs/security.md O.4: `client add --client-uri --logo-uri --policy-uri --tos-uri` are checked
/// with the rule dynamic registration uses and stored with the client.
#[test]
fn client_display_flags_are_validated_and_stored() {
    let add = |logo: &str| {
        client_add(&[
            "App",
            "--redirect-uri",
            "https://a.example/cb",
            "--client-uri",
            "https://a.example/",
            "--logo-uri",
            logo,
            "--policy-uri",
            "https://a.example/privacy",
            "--tos-uri",
            "https://a.example/terms",
        ])
    };
    let (c, _) = build_client(add("https://a.example/logo.png"), Alg::Rs256, &Clock::system()).unwrap();
    let d = &c.registration.display;
    assert_eq!(d.client_uri.as_deref(), Some("https://a.example/"));
    assert_eq!(d.logo_uri.as_deref(), Some("https://a.example/logo.png"));
    assert_eq!(d.policy_uri.as_deref(), Some("https://a.example/privacy"));
    assert_eq!(d.tos_uri.as_deref(), Some("https://a.example/terms"));
    assert!(
        build_client(
            add("http://localhost:8080/logo.png"),
            Alg::Rs256,
            &Clock::system()
        )
        .is_ok()
    );
    for bad in ["http://a.example/logo.png", "javascript:alert(1)", "logo.png"] {
        assert!(
            build_client(add(bad), Alg::Rs256, &Clock::system()).is_err(),
            "{bad}"
        );
    }
}
