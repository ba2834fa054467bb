//! docs/security.md N: mail to people (docs/guides/email.md). Password reset, email verification,
//! sign-up, the password policy and the mail limits, driven through the pages with a real SMTP
//! receiver (`smtp.rs`); the tests follow the links in the mails.

use std::time::Duration;

use portcullis::config::{Settings, TlsMode};
use portcullis::storage::{AuditKind, NewUser, User};

use crate::helpers::*;
use crate::smtp::{Inbox, Received};

const ALICE_MAIL: &str = "alice@example.com";
const NEW_PASSWORD: &str = "a freshly chosen passphrase";

fn with_mail(settings: &mut Settings, inbox: &Inbox) {
    settings.email.enabled = true;
    settings.email.smtp_host = "127.0.0.1".into();
    settings.email.smtp_port = inbox.port;
    settings.email.tls = TlsMode::None;
    settings.email.from = "Portcullis <no-reply@example.com>".into();
}

async fn mail_app() -> (TestApp, Inbox) {
    mail_app_with(|_| {}).await
}

async fn mail_app_with(configure: impl FnOnce(&mut Settings)) -> (TestApp, Inbox) {
    let inbox = Inbox::start().await;
    let app = spawn_app_with(|s| {
        with_mail(s, &inbox);
        configure(s);
    })
    .await;
    (app, inbox)
}

async fn get(app: &TestApp, browser: &reqwest::Client, path: &str) -> reqwest::Response {
    browser.get(app.url(path)).send().await.unwrap()
}

async fn post(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    browser.post(app.url(path)).form(form).send().await.unwrap()
}

/// Asks for a reset for `login` in a fresh browser; returns the answer's status, Location and
/// the page it leads to.
async fn ask_reset(app: &TestApp, login: &str) -> (u16, String, String) {
    let browser = http_client(true);
    let page = get(app, &browser, "/password/forgot").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf_token");
    let res = post(
        app,
        &browser,
        "/password/forgot",
        &[("csrf_token", &csrf), ("login", login)],
    )
    .await;
    let status = res.status().as_u16();
    let loc = location(&res);
    let page = get(app, &browser, &loc).await.text().await.unwrap();
    (status, loc, page)
}

/// Opens a reset link and submits `password` twice; returns the answer.
async fn use_reset_link(
    app: &TestApp,
    browser: &reqwest::Client,
    link: &str,
    password: &str,
) -> reqwest::Response {
    let page = get(app, browser, link).await;
    assert_eq!(page.status(), 200, "reset page");
    let page = page.text().await.unwrap();
    let form = [
        ("token", hidden(&page, "token")),
        ("csrf_token", hidden(&page, "csrf_token")),
        ("username", hidden(&page, "username")),
        ("new_password", password.to_string()),
        ("confirm_password", password.to_string()),
    ];
    browser.post(app.url("/reset")).form(&form).send().await.unwrap()
}

async fn password_works(app: &TestApp, username: &str, password: &str) -> bool {
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(&[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    res.status() == 200
}

async fn events(app: &TestApp, kind: AuditKind) -> usize {
    let all = app.ctx().store.recent_events(500).await.unwrap();
    all.iter().filter(|e| e.kind == kind).count()
}

async fn user(app: &TestApp, username: &str) -> User {
    app.ctx().store.user_by_username(username).await.unwrap().unwrap()
}

async fn add_user(app: &TestApp, username: &str, email: &str, verified: bool) -> User {
    let hash = app.ctx().hasher.hash(PASSWORD.into()).await.unwrap();
    app.ctx()
        .store
        .create_user(NewUser {
            id: portcullis::random::random_id(),
            username: username.into(),
            email: Some(email.into()),
            email_verified: verified,
            name: None,
            password_hash: hash,
            created_at: app.clock.now() - 10,
        })
        .await
        .unwrap()
}

/// The login page of a fresh authorization request of the web-app, in `browser`.
async fn login_page(app: &TestApp, browser: &reqwest::Client) -> String {
    let (_, challenge) = pkce_pair();
    let res = browser
        .get(app.url("/authorize"))
        .query(&app.code_request("st", "n", &challenge, "openid email"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// N.1: "Forgot password?" appears on the login page only when mail is configured.
#[tokio::test]
async fn forgot_password_link_shows_only_when_email_is_configured() {
    let plain = spawn_app().await;
    let page = login_page(&plain, &http_client(true)).await;
    assert!(!page.contains("/password/forgot"));
    assert_eq!(
        get(&plain, &plain.browser, "/password/forgot").await.status(),
        404
    );

    let (app, _inbox) = mail_app().await;
    let page = login_page(&app, &http_client(true)).await;
    assert!(page.contains("href=\"/password/forgot\""), "{page}");
}

/// N.1: the same answer whether or not an account matches; only a real account gets mail.
#[tokio::test]
async fn reset_request_answers_the_same_whether_or_not_the_account_exists() {
    let (app, inbox) = mail_app().await;
    let known = ask_reset(&app, USERNAME).await;
    let unknown = ask_reset(&app, "nobody-at-all").await;
    let unknown_mail = ask_reset(&app, "nobody@example.com").await;
    assert_eq!(known.0, 303);
    assert_eq!(known, unknown);
    assert_eq!(known, unknown_mail);
    assert!(known.2.contains("Check your mail"));
    let mail = inbox.wait_for(ALICE_MAIL, 1).await;
    assert!(
        mail.data.contains("Subject: Reset your password"),
        "{}",
        mail.data
    );
    assert_eq!(inbox.settled_count(ALICE_MAIL).await, 1);
    assert_eq!(inbox.all().len(), 1, "mail only for the real account");
}

/// N.1: an account may be named by its email address too.
#[tokio::test]
async fn reset_by_email_address_mails_the_account() {
    let (app, inbox) = mail_app().await;
    ask_reset(&app, "Alice@Example.com").await;
    let mail = inbox.wait_for(ALICE_MAIL, 1).await;
    assert!(mail.link("/reset").starts_with("/reset?token="));
}

/// N.2-N.4: the link opens a form (CSRF-protected, POST then 303); the new password works, the
/// old one not; every other session and refresh token family of the user ends; audited.
#[tokio::test]
async fn reset_link_sets_a_new_password_and_ends_sessions_and_families() {
    let (app, inbox) = mail_app().await;
    // A signed-in browser and a refresh token from before.
    let (code, verifier) = app.login_for_code("openid offline_access").await;
    let tokens = app.exchange(&code, &verifier).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(get(&app, &app.browser, "/account").await.status(), 200);

    ask_reset(&app, USERNAME).await;
    let link = inbox.wait_for(ALICE_MAIL, 1).await.link("/reset");
    let other = http_client(true);
    let res = use_reset_link(&app, &other, &link, NEW_PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/reset/done");
    let done = get(&app, &other, "/reset/done").await.text().await.unwrap();
    assert!(done.contains("Your password is changed"));

    assert!(password_works(&app, USERNAME, NEW_PASSWORD).await);
    assert!(!password_works(&app, USERNAME, PASSWORD).await);
    let res = refresh(&app, &refresh_token, None).await;
    error_body(res, 400, "invalid_grant").await;
    let account = get(&app, &app.browser, "/account").await.text().await.unwrap();
    assert!(
        account.contains("action=\"/login\""),
        "the old browser is signed out"
    );
    assert_eq!(events(&app, AuditKind::PasswordReset).await, 1);
    assert_eq!(events(&app, AuditKind::PasswordResetRequested).await, 1);
}

/// N.2: a reset link works once.
#[tokio::test]
async fn reset_link_is_single_use() {
    let (app, inbox) = mail_app().await;
    ask_reset(&app, USERNAME).await;
    let link = inbox.wait_for(ALICE_MAIL, 1).await.link("/reset");
    let browser = http_client(true);
    // Loading the form again does not spend it.
    assert_eq!(get(&app, &browser, &link).await.status(), 200);
    let res = use_reset_link(&app, &browser, &link, NEW_PASSWORD).await;
    assert_eq!(res.status(), 303);
    let again = get(&app, &browser, &link).await;
    assert_eq!(again.status(), 400);
    assert!(again.text().await.unwrap().contains("This link has been used"));
}

/// N.2: a reset link expires after `email.link_ttl_secs`.
#[tokio::test]
async fn reset_link_expires() {
    let (app, inbox) = mail_app().await;
    ask_reset(&app, USERNAME).await;
    let link = inbox.wait_for(ALICE_MAIL, 1).await.link("/reset");
    app.clock.advance(Duration::from_secs(30 * 60 + 1));
    let res = get(&app, &http_client(true), &link).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("This link has expired"));
}

/// N.2: a reset link stops working once the password changes, by any way.
#[tokio::test]
async fn reset_link_dies_when_the_password_changes() {
    let (app, inbox) = mail_app().await;
    ask_reset(&app, USERNAME).await;
    let link = inbox.wait_for(ALICE_MAIL, 1).await.link("/reset");
    let ctx = app.ctx();
    portcullis::accounts::users::change_password(
        &ctx.store,
        &ctx.hasher,
        &ctx.clock,
        &app.user_id,
        NEW_PASSWORD.into(),
    )
    .await
    .unwrap();
    let res = get(&app, &http_client(true), &link).await;
    assert_eq!(res.status(), 400);
}

/// N.2: a link whose token was changed (or made up) is refused; the password stays.
#[tokio::test]
async fn reset_link_cannot_be_forged() {
    let (app, inbox) = mail_app().await;
    ask_reset(&app, USERNAME).await;
    let link = inbox.wait_for(ALICE_MAIL, 1).await.link("/reset");
    let (payload, mac) = link.rsplit_once('.').unwrap();
    let (head, rest) = mac.split_at(1);
    let flipped = format!("{}{rest}", if head == "A" { "B" } else { "A" });
    for forged in [
        format!("{payload}.{flipped}"),
        "/reset?token=made.up".into(),
        "/reset".into(),
    ] {
        let res = get(&app, &http_client(true), &forged).await;
        assert_eq!(res.status(), 400, "{forged}");
        assert!(res.text().await.unwrap().contains("This link is not valid"));
    }
    assert!(password_works(&app, USERNAME, PASSWORD).await);
}

/// N.4 (D.20): the reset form needs its CSRF token from this browser.
#[tokio::test]
async fn reset_form_requires_its_csrf_token() {
    let (app, inbox) = mail_app().await;
    ask_reset(&app, USERNAME).await;
    let link = inbox.wait_for(ALICE_MAIL, 1).await.link("/reset");
    let browser = http_client(true);
    let page = get(&app, &browser, &link).await.text().await.unwrap();
    let token = hidden(&page, "token");
    let csrf = hidden(&page, "csrf_token");
    let base = [
        ("token", token.as_str()),
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    let res = post(&app, &browser, "/reset", &base).await;
    assert_eq!(res.status(), 400);
    // Another browser cannot use this browser's form.
    let mut with_csrf = base.to_vec();
    with_csrf.push(("csrf_token", &csrf));
    let res = post(&app, &http_client(true), "/reset", &with_csrf).await;
    assert_eq!(res.status(), 400);
    assert!(password_works(&app, USERNAME, PASSWORD).await);
}

/// N.6: the reset form refuses a common password, keeps the link usable, and says why.
#[tokio::test]
async fn reset_refuses_a_common_password_and_keeps_the_link() {
    let (app, inbox) = mail_app().await;
    ask_reset(&app, USERNAME).await;
    let link = inbox.wait_for(ALICE_MAIL, 1).await.link("/reset");
    let browser = http_client(true);
    let res = use_reset_link(&app, &browser, &link, "iloveyou1").await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(page.contains("most common passwords"), "{page}");
    let res = use_reset_link(&app, &browser, &link, USERNAME).await;
    assert_eq!(res.status(), 400);
    let res = use_reset_link(&app, &browser, &link, NEW_PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert!(password_works(&app, USERNAME, NEW_PASSWORD).await);
}

/// N.5: past `email.per_recipient` mails to one address the answer is the same, without mail.
#[tokio::test]
async fn mail_is_limited_per_recipient_with_the_same_answer() {
    let (app, inbox) = mail_app_with(|s| s.email.per_recipient = 2).await;
    let first = ask_reset(&app, USERNAME).await;
    let second = ask_reset(&app, USERNAME).await;
    let third = ask_reset(&app, USERNAME).await;
    assert_eq!(first, second);
    assert_eq!(first, third);
    inbox.wait_for(ALICE_MAIL, 2).await;
    assert_eq!(inbox.settled_count(ALICE_MAIL).await, 2);
    assert_eq!(events(&app, AuditKind::MailLimited).await, 1);
}

/// N.5: past `email.per_ip` requests from one address, no mail to anyone, same answer.
#[tokio::test]
async fn mail_is_limited_per_client_address() {
    let (app, inbox) = mail_app_with(|s| s.email.per_ip = 2).await;
    add_user(&app, "bob", "bob@example.com", true).await;
    let first = ask_reset(&app, "someone-unknown").await;
    ask_reset(&app, USERNAME).await;
    let third = ask_reset(&app, "bob").await;
    assert_eq!(first, third);
    inbox.wait_for(ALICE_MAIL, 1).await;
    assert_eq!(inbox.settled_count("bob@example.com").await, 0);
}

/// N.3: a verification link, asked for from the account page, verifies the address once (the
/// `email_verified` claim follows).
#[tokio::test]
async fn verification_link_verifies_the_address_once() {
    let (app, inbox) = mail_app().await;
    add_user(&app, "carol", "carol@example.com", false).await;
    let browser = http_client(true);
    let page = get(&app, &browser, "/account").await.text().await.unwrap();
    let form = [
        ("request_id", hidden(&page, "request_id")),
        ("csrf_token", hidden(&page, "csrf_token")),
        ("username", "carol".to_string()),
        ("password", PASSWORD.to_string()),
    ];
    let res = browser.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let account = get(&app, &browser, "/account").await.text().await.unwrap();
    assert!(account.contains("action=\"/account/email/verify\""), "{account}");
    let csrf = hidden(
        &account[account.find("/account/email/verify").unwrap()..],
        "csrf_token",
    );
    let res = post(&app, &browser, "/account/email/verify", &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account?notice=verification-sent");

    let mail = inbox.wait_for("carol@example.com", 1).await;
    assert!(mail.data.contains("Subject: Confirm your email address"));
    let link = mail.link("/email/verify");
    let res = get(&app, &http_client(false), &link).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/email/verified");
    assert!(user(&app, "carol").await.email_verified);
    let claims = userinfo_of(&app, "carol").await;
    assert_eq!(claims["email_verified"], true);
    let again = get(&app, &http_client(false), &link).await;
    assert_eq!(again.status(), 400);
    assert_eq!(events(&app, AuditKind::EmailVerified).await, 1);
}

/// N.3: changing the address on the account page mails a verification link to the new address,
/// and following it verifies the new address.
#[tokio::test]
async fn changed_address_gets_a_verification_link() {
    let (app, inbox) = mail_app().await;
    add_user(&app, "carol", "carol@example.com", true).await;
    let browser = http_client(true);
    let page = get(&app, &browser, "/account").await.text().await.unwrap();
    let form = [
        ("request_id", hidden(&page, "request_id")),
        ("csrf_token", hidden(&page, "csrf_token")),
        ("username", "carol".to_string()),
        ("password", PASSWORD.to_string()),
    ];
    let res = browser.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let account = get(&app, &browser, "/account").await.text().await.unwrap();
    let csrf = hidden(
        &account[account.find("/account/profile").unwrap()..],
        "csrf_token",
    );
    let res = post(
        &app,
        &browser,
        "/account/profile",
        &[
            ("csrf_token", &csrf),
            ("name", "Carol"),
            ("email", "carol@new.example"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(!user(&app, "carol").await.email_verified);

    let mail = inbox.wait_for("carol@new.example", 1).await;
    let link = mail.link("/email/verify");
    let res = get(&app, &http_client(false), &link).await;
    assert_eq!(res.status(), 303);
    let carol = user(&app, "carol").await;
    assert_eq!(carol.email.as_deref(), Some("carol@new.example"));
    assert!(carol.email_verified);
}

/// N.3: a verification link stops working when the address changes.
#[tokio::test]
async fn verification_link_dies_when_the_address_changes() {
    let (app, inbox) = mail_app().await;
    let carol = add_user(&app, "carol", "carol@example.com", false).await;
    let sent = portcullis::accounts::verify::send_verification(app.ctx(), &carol)
        .await
        .unwrap();
    assert_eq!(sent, portcullis::accounts::verify::Sent::Sent);
    let link = inbox.wait_for("carol@example.com", 1).await.link("/email/verify");
    app.ctx().store.delete_user(&carol.id).await.unwrap();
    add_user(&app, "carol", "carol-new@example.com", false).await;
    let res = get(&app, &http_client(false), &link).await;
    assert_eq!(res.status(), 400);
    assert!(!user(&app, "carol").await.email_verified);
}

/// `/userinfo` for `username` (password `PASSWORD`), through the password grant.
async fn userinfo_of(app: &TestApp, username: &str) -> serde_json::Value {
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(&[
            ("grant_type", "password"),
            ("username", username),
            ("password", PASSWORD),
            ("scope", "openid email"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let res = get_userinfo(app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// N.7: sign-up is off by default, and when on only for clients that allow it.
#[tokio::test]
async fn signup_is_offered_only_when_enabled_and_only_by_allowing_clients() {
    let (app, _inbox) = mail_app().await;
    app.ctx()
        .store
        .set_client_signup(CONFIDENTIAL_ID, true)
        .await
        .unwrap();
    let browser = http_client(true);
    let page = login_page(&app, &browser).await;
    assert!(!page.contains("/signup"), "off by default");
    let request_id = hidden(&page, "request_id");
    let res = get(&app, &browser, &format!("/signup?request_id={request_id}")).await;
    assert_eq!(res.status(), 404);
    assert_eq!(get(&app, &browser, "/signup").await.status(), 404);

    let (app, _inbox) = mail_app_with(|s| s.signup.enabled = true).await;
    let page = login_page(&app, &http_client(true)).await;
    assert!(
        !page.contains("/signup"),
        "not for a client without --allow-signup"
    );
    app.ctx()
        .store
        .set_client_signup(CONFIDENTIAL_ID, true)
        .await
        .unwrap();
    let page = login_page(&app, &http_client(true)).await;
    assert!(page.contains("href=\"/signup?request_id="), "{page}");
}

/// Opens the sign-up form from a fresh authorization request in `browser`.
async fn signup_form(app: &TestApp, browser: &reqwest::Client) -> String {
    let page = login_page(app, browser).await;
    let request_id = hidden(&page, "request_id");
    let res = get(app, browser, &format!("/signup?request_id={request_id}")).await;
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn submit_signup(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    fields: (&str, &str, &str),
) -> reqwest::Response {
    let (username, email, password) = fields;
    let form = [
        ("request_id", hidden(page, "request_id")),
        ("csrf_token", hidden(page, "csrf_token")),
        ("username", username.to_string()),
        ("email", email.to_string()),
        ("password", password.to_string()),
        ("confirm_password", password.to_string()),
    ];
    browser.post(app.url("/signup")).form(&form).send().await.unwrap()
}

/// N.7: sign-up makes an account with its address not verified, signs the person in and the
/// authorization request goes on to the client; the verification link arrives by mail.
#[tokio::test]
async fn signup_creates_an_unverified_account_and_continues_the_authorization_request() {
    let (app, inbox) = mail_app_with(|s| s.signup.enabled = true).await;
    app.ctx()
        .store
        .set_client_signup(CONFIDENTIAL_ID, true)
        .await
        .unwrap();
    let browser = http_client(true);
    let page = signup_form(&app, &browser).await;
    let res = submit_signup(&app, &browser, &page, ("dave", "dave@example.com", NEW_PASSWORD)).await;
    assert_eq!(res.status(), 303);
    let loc = location(&res);
    assert!(loc.starts_with(REDIRECT_URI), "{loc}");
    assert!(param(&location_params(&res), "code").is_some());
    let dave = user(&app, "dave").await;
    assert!(!dave.email_verified);
    assert_eq!(events(&app, AuditKind::SignedUp).await, 1);
    let link = inbox.wait_for("dave@example.com", 1).await.link("/email/verify");
    assert_eq!(get(&app, &http_client(false), &link).await.status(), 303);
    assert!(user(&app, "dave").await.email_verified);
}

/// N.6-N.7: sign-up refuses a taken username and passwords against the policy, and says why.
#[tokio::test]
async fn signup_refuses_a_taken_username_and_weak_passwords() {
    let (app, inbox) = mail_app_with(|s| s.signup.enabled = true).await;
    app.ctx()
        .store
        .set_client_signup(CONFIDENTIAL_ID, true)
        .await
        .unwrap();
    let browser = http_client(true);
    let cases = [
        (
            USERNAME,
            "other@example.com",
            NEW_PASSWORD,
            "That username is taken",
        ),
        ("erin", "erin@example.com", "password1", "most common passwords"),
        (
            "erin",
            "erin@example.com",
            "erin@example.com",
            "not be your username or email",
        ),
        ("erin", "erin@example.com", "short", "at least 8 characters"),
        ("erin", "not-an-address", NEW_PASSWORD, "Enter an email address"),
    ];
    for (username, email, password, message) in cases {
        let page = signup_form(&app, &browser).await;
        let res = submit_signup(&app, &browser, &page, (username, email, password)).await;
        assert_eq!(res.status(), 400, "{username} {password}");
        let page = res.text().await.unwrap();
        assert!(page.contains(message), "{message}: {page}");
    }
    assert!(app.ctx().store.user_by_username("erin").await.unwrap().is_none());
    assert_eq!(inbox.settled_count("erin@example.com").await, 0);
}

/// The SMTP receiver got a well-formed message: envelope, From, To, plain text.
#[tokio::test]
async fn mails_are_plain_text_from_the_configured_sender() {
    let (app, inbox) = mail_app().await;
    ask_reset(&app, USERNAME).await;
    let mail: Received = inbox.wait_for(ALICE_MAIL, 1).await;
    assert_eq!(mail.from, "no-reply@example.com");
    assert_eq!(mail.to, vec![ALICE_MAIL.to_string()]);
    assert!(
        mail.data.contains("From: Portcullis <no-reply@example.com>"),
        "{}",
        mail.data
    );
    assert!(
        mail.data.contains("Content-Type: text/plain; charset=utf-8"),
        "{}",
        mail.data
    );
    assert!(mail.body().contains(&format!("{}/reset?token=", app.address)));
}

/// N.6-N.7: `portcullis client add --allow-signup` offers sign-up for that client only, and
/// `user add` / `user passwd` apply the password policy with a message that says which rule.
#[tokio::test]
async fn cli_allows_signup_per_client_and_applies_the_password_policy() {
    let (app, _inbox) = mail_app_with(|s| s.signup.enabled = true).await;
    let url = secrecy::ExposeSecret::expose_secret(&app.state.settings.database.url).to_string();
    let cli = crate::cli::Cli::with_database(url);
    let store = &app.ctx().store;
    let add = |name: &str, extra: Option<&str>| {
        let mut args = vec![
            "client",
            "add",
            name,
            "--redirect-uri",
            "https://community.example/cb",
            "--json",
        ];
        args.extend(extra);
        cli.json(&args, None)["client_id"].as_str().unwrap().to_string()
    };
    let community = add("Community", Some("--allow-signup"));
    let plain = add("Plain", None);
    assert!(store.client_allows_signup(&community).await.unwrap());
    assert!(!store.client_allows_signup(&plain).await.unwrap());
    cli.fails(
        &[
            "client",
            "add",
            "Both",
            "--redirect-uri",
            "https://b.example/cb",
            "--allow-signup",
            "--no-password-login",
        ],
        None,
    );

    let add_frank = [
        "user",
        "add",
        "frank",
        "--email",
        "frank@example.com",
        "--password-stdin",
    ];
    let err = cli.fails(&add_frank, Some("iloveyou1\n"));
    assert!(err.contains("most common passwords"), "{err}");
    let err = cli.fails(&add_frank, Some("Frank@Example.com\n"));
    assert!(err.contains("not be your username or email"), "{err}");
    cli.ok(&add_frank, Some("a long enough password\n"));
    let err = cli.fails(
        &["user", "passwd", "frank", "--password-stdin"],
        Some("password1\n"),
    );
    assert!(err.contains("most common passwords"), "{err}");
}

/// The `Subject:` header, unfolded, its RFC 2047 encoded words (`=?utf-8?b?...?=`, `?q?`) decoded.
fn subject(mail: &Received) -> String {
    use base64::Engine;
    let head = mail.data.split("\r\n\r\n").next().unwrap_or_default();
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let line = unfolded
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or_else(|| panic!("no Subject in {head}"));
    let mut out = String::new();
    let mut last_encoded = false;
    for word in line.split(' ') {
        let encoded = word
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| {
                let mut parts = w.splitn(3, '?');
                let (_, enc, text) = (parts.next()?, parts.next()?, parts.next()?);
                let bytes = if enc.eq_ignore_ascii_case("b") {
                    base64::engine::general_purpose::STANDARD.decode(text).ok()?
                } else {
                    decode_q(text)
                };
                String::from_utf8(bytes).ok()
            });
        match encoded {
            Some(text) => {
                if !out.is_empty() && !last_encoded {
                    out.push(' ');
                }
                out.push_str(&text);
                last_encoded = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
                last_encoded = false;
            }
        }
    }
    out
}

/// RFC 2047 §4.2 "Q" encoding: `_` is a space, `=XX` a byte.
fn decode_q(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'_' => out.push(b' '),
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("3F");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// docs/guides/languages.md: a mail is in the language of the request that caused it. A reset
/// asked for with `Accept-Language: de` arrives in German, subject and body, and its link works;
/// one asked for in English stays English.
#[tokio::test]
async fn reset_mail_is_in_the_language_of_the_request() {
    let (app, inbox) = mail_app().await;
    let browser = http_client(true);
    let ask = |lang: &'static str| {
        let browser = browser.clone();
        let app = &app;
        async move {
            let page = browser
                .get(app.url("/password/forgot"))
                .header("Accept-Language", lang)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let form = [
                ("csrf_token", hidden(&page, "csrf_token")),
                ("login", USERNAME.to_string()),
            ];
            let res = browser
                .post(app.url("/password/forgot"))
                .header("Accept-Language", lang)
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 303);
        }
    };

    ask("de-DE,de;q=0.9").await;
    let mail = inbox.wait_for(ALICE_MAIL, 1).await;
    assert_eq!(subject(&mail), "Passwort zurücksetzen", "{}", mail.data);
    let body = mail.body();
    assert!(body.starts_with("Hallo alice,"), "{body}");
    assert!(
        body.contains(&format!("Passwort Ihres Kontos bei {}", app.address)),
        "{body}"
    );
    assert!(body.contains("innerhalb von 30 Minuten"), "{body}");
    assert!(!body.contains("Someone asked"), "{body}");
    let link = mail.link("/reset");
    let res = use_reset_link(&app, &http_client(true), &link, NEW_PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/reset/done");
    assert!(password_works(&app, USERNAME, NEW_PASSWORD).await);

    ask("en").await;
    let mail = inbox.wait_for(ALICE_MAIL, 2).await;
    assert_eq!(subject(&mail), "Reset your password", "{}", mail.data);
    assert!(mail.body().starts_with("Hello alice,"), "{}", mail.data);
}

/// docs/guides/languages.md: the verification mail asked for from a German account page is in
/// German too, and its link verifies the address.
#[tokio::test]
async fn verification_mail_is_in_the_language_of_the_request() {
    let (app, inbox) = mail_app().await;
    add_user(&app, "carol", "carol@example.com", false).await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(
            [(
                reqwest::header::ACCEPT_LANGUAGE,
                reqwest::header::HeaderValue::from_static("de"),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .unwrap();
    let page = get(&app, &browser, "/account").await.text().await.unwrap();
    let form = [
        ("request_id", hidden(&page, "request_id")),
        ("csrf_token", hidden(&page, "csrf_token")),
        ("username", "carol".to_string()),
        ("password", PASSWORD.to_string()),
    ];
    let res = browser.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let account = get(&app, &browser, "/account").await.text().await.unwrap();
    let csrf = hidden(
        &account[account.find("/account/email/verify").unwrap()..],
        "csrf_token",
    );
    let res = post(&app, &browser, "/account/email/verify", &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status(), 303);

    let mail = inbox.wait_for("carol@example.com", 1).await;
    assert_eq!(
        subject(&mail),
        "Bestätigen Sie Ihre E-Mail-Adresse",
        "{}",
        mail.data
    );
    let body = mail.body();
    assert!(body.starts_with("Hallo carol,"), "{body}");
    assert!(body.contains("zu Ihrem Konto bei"), "{body}");
    let res = get(&app, &http_client(false), &mail.link("/email/verify")).await;
    assert_eq!(location(&res), "/email/verified");
    assert!(user(&app, "carol").await.email_verified);
}
