//! Groups in tokens (issue 8, part 3; docs/clients.md, "Groups"): the `groups` claim only with
//! the `groups` scope, in the ID token, the access token and userinfo; filtered per client; a
//! client limited to groups refuses everyone else with a page and never a code.

use portcullis::storage::{Client, ClientGroups, LOCAL_GROUP_SOURCE};
use serde_json::{Value, json};

use crate::helpers::*;

/// A first-party confidential client like the standard one (same secret), that may ask for `groups`.
pub(crate) async fn add_client(app: &TestApp, client_id: &str, groups: ClientGroups) -> Client {
    let mut client = app
        .ctx()
        .store
        .client_by_id(CONFIDENTIAL_ID)
        .await
        .unwrap()
        .unwrap();
    client.client_id = client_id.into();
    client.scopes = portcullis::oauth::scope::Scope::from_tokens(
        client
            .scopes
            .iter()
            .map(str::to_string)
            .chain(["groups".to_string()])
            .collect::<Vec<_>>(),
    );
    client.groups = groups;
    app.ctx().store.create_client(client.clone()).await.unwrap();
    client
}

/// Puts the test user in `names` (creating the groups).
async fn join(app: &TestApp, names: &[&str]) {
    let store = &app.ctx().store;
    for name in names {
        if !store.group_exists(name).await.unwrap() {
            store.create_group(name, 0).await.unwrap();
        }
        assert!(
            store
                .add_group_member(name, &app.user_id, LOCAL_GROUP_SOURCE, 0)
                .await
                .unwrap()
        );
    }
}

/// authorize (-> login) for `client_id`; returns the last response and the PKCE verifier.
pub(crate) async fn authorize_as(app: &TestApp, client_id: &str, scope: &str) -> (reqwest::Response, String) {
    let (verifier, challenge) = pkce_pair();
    let mut request = app.code_request("st-g", "n-g", &challenge, scope);
    request[1] = ("client_id", client_id);
    let res = app.authorize(&request).await;
    let res = if res.status() == 200 {
        let page = res.text().await.unwrap();
        app.submit_login(&page, USERNAME, PASSWORD).await
    } else {
        res
    };
    (res, verifier)
}

/// The code flow for `client_id`: the token response.
pub(crate) async fn tokens_for(app: &TestApp, client_id: &str, scope: &str) -> Value {
    let (res, verifier) = authorize_as(app, client_id, scope).await;
    assert_eq!(res.status(), 303, "expected the code");
    let code = param(&location_params(&res), "code").expect("code");
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth(client_id, Some(&app.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The `groups` claim of the ID token, the access token and userinfo.
async fn groups_everywhere(app: &TestApp, tokens: &Value) -> [Value; 3] {
    let id_token = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
    let access_token = tokens["access_token"].as_str().unwrap();
    let at = jwt_part(access_token, 1);
    let res = get_userinfo(app, access_token).await;
    assert_eq!(res.status(), 200);
    let userinfo: Value = res.json().await.unwrap();
    [
        id_token.get("groups").cloned().unwrap_or(Value::Null),
        at.get("groups").cloned().unwrap_or(Value::Null),
        userinfo.get("groups").cloned().unwrap_or(Value::Null),
    ]
}

#[tokio::test]
async fn groups_claim_appears_only_with_the_groups_scope() {
    let app = spawn_app().await;
    join(&app, &["staff", "admins"]).await;
    add_client(&app, "intranet", ClientGroups::default()).await;

    let with = tokens_for(&app, "intranet", "openid groups").await;
    let expected = json!(["admins", "staff"]);
    assert_eq!(
        groups_everywhere(&app, &with).await,
        [expected.clone(), expected.clone(), expected],
        "ID token, access token, userinfo"
    );

    let without = tokens_for(&app, "intranet", "openid profile").await;
    assert_eq!(
        groups_everywhere(&app, &without).await,
        [Value::Null, Value::Null, Value::Null],
        "no groups claim without the scope"
    );
}

#[tokio::test]
async fn groups_claim_is_filtered_per_client() {
    let app = spawn_app().await;
    join(&app, &["staff", "admins", "payroll"]).await;
    let filter = |names: &[&str]| ClientGroups {
        claim_filter: names.iter().map(|s| s.to_string()).collect(),
        required: vec![],
    };
    add_client(&app, "wiki", filter(&["staff", "not-mine"])).await;
    add_client(&app, "hr", filter(&["payroll"])).await;
    add_client(&app, "kiosk", filter(&["visitors"])).await;

    for (client, expected) in [
        ("wiki", json!(["staff"])),
        ("hr", json!(["payroll"])),
        ("kiosk", json!([])),
    ] {
        let tokens = tokens_for(&app, client, "openid groups").await;
        assert_eq!(
            groups_everywhere(&app, &tokens).await,
            [expected.clone(), expected.clone(), expected],
            "{client}"
        );
    }
}

#[tokio::test]
async fn require_group_refuses_a_non_member_with_a_page_and_no_code() {
    let app = spawn_app().await;
    join(&app, &["staff"]).await;
    let required = ClientGroups {
        claim_filter: vec![],
        required: vec!["admins".into()],
    };
    add_client(&app, "admin-console", required).await;

    let (res, _) = authorize_as(&app, "admin-console", "openid").await;
    assert_eq!(res.status(), 403, "the access-denied page");
    assert!(res.headers().get("location").is_none(), "no redirect");
    let page = res.text().await.unwrap();
    assert!(page.contains("Access denied"), "{page}");
    assert!(page.contains("access_denied"), "{page}");
    assert!(!page.contains("code="), "no code anywhere: {page}");
    let link = page
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap_or_default())
        .find(|h| h.starts_with("https://app.example.com/cb"))
        .map(crate::authorize::unescape)
        .expect("a link back to the client");
    let url = url::Url::parse(&link).unwrap();
    let params: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
    assert_eq!(param(&params, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&params, "state").as_deref(), Some("st-g"));
    assert_eq!(param(&params, "code"), None);

    // prompt=none cannot show a page: the error goes back to the client, still without a code.
    let (_, challenge) = pkce_pair();
    let mut request = app.code_request("st-n", "n", &challenge, "openid");
    request[1] = ("client_id", "admin-console");
    request.push(("prompt", "none"));
    let res = app.authorize(&request).await;
    assert_eq!(res.status(), 303);
    let params = location_params(&res);
    assert_eq!(param(&params, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&params, "code"), None);

    // The password grant refuses too.
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth("admin-console", Some(&app.client_secret))
        .form(&[
            ("grant_type", "password"),
            ("username", USERNAME),
            ("password", PASSWORD),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn require_group_admits_a_member_until_the_membership_ends() {
    let app = spawn_app().await;
    join(&app, &["admins"]).await;
    let required = ClientGroups {
        claim_filter: vec![],
        required: vec!["ops".into(), "admins".into()],
    };
    add_client(&app, "admin-console", required).await;
    let tokens = tokens_for(&app, "admin-console", "openid").await;
    let refresh_token = tokens["refresh_token"].as_str().expect("refresh token");

    app.ctx()
        .store
        .remove_group_member("admins", &app.user_id, LOCAL_GROUP_SOURCE)
        .await
        .unwrap();
    let res = app
        .api
        .post(app.url("/token"))
        .basic_auth("admin-console", Some(&app.client_secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
        .send()
        .await
        .unwrap();
    error_body(res, 400, "invalid_grant").await;
    let (res, _) = authorize_as(&app, "admin-console", "openid").await;
    assert_eq!(res.status(), 403, "signed in, but no longer a member");
}

/// `portcullis group ...`, `user add --group`, `client add --groups-claim-filter --require-group
/// --backchannel-logout-uri`: the commands of docs/clients.md, run as the real binary.
#[tokio::test]
async fn cli_manages_groups_members_and_client_group_rules() {
    let cli = crate::cli::Cli::new();
    let pw = Some("a long enough password\n");
    cli.ok(&["group", "add", "staff"], None);
    cli.fails(&["group", "add", "staff"], None);
    cli.fails(&["group", "add", " padded"], None);
    cli.ok(
        &["user", "add", "bob", "--group", "staff", "--password-stdin"],
        pw,
    );
    let err = cli.fails(
        &["user", "add", "carol", "--group", "nope", "--password-stdin"],
        pw,
    );
    assert!(err.contains("no group named nope"), "{err}");
    let users = cli.json(&["user", "list", "--json"], None);
    assert_eq!(
        users.as_array().unwrap().len(),
        1,
        "carol was not created: {users}"
    );
    cli.ok(&["user", "add", "carol", "--password-stdin"], pw);

    let members = cli.json(&["group", "members", "staff", "--json"], None);
    assert_eq!(members[0]["username"], "bob");
    assert_eq!(members[0]["source"], "local");
    cli.ok(&["group", "add-member", "staff", "carol"], None);
    let groups = cli.json(&["group", "list", "--json"], None);
    assert_eq!(groups[0]["name"], "staff");
    assert_eq!(groups[0]["members"], 2);
    cli.ok(&["group", "remove-member", "staff", "bob"], None);
    cli.fails(&["group", "remove-member", "staff", "bob"], None);
    let members = cli.json(&["group", "members", "staff", "--json"], None);
    assert_eq!(members.as_array().unwrap().len(), 1);
    assert_eq!(members[0]["username"], "carol");

    let client = cli.json(
        &[
            "client",
            "add",
            "Intranet",
            "--redirect-uri",
            "https://intranet.example.com/cb",
            "--groups-claim-filter",
            "staff",
            "--require-group",
            "staff",
            "--backchannel-logout-uri",
            "https://intranet.example.com/bcl",
            "--backchannel-logout-session-required",
            "--json",
        ],
        None,
    );
    assert_eq!(client["groups_claim_filter"], json!(["staff"]));
    assert_eq!(client["require_groups"], json!(["staff"]));
    assert_eq!(
        client["backchannel_logout_uri"],
        "https://intranet.example.com/bcl"
    );
    assert_eq!(client["backchannel_logout_session_required"], true);
    for bad in [
        "http://intranet.example.com/bcl",
        "https://intranet.example.com/bcl#f",
    ] {
        let err = cli.fails(
            &[
                "client",
                "add",
                "X",
                "--grant-type",
                "client_credentials",
                "--backchannel-logout-uri",
                bad,
            ],
            None,
        );
        assert!(err.contains("back-channel logout URI"), "{err}");
    }
    cli.ok(&["group", "remove", "staff"], None);
    cli.fails(&["group", "members", "staff"], None);
}
