//! Sign-in through an upstream OpenID provider (docs/guides/federation.md, docs/security.md I):
//! a second Portcullis, started in the test, is the upstream ("corp"); the downstream is the
//! Portcullis under test, its relying party. Each has its own browser (cookie jar): cookies do not
//! tell ports apart, and two real sites never share cookies.

use std::net::TcpListener;
use std::time::Duration;

use portcullis::Clock;
use portcullis::config::upstream::{LinkBy, Provisioning};
use portcullis::config::{Settings, UpstreamSettings};
use portcullis::digest::sha256_hex;
use portcullis::random::{random_id, secret_256};
use portcullis::storage::{AuditFilter, AuditKind, Client, NewUser};
use secrecy::SecretString;
use serde_json::Value;

use crate::helpers::*;

const CORP: &str = "corp";
const RP_CLIENT: &str = "downstream-portcullis";
const CAROL: &str = "carol";
const CAROL_EMAIL: &str = "carol@corp.example";

/// The upstream entry of the downstream's configuration.
fn corp(issuer: &str, secret: &str, link_by: LinkBy, provisioning: Provisioning) -> UpstreamSettings {
    let toml = format!(
        "id = \"{CORP}\"\nname = \"Corp SSO\"\nissuer = \"{issuer}\"\nclient_id = \"{RP_CLIENT}\"\n\
         domains = [\"corp.example\"]\n"
    );
    let mut u: UpstreamSettings = toml::from_str(&toml).unwrap();
    u.client_secret = Some(SecretString::from(secret.to_string()));
    u.link_by = link_by;
    u.provisioning = provisioning;
    u
}

/// Short retries, so a provider that comes up late is found within the test.
fn fast_retries(s: &mut Settings) {
    s.federation.discovery_retry_initial_ms = 50;
    s.federation.discovery_retry_max_secs = 1;
}

struct Federation {
    upstream: TestApp,
    downstream: TestApp,
}

/// The upstream (with `carol`, known only there), and a downstream configured with it.
async fn federation(link_by: LinkBy, provisioning: Provisioning) -> Federation {
    let upstream = spawn_app().await;
    add_user(&upstream, CAROL, CAROL_EMAIL).await;
    let secret = secret_256();
    let issuer = upstream.address.clone();
    let downstream = spawn_app_with(|s| {
        s.upstream = vec![corp(&issuer, &secret, link_by, provisioning)];
        fast_retries(s);
    })
    .await;
    register_downstream(&upstream, &downstream, &secret).await;
    wait_until_discovered(&downstream).await;
    Federation { upstream, downstream }
}

async fn add_user(app: &TestApp, username: &str, email: &str) -> String {
    let hash = app.ctx().hasher.hash(PASSWORD.into()).await.unwrap();
    let user = app
        .ctx()
        .store
        .create_user(NewUser {
            id: random_id(),
            username: username.into(),
            email: Some(email.into()),
            email_verified: true,
            name: Some(format!("{username} at corp")),
            password_hash: hash,
            created_at: app.clock.now() - 10,
        })
        .await
        .unwrap();
    user.id
}

/// The downstream, registered at the upstream as a first-party confidential client.
async fn register_downstream(upstream: &TestApp, downstream: &TestApp, secret: &str) {
    let client = Client {
        client_id: RP_CLIENT.into(),
        name: "Downstream".into(),
        secret_hash: Some(sha256_hex(secret)),
        redirect_uris: vec![downstream.url("/upstream/corp/callback")],
        first_party: true,
        ..upstream
            .ctx()
            .store
            .client_by_id(CONFIDENTIAL_ID)
            .await
            .unwrap()
            .unwrap()
    };
    upstream.ctx().store.create_client(client).await.unwrap();
}

/// Polls (not an expiry: discovery is real network I/O in the background) until the downstream
/// has discovered the upstream.
async fn wait_until_discovered(downstream: &TestApp) {
    for _ in 0..200 {
        if downstream.ctx().upstreams.get(CORP).unwrap().is_available() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the upstream was never discovered");
}

/// `href` of the first upstream button on a login page, unescaped.
fn button_href(page: &str) -> String {
    let at = page
        .find("href=\"/upstream/")
        .or_else(|| page.find("href=\"&#x2f;upstream"))
        .expect("an upstream button");
    let rest = &page[at + 6..];
    let end = rest.find('"').unwrap();
    rest[..end]
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#x3f;", "?")
        .replace("&amp;", "&")
}

/// The browser goes to the upstream and signs in there as `username`; returns the upstream's
/// redirect back to the downstream's callback.
async fn sign_in_upstream(f: &Federation, to_upstream: &str, username: &str) -> String {
    let res = f.upstream.browser.get(to_upstream).send().await.unwrap();
    // Signed in at the upstream already: it answers at once.
    let res = if res.status() == 200 {
        let page = res.text().await.unwrap();
        f.upstream.submit_login(&page, username, PASSWORD).await
    } else {
        res
    };
    assert_eq!(res.status(), 303, "the upstream answers the downstream");
    let back = location(&res);
    assert!(
        back.starts_with(&f.downstream.url("/upstream/corp/callback?")),
        "{back}"
    );
    back
}

/// From the downstream's login page (for the confidential client) to the upstream: returns (the
/// URL of the upstream's authorization request, the PKCE verifier of the downstream's client).
async fn start_at_downstream(f: &Federation, extra: &[(&str, &str)]) -> (String, String) {
    let d = &f.downstream;
    let (verifier, challenge) = pkce_pair();
    let mut params = d.code_request("st", "n-0S6_WzA2Mj", &challenge, "openid profile email");
    params.extend_from_slice(extra);
    let res = d.authorize(&params).await;
    let start = if res.status() == 200 {
        let page = res.text().await.unwrap();
        assert!(page.contains("Sign in with Corp SSO"), "one button per upstream");
        d.url(&button_href(&page))
    } else {
        assert_eq!(
            res.status(),
            303,
            "home-realm discovery goes straight to the upstream"
        );
        d.url(&location(&res))
    };
    let res = d.browser.get(&start).send().await.unwrap();
    assert_eq!(res.status(), 303, "start sends the browser to the upstream");
    let to_upstream = location(&res);
    assert!(
        to_upstream.starts_with(&f.upstream.url("/authorize?")),
        "{to_upstream}"
    );
    (to_upstream, verifier)
}

/// Follows the upstream's answer at the downstream's callback; returns the response.
async fn callback(f: &Federation, back: &str) -> reqwest::Response {
    f.downstream.browser.get(back).send().await.unwrap()
}

/// The full login for `username`: the downstream's ID token claims.
async fn federated_id_token(f: &Federation, username: &str, extra: &[(&str, &str)]) -> Value {
    let (to_upstream, verifier) = start_at_downstream(f, extra).await;
    let back = sign_in_upstream(f, &to_upstream, username).await;
    let res = callback(f, &back).await;
    assert_eq!(res.status(), 303, "the pending request continues: the code");
    let params = location_params(&res);
    assert_eq!(param(&params, "state").as_deref(), Some("st"));
    let code = param(&params, "code").expect("a code for the client");
    let tokens = f.downstream.exchange(&code, &verifier).await;
    jwt_part(tokens["id_token"].as_str().unwrap(), 1)
}

async fn signed_in(app: &TestApp) -> bool {
    let res = app.browser.get(app.url("/account")).send().await.unwrap();
    let page = res.text().await.unwrap();
    !page.contains("name=\"password\"")
}

async fn audit_kinds(app: &TestApp, kind: AuditKind) -> Vec<Value> {
    let filter = AuditFilter {
        kinds: vec![kind],
        ..AuditFilter::default()
    };
    let events = app.ctx().store.audit_events(&filter).await.unwrap();
    events
        .iter()
        .map(|e| serde_json::from_str(&e.detail).unwrap())
        .collect()
}

/// I.4: a first sign-in provisions the local user, linked; the ID token says how the user signed
/// in (`amr` has `fed`) and where (`idp`). A second sign-in finds the same user by the link.
#[tokio::test]
async fn federated_login_provisions_the_user_and_the_id_token_says_fed_and_idp() {
    let f = federation(LinkBy::Subject, Provisioning::Auto).await;
    let claims = federated_id_token(&f, CAROL, &[]).await;
    let amr: Vec<&str> = claims["amr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(amr.contains(&"fed"), "{claims}");
    assert_eq!(claims["idp"], CORP);
    let store = &f.downstream.ctx().store;
    let carol = store.user_by_username(CAROL).await.unwrap().expect("provisioned");
    assert_eq!(claims["sub"], carol.id.as_str());
    assert_eq!(carol.email.as_deref(), Some(CAROL_EMAIL));
    assert!(carol.email_verified);
    let links = store.identity_links_for_user(&carol.id).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].upstream_id, CORP);
    assert!(
        !audit_kinds(&f.downstream, AuditKind::IdentityLinked)
            .await
            .is_empty()
    );

    let again = federated_id_token(&f, CAROL, &[("prompt", "login")]).await;
    assert_eq!(again["sub"], carol.id.as_str(), "found by the link");
    assert_eq!(
        store.list_users().await.unwrap().len(),
        2,
        "alice and carol, no duplicate"
    );
}

/// I.4: with `link_by = "email"`, the upstream's verified email finds the existing local user.
#[tokio::test]
async fn federated_login_links_an_existing_user_by_verified_email() {
    let f = federation(LinkBy::Email, Provisioning::ExistingOnly).await;
    // alice exists on both, with the same verified email.
    let claims = federated_id_token(&f, USERNAME, &[]).await;
    assert_eq!(
        claims["sub"],
        f.downstream.user_id.as_str(),
        "the existing local alice"
    );
    let links = f
        .downstream
        .ctx()
        .store
        .identity_links_for_user(&f.downstream.user_id)
        .await;
    assert_eq!(links.unwrap()[0].upstream_id, CORP);
}

/// I.4: with `link_by = "subject"` an equal email is never enough: a new user would be made, and
/// here its username is taken, so the sign-in is refused rather than handed alice's account.
#[tokio::test]
async fn email_is_not_linked_unless_link_by_email() {
    let f = federation(LinkBy::Subject, Provisioning::Auto).await;
    let (to_upstream, _) = start_at_downstream(&f, &[]).await;
    let back = sign_in_upstream(&f, &to_upstream, USERNAME).await;
    let res = callback(&f, &back).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("could not be set up"));
    assert!(!signed_in(&f.downstream).await, "no session");
}

/// I.4: `provisioning = "existing_only"` refuses an identity with no local user, on a clear page,
/// and creates nothing.
#[tokio::test]
async fn existing_only_refuses_an_unknown_user() {
    let f = federation(LinkBy::Email, Provisioning::ExistingOnly).await;
    let (to_upstream, _) = start_at_downstream(&f, &[]).await;
    let back = sign_in_upstream(&f, &to_upstream, CAROL).await;
    let res = callback(&f, &back).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("No account for this identity"));
    let store = &f.downstream.ctx().store;
    assert!(
        store.user_by_username(CAROL).await.unwrap().is_none(),
        "no user made"
    );
    assert!(!signed_in(&f.downstream).await, "no session");
    let refused = audit_kinds(&f.downstream, AuditKind::FederationRefused).await;
    assert_eq!(refused[0]["reason"], "unknown_user");
}

/// I.5: a `login_hint` in an upstream's domain goes straight there (no login page), and the hint
/// is passed on.
#[tokio::test]
async fn home_realm_discovery_by_login_hint() {
    let f = federation(LinkBy::Subject, Provisioning::Auto).await;
    let (to_upstream, _) = start_at_downstream(&f, &[("login_hint", CAROL_EMAIL)]).await;
    let url = url::Url::parse(&to_upstream).unwrap();
    let hint = url
        .query_pairs()
        .find(|(k, _)| k == "login_hint")
        .map(|(_, v)| v.into_owned());
    assert_eq!(hint.as_deref(), Some(CAROL_EMAIL));
    let other = f
        .downstream
        .authorize(&f.downstream.code_request("st", "n", &pkce_pair().1, "openid"))
        .await;
    assert_eq!(other.status(), 200, "without a hint: the login page");
}

/// I.3: `prompt=login` and `max_age` of the client's request are passed on to the upstream, whose
/// own session must not stand in for the fresh login the client asked for.
#[tokio::test]
async fn reauthentication_demands_are_passed_to_the_upstream() {
    let f = federation(LinkBy::Subject, Provisioning::Auto).await;
    let (to_upstream, _) = start_at_downstream(&f, &[("prompt", "login"), ("max_age", "0")]).await;
    let url = url::Url::parse(&to_upstream).unwrap();
    let get = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(get("prompt").as_deref(), Some("login"));
    assert_eq!(get("max_age").as_deref(), Some("0"));
}

/// I.5: an email of an upstream's domain typed as the username goes there before any password
/// check.
#[tokio::test]
async fn typed_email_of_an_upstream_domain_goes_to_the_upstream() {
    let f = federation(LinkBy::Subject, Provisioning::Auto).await;
    let d = &f.downstream;
    let res = d
        .authorize(&d.code_request("st", "n", &pkce_pair().1, "openid"))
        .await;
    let page = res.text().await.unwrap();
    let res = d.submit_login(&page, CAROL_EMAIL, "").await;
    assert_eq!(res.status(), 303);
    assert!(
        location(&res).starts_with("/upstream/corp/start?"),
        "{}",
        location(&res)
    );
}

/// I.3: an answer whose state was tampered with is refused on a clear page; no session, no user.
#[tokio::test]
async fn tampered_state_is_refused() {
    let f = federation(LinkBy::Subject, Provisioning::Auto).await;
    let (to_upstream, _) = start_at_downstream(&f, &[]).await;
    let back = sign_in_upstream(&f, &to_upstream, CAROL).await;
    let mut url = url::Url::parse(&back).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                format!("{v}x")
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let res = callback(&f, url.as_str()).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("This sign-in has expired"));
    assert!(
        f.downstream
            .ctx()
            .store
            .user_by_username(CAROL)
            .await
            .unwrap()
            .is_none()
    );
    assert!(!signed_in(&f.downstream).await);

    // The genuine answer still works once; its replay does not (single use).
    let res = callback(&f, &back).await;
    assert_eq!(res.status(), 303);
    let replay = callback(&f, &back).await;
    assert_eq!(replay.status(), 400);
}

/// I.3: the state is bound to the browser that started the sign-in.
#[tokio::test]
async fn answer_in_another_browser_is_refused() {
    let f = federation(LinkBy::Subject, Provisioning::Auto).await;
    let (to_upstream, _) = start_at_downstream(&f, &[]).await;
    let back = sign_in_upstream(&f, &to_upstream, CAROL).await;
    let other = http_client(true);
    let res = other.get(&back).send().await.unwrap();
    assert_eq!(res.status(), 400);
}

/// I.3: an ID token whose nonce is not the one sent (a code from another sign-in injected into
/// this one) is refused.
#[tokio::test]
async fn wrong_nonce_is_refused() {
    let f = federation(LinkBy::Subject, Provisioning::Auto).await;
    let (to_upstream, _) = start_at_downstream(&f, &[]).await;
    let mut url = url::Url::parse(&to_upstream).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "nonce" {
                "another-sign-ins-nonce".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let back = sign_in_upstream(&f, url.as_str(), CAROL).await;
    let res = callback(&f, &back).await;
    assert_eq!(res.status(), 502);
    assert!(res.text().await.unwrap().contains("could not be verified"));
    assert!(
        f.downstream
            .ctx()
            .store
            .user_by_username(CAROL)
            .await
            .unwrap()
            .is_none()
    );
    assert!(!signed_in(&f.downstream).await);
    let refused = audit_kinds(&f.downstream, AuditKind::FederationRefused).await;
    assert_eq!(refused[0]["reason"], "invalid_response");
}

/// I.3: `error=access_denied` from the upstream ends on a clear page.
#[tokio::test]
async fn upstream_access_denied_ends_on_a_clear_page() {
    let f = federation(LinkBy::Subject, Provisioning::Auto).await;
    let (to_upstream, _) = start_at_downstream(&f, &[]).await;
    let url = url::Url::parse(&to_upstream).unwrap();
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let denied = format!(
        "{}?error=access_denied&state={state}",
        f.downstream.url("/upstream/corp/callback")
    );
    let res = callback(&f, &denied).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Sign-in was not completed"));
}

/// I.2: when the provider rotates its signing key, the next sign-in fetches its keys again at once
/// rather than failing until the hourly discovery.
#[tokio::test]
async fn upstream_key_rotation_is_followed_at_once() {
    let f = federation(LinkBy::Subject, Provisioning::Auto).await;
    let u = &f.upstream;
    let keys = portcullis::keys::KeyStore {
        store: &u.ctx().store,
        clock: &u.clock,
    };
    let settings = &u.state.settings.keys;
    let rotated = portcullis::keys::rotate(
        keys,
        settings,
        portcullis::keys::Alg::Rs256,
        3600,
        portcullis::keys::Activation::Now,
    );
    let new_key = rotated.await.unwrap();
    u.ctx().keys.reload().await.unwrap();
    let claims = federated_id_token(&f, CAROL, &[]).await;
    assert_eq!(claims["idp"], CORP);
    use openidconnect::JsonWebKey;
    let metadata = f
        .downstream
        .ctx()
        .upstreams
        .get(CORP)
        .unwrap()
        .metadata()
        .unwrap();
    let kid = Some(new_key.kid.as_str());
    let known = metadata
        .jwks()
        .keys()
        .iter()
        .any(|k| k.key_id().map(|id| id.as_str()) == kid);
    assert!(known, "the new key was learnt by a discovery out of schedule");
}

/// I.2: a provider that is down when Portcullis starts does not stop it; its button says it is
/// unavailable and leads to a clear page; once the provider is up, discovery (retried with
/// backoff) finds it and the button works.
#[tokio::test]
async fn upstream_down_at_start_is_found_when_it_comes_up() {
    let reserved = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = reserved.local_addr().unwrap().port();
    drop(reserved);
    let issuer = format!("http://127.0.0.1:{port}");
    let secret = secret_256();
    let downstream = spawn_app_with(|s| {
        s.upstream = vec![corp(&issuer, &secret, LinkBy::Subject, Provisioning::Auto)];
        fast_retries(s);
    })
    .await;
    let d = &downstream;
    let res = d
        .authorize(&d.code_request("st", "n", &pkce_pair().1, "openid"))
        .await;
    assert_eq!(res.status(), 200, "the server is up");
    let page = res.text().await.unwrap();
    assert!(page.contains("(unavailable)"), "{page}");
    let res = d.browser.get(d.url(&button_href(&page))).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.text().await.unwrap().contains("Sign-in provider unavailable"));

    let dir = crate::tempdir::tempdir().unwrap();
    let settings = test_settings(dir.path());
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("the reserved port");
    let upstream = spawn_on(settings, dir, Clock::shifted(), listener).await;
    add_user(&upstream, CAROL, CAROL_EMAIL).await;
    register_downstream(&upstream, &downstream, &secret).await;
    wait_until_discovered(&downstream).await;
    let f = Federation { upstream, downstream };
    let claims = federated_id_token(&f, CAROL, &[]).await;
    assert_eq!(claims["idp"], CORP);
}

/// I.6: a client limited to upstream sign-in shows no password form and refuses a password,
/// even the right one; a client limited to other upstreams does not offer this one.
#[tokio::test]
async fn client_limited_to_upstreams_refuses_passwords_and_other_upstreams() {
    let f = federation(LinkBy::Subject, Provisioning::Auto).await;
    let d = &f.downstream;
    let base = d
        .ctx()
        .store
        .client_by_id(CONFIDENTIAL_ID)
        .await
        .unwrap()
        .unwrap();
    let only_corp = Client {
        client_id: "corp-only".into(),
        upstreams: vec![CORP.into()],
        password_login: false,
        ..base.clone()
    };
    d.ctx().store.create_client(only_corp).await.unwrap();
    let challenge = pkce_pair().1;
    let mut params = d.code_request("st", "n", &challenge, "openid");
    params[1] = ("client_id", "corp-only");
    let page = d.authorize(&params).await.text().await.unwrap();
    assert!(!page.contains("name=\"password\""), "no password form");
    assert!(page.contains("Sign in with Corp SSO"));
    // A hand-made form post with the right password is refused all the same (its CSRF token from
    // the account page's form, its request id from the button).
    let href = button_href(&page);
    let pending = href.split("pending=").nth(1).unwrap().to_string();
    let account = d
        .browser
        .get(d.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = [
        ("request_id", pending),
        ("csrf_token", hidden(&account, "csrf_token")),
        ("username", USERNAME.to_string()),
        ("password", PASSWORD.to_string()),
    ];
    let res = d.browser.post(d.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(!signed_in(d).await);

    let elsewhere = Client {
        client_id: "elsewhere".into(),
        upstreams: vec!["other".into()],
        ..base
    };
    d.ctx().store.create_client(elsewhere).await.unwrap();
    params[1] = ("client_id", "elsewhere");
    let page = d.authorize(&params).await.text().await.unwrap();
    assert!(!page.contains("Corp SSO"), "not offered");
    let pending = hidden(&page, "request_id");
    let start = d.url(&format!("/upstream/corp/start?pending={pending}"));
    let res = d.browser.get(start).send().await.unwrap();
    assert_eq!(res.status(), 403, "and refused when asked for");
}

/// `portcullis user show` lists linked identities; `user unlink` removes one, audited.
#[tokio::test]
async fn cli_shows_and_unlinks_upstream_identities() {
    let cli = crate::cli::Cli::new();
    let out = cli.run(
        &["user", "add", "dave", "--password-stdin"],
        Some("a long enough password\n"),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let store = portcullis::storage::diesel::DieselStore::connect(&cli.db_url, 1)
        .await
        .unwrap();
    use portcullis::storage::{IdentityLinkStore, UserStore};
    let dave = store.user_by_username("dave").await.unwrap().unwrap();
    let link = portcullis::storage::IdentityLink {
        user_id: dave.id.clone(),
        upstream_id: CORP.into(),
        subject: "corp-subject-1".into(),
        linked_at: 1_800_000_000,
    };
    store.link_identity(link).await.unwrap();
    let out = cli.run(&["user", "show", "dave"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(CORP) && text.contains("corp-subject-1"), "{text}");
    let out = cli.run(&["user", "show", "dave", "--json"], None);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["linked_identities"][0]["subject"], "corp-subject-1");
    let out = cli.run(&["user", "unlink", "dave", "--upstream", CORP], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(store.identity_links_for_user(&dave.id).await.unwrap().is_empty());
    let again = cli.run(&["user", "unlink", "dave", "--upstream", CORP], None);
    assert!(!again.status.success(), "nothing left to unlink");
    use portcullis::storage::AuditStore;
    let events = store.recent_events(10).await.unwrap();
    assert!(events.iter().any(|e| e.kind == AuditKind::IdentityUnlinked));
}

/// docs/configuration.md: the upstream list from `PORTCULLIS_UPSTREAM` (TOML inline), its secret
/// from `PORTCULLIS_UPSTREAM__CORP__CLIENT_SECRET`; `config check` shows neither secret (I.1).
#[tokio::test]
async fn upstreams_are_configured_by_environment_with_the_secret_masked() {
    let dir = crate::tempdir::tempdir().unwrap();
    let list = r#"[{ id = "corp", name = "Corp SSO", issuer = "https://login.corp.example", client_id = "pc", client_secret = "placeholder-secret" }]"#;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["config", "check", "--json"])
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("PORTCULLIS_CONFIG")
        .env(
            "PORTCULLIS_DATABASE__URL",
            format!("sqlite://{}", dir.path().join("x.db").display()),
        )
        .env("PORTCULLIS_KEYS__MASTER_KEY", "ab".repeat(32))
        .env("PORTCULLIS_LOG__LEVEL", "warn")
        .env("PORTCULLIS_UPSTREAM", list)
        .env("PORTCULLIS_UPSTREAM__CORP__CLIENT_SECRET", "env-secret-value")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["upstream"][0]["id"], CORP);
    assert_eq!(json["upstream"][0]["client_secret"], "********");
    assert!(!stdout.contains("env-secret-value") && !stdout.contains("placeholder-secret"));
}

/// I.6: the password grant is refused to a client limited to upstream sign-in.
#[tokio::test]
async fn password_grant_is_refused_to_an_upstream_only_client() {
    let app = spawn_app().await;
    let base = app
        .ctx()
        .store
        .client_by_id(CONFIDENTIAL_ID)
        .await
        .unwrap()
        .unwrap();
    let only = Client {
        client_id: "upstream-only".into(),
        password_login: false,
        ..base
    };
    app.ctx().store.create_client(only).await.unwrap();
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth("upstream-only", Some(&app.client_secret))
        .form(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "unauthorized_client").await;
}

/// docs/guides/federation.md, "Groups": at each sign-in through an upstream, the user's groups from
/// that upstream become exactly what its `groups` claim says; local groups stay.
#[tokio::test]
async fn upstream_groups_replace_that_upstreams_groups_at_each_sign_in() {
    use portcullis::oauth::scope::Scope;
    let upstream = spawn_app().await;
    let carol_up = add_user(&upstream, CAROL, CAROL_EMAIL).await;
    let secret = secret_256();
    let issuer = upstream.address.clone();
    let downstream = spawn_app_with(|s| {
        let mut corp = corp(&issuer, &secret, LinkBy::Subject, Provisioning::Auto);
        corp.scopes.push("groups".into());
        s.upstream = vec![corp];
        fast_retries(s);
    })
    .await;
    register_downstream(&upstream, &downstream, &secret).await;
    let store_up = &upstream.ctx().store;
    let mut rp = store_up.client_by_id(RP_CLIENT).await.unwrap().unwrap();
    let mut scopes: Vec<String> = rp.scopes.to_string().split(' ').map(str::to_string).collect();
    scopes.push("groups".into());
    rp.scopes = Scope::from_tokens(scopes.iter().map(String::as_str));
    store_up.delete_client(RP_CLIENT).await.unwrap();
    store_up.create_client(rp).await.unwrap();
    let now = upstream.clock.now();
    for g in ["staff", "ops"] {
        store_up.create_group(g, now).await.unwrap();
    }
    store_up
        .add_group_member("staff", &carol_up, "local", now)
        .await
        .unwrap();
    wait_until_discovered(&downstream).await;
    let f = Federation { upstream, downstream };

    federated_id_token(&f, CAROL, &[]).await;
    let store = &f.downstream.ctx().store;
    let carol = store.user_by_username(CAROL).await.unwrap().expect("provisioned");
    assert_eq!(store.user_groups(&carol.id).await.unwrap(), ["staff"]);
    let t = f.downstream.clock.now();
    store.create_group("local-team", t).await.unwrap();
    store
        .add_group_member("local-team", &carol.id, "local", t)
        .await
        .unwrap();

    let store_up = &f.upstream.ctx().store;
    store_up
        .remove_group_member("staff", &carol_up, "local")
        .await
        .unwrap();
    store_up
        .add_group_member("ops", &carol_up, "local", now)
        .await
        .unwrap();
    federated_id_token(&f, CAROL, &[("prompt", "login")]).await;
    assert_eq!(
        store.user_groups(&carol.id).await.unwrap(),
        ["local-team", "ops"],
        "the upstream's groups replaced, the local one kept"
    );
}

/// I.6: a browser signed in locally (with a password, for another client) is not signed in for an
/// upstream-only client: it gets the login page with the client's upstream (or `login_required`
/// with `prompt=none`), never a code.
#[tokio::test]
async fn upstream_only_client_does_not_take_a_local_login() {
    let f = federation(LinkBy::Subject, Provisioning::Auto).await;
    let d = &f.downstream;
    d.login_for_code("openid").await;
    assert!(signed_in(d).await, "signed in locally for the first client");
    let base = d
        .ctx()
        .store
        .client_by_id(CONFIDENTIAL_ID)
        .await
        .unwrap()
        .unwrap();
    let only_corp = Client {
        client_id: "corp-only".into(),
        upstreams: vec![CORP.into()],
        password_login: false,
        ..base
    };
    d.ctx().store.create_client(only_corp).await.unwrap();
    let challenge = pkce_pair().1;
    let mut params = d.code_request("st", "n", &challenge, "openid");
    params[1] = ("client_id", "corp-only");
    let res = d.authorize(&params).await;
    assert_eq!(res.status(), 200, "the login page, not a code");
    let page = res.text().await.unwrap();
    assert!(page.contains("Sign in with Corp SSO"));
    assert!(!page.contains("name=\"password\""));

    params.push(("prompt", "none"));
    let res = d.authorize(&params).await;
    assert_eq!(res.status(), 303);
    let back = location_params(&res);
    assert_eq!(param(&back, "error").as_deref(), Some("login_required"));
    assert!(param(&back, "code").is_none());
}
