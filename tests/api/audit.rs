//! docs/operations.md, "Audit trail": every sign-in step writes an audit event with the real
//! client address (docs/security.md E.33), and `portcullis audit` lists and filters them.

use portcullis::storage::{AuditEvent, AuditKind};
use serde_json::Value;

use crate::authorize::assert_login_page;
use crate::cli::Cli;
use crate::helpers::*;
use crate::limits::{behind_proxy, events, forwarded_client};

const BROWSER_IP: &str = "203.0.113.50";
const BACKEND_IP: &str = "198.51.100.20";

/// The one event of `kind` (asserts there is exactly one).
async fn one(app: &TestApp, kind: AuditKind) -> AuditEvent {
    let mut all = events(app, kind).await;
    assert_eq!(all.len(), 1, "{kind:?}: {all:?}");
    all.remove(0)
}

fn detail(event: &AuditEvent) -> Value {
    serde_json::from_str(&event.detail).unwrap()
}

/// Posts the form found in `page` to `action` with `fields` added.
async fn submit(app: &TestApp, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("request_id".to_string(), hidden(page, "request_id")),
        ("csrf_token".to_string(), hidden(page, "csrf_token")),
    ];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    app.browser
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// A partner (third-party, confidential) token request from the client's back end.
async fn partner_token(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.api
        .post(app.url("/token"))
        .basic_auth(THIRD_PARTY_ID, Some(&app.client_secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A login failure, a success, a consent, a refresh reuse and a logout each write their event,
/// with the address the trusted proxy reported: the browser's for the browser's steps, the
/// client back end's for the token requests.
#[tokio::test]
async fn sign_in_steps_are_audited_with_the_real_client_ip() {
    let mut app = spawn_app_with(behind_proxy).await;
    app.browser = forwarded_client(true, BROWSER_IP);
    app.api = forwarded_client(false, BACKEND_IP);
    let request = [
        ("response_type", "code"),
        ("client_id", THIRD_PARTY_ID),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid offline_access"),
        ("state", "st"),
    ];
    let page = assert_login_page(app.authorize(&request).await).await;
    let credentials = |p: &'static str| [("username", USERNAME), ("password", p)];
    let res = submit(&app, &page, "/login", &credentials("wrong password")).await;
    let res = app.follow_refused(res).await;
    assert_eq!(res.status(), 401);
    let page = res.text().await.unwrap();
    let res = app
        .follow_continue(submit(&app, &page, "/login", &credentials(PASSWORD)).await)
        .await;
    assert_eq!(res.status(), 200, "the consent page");
    let page = res.text().await.unwrap();
    let res = submit(&app, &page, "/consent", &[("decision", "allow")]).await;
    let code = param(&location_params(&res), "code").expect("a code");

    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
    ];
    let tokens: Value = partner_token(&app, &exchange).await.json().await.unwrap();
    let first = tokens["refresh_token"].as_str().unwrap();
    let refresh = |token| [("grant_type", "refresh_token"), ("refresh_token", token)];
    assert_eq!(partner_token(&app, &refresh(first)).await.status(), 200);
    error_body(partner_token(&app, &refresh(first)).await, 400, "invalid_grant").await;

    let hint = tokens["id_token"].as_str().unwrap();
    let res = app
        .browser
        .get(app.url("/logout"))
        .query(&[("id_token_hint", hint)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "signed out");

    let failure = one(&app, AuditKind::LoginFailure).await;
    assert_eq!(failure.ip.as_deref(), Some(BROWSER_IP));
    assert_eq!(failure.user_id.as_deref(), Some(app.user_id.as_str()));
    assert_eq!(failure.client_id.as_deref(), Some(THIRD_PARTY_ID));
    assert_eq!(detail(&failure)["reason"], "wrong_password");
    let success = one(&app, AuditKind::LoginSuccess).await;
    assert_eq!(success.ip.as_deref(), Some(BROWSER_IP));
    let consent = one(&app, AuditKind::ConsentGranted).await;
    assert_eq!(consent.ip.as_deref(), Some(BROWSER_IP));
    assert_eq!(consent.client_id.as_deref(), Some(THIRD_PARTY_ID));
    assert_eq!(detail(&consent)["scope"], "offline_access openid");
    let reuse = one(&app, AuditKind::RefreshReuse).await;
    assert_eq!(reuse.ip.as_deref(), Some(BACKEND_IP));
    assert_eq!(reuse.user_id.as_deref(), Some(app.user_id.as_str()));
    let revoked = one(&app, AuditKind::FamilyRevoked).await;
    assert_eq!(detail(&revoked)["by"], "reuse");
    assert_eq!(detail(&revoked)["family_id"], detail(&reuse)["family_id"]);
    let logout = one(&app, AuditKind::Logout).await;
    assert_eq!(logout.ip.as_deref(), Some(BROWSER_IP));
    assert_eq!(logout.client_id.as_deref(), Some(THIRD_PARTY_ID));
    assert_eq!(detail(&logout)["via"], "rp_initiated");
    for event in [&failure, &success, &consent, &reuse, &revoked, &logout] {
        for secret in [PASSWORD, first, hint, code.as_str()] {
            assert!(!event.detail.contains(secret), "no secret in {event:?}");
        }
    }
}

/// A reused authorization code is audited with the address of the request that reused it.
#[tokio::test]
async fn code_reuse_is_audited() {
    let mut app = spawn_app_with(behind_proxy).await;
    app.api = forwarded_client(false, BACKEND_IP);
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    app.exchange(&code, &verifier).await;
    let again = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
        ])
        .await;
    error_body(again, 400, "invalid_grant").await;
    let reuse = one(&app, AuditKind::CodeReuse).await;
    assert_eq!(reuse.ip.as_deref(), Some(BACKEND_IP));
    assert_eq!(reuse.client_id.as_deref(), Some(CONFIDENTIAL_ID));
    let revoked = one(&app, AuditKind::FamilyRevoked).await;
    assert_eq!(detail(&revoked)["by"], "code_reuse");
}

/// `portcullis audit`, the real binary: admin actions are recorded, listed newest first, and
/// filtered by user, client, kind, time and count; `--json` for scripts, a table for people.
#[tokio::test]
async fn cli_lists_and_filters_the_audit_trail() {
    let cli = Cli::new();
    let pw = Some("carol's long passphrase\n");
    cli.ok(&["user", "add", "carol", "--password-stdin"], pw);
    cli.ok(&["user", "disable", "carol"], None);
    cli.ok(&["user", "enable", "carol"], None);
    cli.ok(
        &["user", "passwd", "carol", "--password-stdin"],
        Some("carol's newer passphrase\n"),
    );
    cli.ok(&["user", "logout", "carol"], None);
    let client = cli.json(
        &[
            "client",
            "add",
            "Audit App",
            "--redirect-uri",
            "https://a.example/cb",
            "--client-id",
            "audit-app",
            "--json",
        ],
        None,
    );
    assert_eq!(client["client_id"], "audit-app");
    cli.ok(&["client", "rotate-secret", "audit-app"], None);
    cli.ok(&["keys", "rotate", "--now"], None);
    cli.ok(&["client", "remove", "audit-app"], None);
    let carol = cli.json(&["audit", "--user", "carol", "--json"], None);
    let carol = carol.as_array().unwrap();
    assert_eq!(carol.len(), 8, "{carol:?}");
    assert!(carol.iter().all(|e| e["username"] == "carol"), "{carol:?}");
    cli.ok(&["user", "remove", "carol"], None);

    let all = cli.json(&["audit", "--json"], None);
    let kinds: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "admin.user_created",
        "admin.user_disabled",
        "admin.user_enabled",
        "admin.password_set",
        "admin.user_logout",
        "family.revoked",
        "client.created",
        "client.secret_rotated",
        "key.rotated",
        "client.removed",
        "admin.user_removed",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    assert_eq!(kinds[0], "admin.user_removed", "newest first: {kinds:?}");
    assert_eq!(all[0]["detail"]["via"], "cli");

    // Carol is removed: her events are found by her id.
    let carol_id = all[0]["user_id"].as_str().unwrap();
    let by_id = cli.json(&["audit", "--user", carol_id, "--json"], None);
    assert_eq!(by_id.as_array().unwrap().len(), 9, "{by_id}");
    let app_events = cli.json(&["audit", "--client", "audit-app", "--json"], None);
    let app_kinds: Vec<&str> = app_events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        app_kinds,
        ["client.removed", "client.secret_rotated", "client.created"]
    );
    let keys = cli.json(&["audit", "--kind", "key.rotated", "--json"], None);
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"]["by"] == "cli"),
        "{keys}"
    );
    let two = cli.json(&["audit", "--limit", "2", "--json"], None);
    assert_eq!(two.as_array().unwrap().len(), 2);
    let recent = cli.json(&["audit", "--since", "1h", "--json"], None);
    assert_eq!(recent.as_array().unwrap().len(), all.as_array().unwrap().len());
    let future = cli.ok(&["audit", "--since", "2100-01-01T00:00:00Z"], None);
    assert_eq!(future.trim(), "no audit events");

    let table = cli.ok(&["audit", "--kind", "client.created"], None);
    let mut lines = table.lines();
    let head = lines.next().unwrap();
    for column in ["TIME", "KIND", "USER", "CLIENT", "IP", "DETAIL"] {
        assert!(head.contains(column), "{head}");
    }
    let row = lines.next().unwrap();
    assert!(
        row.contains("client.created") && row.contains("audit-app") && row.contains("name=Audit App"),
        "{row}"
    );
    let err = cli.fails(&["audit", "--kind", "login.nope"], None);
    assert!(err.contains("unknown kind"), "{err}");
    let err = cli.fails(&["audit", "--since", "yesterday"], None);
    assert!(err.contains("RFC 3339"), "{err}");
}
