//! docs/security.md E.33 and D.20: the client address behind trusted proxies, limits that count
//! failures only (IPv6 by /64), the bounded hashing queue (503 with `Retry-After`), and lock
//! messages that say how long to wait.

use portcullis::config::Settings;
use portcullis::storage::{AuditEvent, AuditFilter, AuditKind};

use crate::authorize::assert_login_page;
use crate::helpers::*;

const INVALID: &str = "Incorrect username or password.";

/// A client that sends every request with `X-Forwarded-For: <ip>`, with or without cookies.
pub(crate) fn forwarded_client(cookies: bool, ip: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", ip.parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(cookies)
        .default_headers(headers)
        .build()
        .unwrap()
}

/// The test server's peer (127.0.0.1) is the trusted load balancer.
pub(crate) fn behind_proxy(s: &mut Settings) {
    s.http.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

/// The audit events of `kind`, newest first.
pub(crate) async fn events(app: &TestApp, kind: AuditKind) -> Vec<AuditEvent> {
    let filter = AuditFilter {
        kinds: vec![kind],
        ..AuditFilter::default()
    };
    app.ctx().store.audit_events(&filter).await.unwrap()
}

/// `grant_type=password` for alice from `client`.
async fn password_grant(app: &TestApp, client: &reqwest::Client, password: &str) -> reqwest::Response {
    client
        .post(app.url("/token"))
        .basic_auth(CONFIDENTIAL_ID, Some(&app.client_secret))
        .form(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// A login page of the web-app's flow in `browser`.
async fn login_page(app: &TestApp, browser: &reqwest::Client) -> String {
    let (_, challenge) = pkce_pair();
    let res = browser
        .get(app.url("/authorize"))
        .query(&app.code_request("st", "n", &challenge, "openid"))
        .send()
        .await
        .unwrap();
    assert_login_page(res).await
}

/// Posts the login form of `page` with `password` for alice; a refusal's 303 is followed to the
/// login page that shows it (docs/security.md O.1).
async fn post_login(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    password: &str,
) -> reqwest::Response {
    let form = [
        ("request_id", hidden(page, "request_id")),
        ("csrf_token", hidden(page, "csrf_token")),
        ("username", USERNAME.to_string()),
        ("password", password.to_string()),
    ];
    let res = browser.post(app.url("/login")).form(&form).send().await.unwrap();
    follow_refused(app, browser, res).await
}

/// The text of the login page's alert.
fn alert(page: &str) -> String {
    let at = page.find(r#"role="alert""#).expect("an alert");
    let p = at + page[at..].find("<p>").unwrap() + 3;
    let end = p + page[p..].find("</p>").unwrap();
    crate::authorize::unescape(&page[p..end])
}

/// E.33: behind a trusted proxy, the address it reports is the client's: in the audit log, in
/// the token family the account page lists, and for the limits.
#[tokio::test]
async fn trusted_proxy_header_sets_the_client_address() {
    let mut app = spawn_app_with(behind_proxy).await;
    app.browser = forwarded_client(true, "203.0.113.50");
    app.api = forwarded_client(false, "198.51.100.20");
    let page = login_page(&app, &app.browser).await;
    let res = post_login(&app, &app.browser, &page, "wrong password").await;
    assert_eq!(res.status(), 401);
    let failure = &events(&app, AuditKind::LoginFailure).await[0];
    assert_eq!(failure.ip.as_deref(), Some("203.0.113.50"));
    assert_eq!(failure.detail, r#"{"reason":"wrong_password"}"#);

    let (code, verifier) = app.login_for_code("openid offline_access").await;
    app.exchange(&code, &verifier).await;
    let families = app
        .ctx()
        .store
        .active_families_for_user(&app.user_id, app.clock.now())
        .await
        .unwrap();
    assert_eq!(
        families[0].ip.as_deref(),
        Some("203.0.113.50"),
        "the account page's address"
    );
    let page = app.browser.get(app.url("/account")).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("203.0.113.50"));
    let success = &events(&app, AuditKind::LoginSuccess).await[0];
    assert_eq!(success.ip.as_deref(), Some("203.0.113.50"));
}

/// E.33: an untrusted peer's forwarded header is ignored: it neither changes the recorded
/// address nor gets a fresh budget for each forged value.
#[tokio::test]
async fn untrusted_peers_forged_forwarded_header_is_ignored() {
    let app = spawn_app_with(|s| {
        s.rate_limit.attempts_per_ip = 2;
        s.rate_limit.failures_per_user = 100;
    })
    .await;
    for forged in ["198.51.100.1", "198.51.100.2"] {
        let res = password_grant(&app, &forwarded_client(false, forged), "wrong password").await;
        error_body(res, 400, "invalid_grant").await;
    }
    let failure = &events(&app, AuditKind::LoginFailure).await[0];
    assert_eq!(failure.ip.as_deref(), Some("127.0.0.1"), "the TCP peer");
    let res = password_grant(&app, &forwarded_client(false, "198.51.100.3"), PASSWORD).await;
    let body = error_body(res, 400, "invalid_grant").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("try again in 15 minutes"),
        "the peer's budget is spent: {body}"
    );
}

/// E.33: behind a trusted proxy every client has its own budget: one client's failures do not
/// lock out the others who share the balancer's address.
#[tokio::test]
async fn clients_behind_a_trusted_proxy_have_their_own_budgets() {
    let app = spawn_app_with(|s| {
        behind_proxy(s);
        s.rate_limit.attempts_per_ip = 2;
        s.rate_limit.failures_per_user = 100;
    })
    .await;
    let guesser = forwarded_client(false, "198.51.100.66");
    for _ in 0..2 {
        error_body(
            password_grant(&app, &guesser, "guess").await,
            400,
            "invalid_grant",
        )
        .await;
    }
    error_body(
        password_grant(&app, &guesser, PASSWORD).await,
        400,
        "invalid_grant",
    )
    .await;
    let neighbour = forwarded_client(false, "198.51.100.67");
    assert_eq!(password_grant(&app, &neighbour, PASSWORD).await.status(), 200);
}

/// E.33: successful logins do not consume the address's budget.
#[tokio::test]
async fn success_does_not_consume_the_address_budget() {
    let app = spawn_app_with(|s| s.rate_limit.attempts_per_ip = 2).await;
    for i in 0..5 {
        let res = password_grant(&app, &app.api, PASSWORD).await;
        assert_eq!(res.status(), 200, "sign-in {i}");
    }
    let page = login_page(&app, &app.browser).await;
    let res = post_login(&app, &app.browser, &page, PASSWORD).await;
    assert_eq!(res.status(), 303, "the login form too");
}

/// E.33: two IPv6 addresses in one /64 share a counter; the next /64 has its own.
#[tokio::test]
async fn two_ipv6_addresses_in_one_64_share_a_counter() {
    let app = spawn_app_with(|s| {
        behind_proxy(s);
        s.rate_limit.attempts_per_ip = 2;
        s.rate_limit.failures_per_user = 100;
    })
    .await;
    for ip in ["2001:db8:5:1::1", "2001:db8:5:1:aaaa:bbbb:cccc:dddd"] {
        let res = password_grant(&app, &forwarded_client(false, ip), "guess").await;
        error_body(res, 400, "invalid_grant").await;
    }
    let same_64 = forwarded_client(false, "[2001:db8:5:1::99]:5555");
    let body = error_body(
        password_grant(&app, &same_64, PASSWORD).await,
        400,
        "invalid_grant",
    )
    .await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("try again in"),
        "{body}"
    );
    let next_64 = forwarded_client(false, "2001:db8:5:2::1");
    assert_eq!(password_grant(&app, &next_64, PASSWORD).await.status(), 200);
}

/// D.20: the attempt before the lock warns how long the lock will last; the lock says how long
/// is left, counted down by the clock.
#[tokio::test]
async fn login_warns_before_the_lock_and_says_how_long_to_wait() {
    let app = spawn_app().await;
    let mut page = login_page(&app, &app.browser).await;
    let mut messages = Vec::new();
    for _ in 0..5 {
        let res = post_login(&app, &app.browser, &page, "wrong password").await;
        assert_eq!(res.status(), 401);
        page = res.text().await.unwrap();
        messages.push(alert(&page));
    }
    assert_eq!(messages[0], INVALID);
    assert_eq!(
        messages[3],
        "Incorrect username or password. One more failed attempt will lock sign-in for 15 minutes."
    );
    assert_eq!(messages[4], "Too many sign-in attempts. Try again in 15 minutes.");
    app.clock.advance(std::time::Duration::from_secs(10 * 60));
    let res = post_login(&app, &app.browser, &page, PASSWORD).await;
    assert_eq!(
        alert(&res.text().await.unwrap()),
        "Too many sign-in attempts. Try again in 5 minutes."
    );
    let lockouts = events(&app, AuditKind::LoginLockout).await;
    assert_eq!(lockouts.len(), 1);
    assert_eq!(lockouts[0].user_id.as_deref(), Some(app.user_id.as_str()));
    let refused = &events(&app, AuditKind::LoginFailure).await[0];
    assert!(
        refused.detail.contains(r#""reason":"locked""#),
        "{}",
        refused.detail
    );
}

/// E.33: past `argon2.queue_limit` waiting checks the answer is 503 with `Retry-After`: the
/// `temporarily_unavailable` JSON at the token endpoint, the error page at the login form.
#[tokio::test]
async fn hash_queue_bound_gives_503_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.argon2.memory_kib = 4096;
        s.argon2.iterations = 16;
        s.argon2.threads = 1;
        s.argon2.queue_limit = 1;
    })
    .await;
    let grants = (0..6).map(|_| password_grant(&app, &app.api, "wrong password"));
    let answers = futures_util::future::join_all(grants).await;
    let busy: Vec<_> = answers.into_iter().filter(|r| r.status() == 503).collect();
    assert!(
        busy.len() >= 3,
        "one hashes, one waits, the rest are refused: {}",
        busy.len()
    );
    let res = busy.into_iter().next().unwrap();
    assert_eq!(header(&res, "retry-after"), "5");
    error_body(res, 503, "temporarily_unavailable").await;

    let mut pages = Vec::new();
    for _ in 0..6 {
        pages.push(login_page(&app, &app.browser).await);
    }
    let logins = pages
        .iter()
        .map(|p| post_login(&app, &app.browser, p, "wrong password"));
    let answers = futures_util::future::join_all(logins).await;
    let busy = answers
        .into_iter()
        .find(|r| r.status() == 503)
        .expect("a 503 page");
    assert_eq!(header(&busy, "retry-after"), "5");
    let page = busy.text().await.unwrap();
    assert!(page.contains("Temporarily unavailable"), "{page}");
}
