//! The core's acceptance test, as one test: a user made with `portcullis user add`, a confidential
//! client (client_secret_basic; authorization_code, refresh_token, client_credentials, password)
//! and a public PKCE client made with `portcullis client add` complete every flow with a real
//! relying party (the `openidconnect` crate), on whichever backend this run uses.

use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, ResourceOwnerPassword, ResourceOwnerUsername, Scope,
    TokenResponse,
};
use serde_json::Value;

use crate::cli::Cli;
use crate::helpers::*;

const CAROL_PASSWORD: &str = "carol's passphrase is long";
const WEB_CB: &str = "https://web.example.com/cb";
const WEB_LOGOUT: &str = "https://web.example.com/bye";
const SPA_CB: &str = "http://127.0.0.1:5173/cb";

fn rp_http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The browser part of the code flow: the login page (or an existing session), then the code.
async fn browser_code(app: &TestApp, url: &str, state: &str) -> String {
    let res = app.browser.get(url).send().await.unwrap();
    let res = if res.status() == 200 {
        let page = res.text().await.unwrap();
        app.submit_login(&page, "carol", CAROL_PASSWORD).await
    } else {
        res
    };
    assert_eq!(res.status(), 303, "back to the client");
    let params = location_params(&res);
    assert_eq!(param(&params, "state").as_deref(), Some(state));
    param(&params, "code").expect("code")
}

#[tokio::test]
async fn cli_made_user_and_clients_complete_every_flow_with_a_real_relying_party() {
    let dir = crate::tempdir::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    let cli = Cli::with_database(secrecy::ExposeSecret::expose_secret(&settings.database.url).to_string());
    settings.keys.master_key = Some(secrecy::SecretString::from(cli.master_key.clone()));
    cli.ok(
        &[
            "user",
            "add",
            "carol",
            "--email",
            "carol@example.com",
            "--password-stdin",
        ],
        Some(CAROL_PASSWORD),
    );
    let web = cli.json(
        &[
            "client",
            "add",
            "Carol's Web App",
            "--redirect-uri",
            WEB_CB,
            "--post-logout-redirect-uri",
            WEB_LOGOUT,
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--grant-type",
            "client_credentials",
            "--grant-type",
            "password",
            "--first-party",
            "--json",
        ],
        None,
    );
    let spa = cli.json(
        &[
            "client",
            "add",
            "Carol's SPA",
            "--public",
            "--redirect-uri",
            SPA_CB,
            "--json",
        ],
        None,
    );
    let web_id = web["client_id"].as_str().unwrap().to_string();
    let web_secret = web["client_secret"].as_str().unwrap().to_string();
    let spa_id = spa["client_id"].as_str().unwrap().to_string();
    assert!(
        spa.get("client_secret").is_none_or(Value::is_null),
        "public clients get no secret"
    );

    let app = spawn_with_settings(settings, dir).await;
    let http = rp_http();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
        .await
        .expect("discovery");

    // Confidential client: code + PKCE, ID token, userinfo, refresh rotation and reuse detection.
    let rp = CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(web_id.clone()),
        Some(ClientSecret::new(web_secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(WEB_CB.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = rp
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let code = browser_code(&app, url.as_str(), state.secret()).await;
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("id_token").clone();
    let claims = id_token
        .claims(&rp.id_token_verifier(), &nonce)
        .expect("ID token verifies");
    let userinfo: CoreUserInfoClaims = rp
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(userinfo.subject(), claims.subject());
    assert_eq!(userinfo.email().map(|e| e.as_str()), Some("carol@example.com"));
    let first_refresh = tokens.refresh_token().expect("refresh token").clone();
    let refreshed = rp
        .exchange_refresh_token(&first_refresh)
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        first_refresh.secret(),
        "rotated"
    );
    assert!(
        rp.exchange_refresh_token(&first_refresh)
            .unwrap()
            .request_async(&http)
            .await
            .is_err(),
        "reuse refused"
    );
    assert!(
        rp.exchange_refresh_token(refreshed.refresh_token().unwrap())
            .unwrap()
            .request_async(&http)
            .await
            .is_err(),
        "reuse revoked the family"
    );

    // client_credentials and the password grant through the same library.
    let cc = rp
        .exchange_client_credentials()
        .unwrap()
        .request_async(&http)
        .await
        .expect("client_credentials");
    assert!(cc.refresh_token().is_none());
    let pw = rp
        .exchange_password(
            &ResourceOwnerUsername::new("carol".into()),
            &ResourceOwnerPassword::new(CAROL_PASSWORD.into()),
        )
        .unwrap()
        .add_scope(Scope::new("openid".into()))
        .request_async(&http)
        .await
        .expect("password grant");

    // Introspection before and after revocation.
    let introspect = |token: String| {
        let (api, url, id, secret) = (
            app.api.clone(),
            app.url("/introspect"),
            web_id.clone(),
            web_secret.clone(),
        );
        async move {
            let res = api
                .post(url)
                .basic_auth(id, Some(secret))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap();
            res.json::<Value>().await.unwrap()["active"].clone()
        }
    };
    let access = pw.access_token().secret().clone();
    assert_eq!(introspect(access.clone()).await, true);
    let res = app
        .api
        .post(app.url("/revoke"))
        .basic_auth(&web_id, Some(&web_secret))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(introspect(access).await, false);
    assert_eq!(introspect(cc.access_token().secret().clone()).await, true);

    // Public client: code + PKCE with no secret (the browser session from before is reused).
    let spa_rp = CoreClient::from_provider_metadata(metadata, ClientId::new(spa_id), None)
        .set_redirect_uri(RedirectUrl::new(SPA_CB.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = spa_rp
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let res = app.browser.get(url.as_str()).send().await.unwrap();
    // A third-party client: the consent page comes first.
    let page = res.text().await.unwrap();
    let res = app.submit_consent(&page, "allow").await;
    assert_eq!(res.status(), 303);
    let params = location_params(&res);
    assert_eq!(param(&params, "state").as_deref(), Some(state.secret().as_str()));
    let spa_tokens = spa_rp
        .exchange_code(AuthorizationCode::new(param(&params, "code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("public client code exchange");
    spa_tokens
        .id_token()
        .unwrap()
        .claims(&spa_rp.id_token_verifier(), &nonce)
        .expect("SPA ID token verifies");

    // RP-initiated logout, then prompt=none needs a login again.
    let res = app
        .browser
        .get(app.url("/logout"))
        .query(&[
            ("id_token_hint", id_token.to_string().as_str()),
            ("post_logout_redirect_uri", WEB_LOGOUT),
            ("state", "bye"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("{WEB_LOGOUT}?state=bye"));
    let (url, _, _) = rp
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_extra_param("prompt", "none")
        .url();
    let res = app.browser.get(url.as_str()).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        param(&location_params(&res), "error").as_deref(),
        Some("login_required")
    );
}
