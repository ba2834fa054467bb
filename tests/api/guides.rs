//! Guides whose commands are run (docs/guides/README.md, "Guides that run"): each guide's fenced
//! ```` ```sh ```` blocks are run in order by bash against a live Portcullis, with the real `portcullis`
//! binary on `PATH` (configured for that server's database) and `$ISSUER` set to the server's URL.
//! Blocks fenced as ```` ```sh no-run ```` are shown to readers but not run (starting the server,
//! production-only steps). Shell variables and functions are carried from block to block, and a test may act between
//! blocks (sign in and approve in "the browser") and read or set variables.

use std::path::{Path, PathBuf};

use portcullis::config::Settings;
use secrecy::ExposeSecret;

use crate::helpers::*;

/// One fenced block of a guide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    pub(crate) code: String,
    pub(crate) run: bool,
    /// 1-based line of the opening fence, for failure messages.
    pub(crate) line: usize,
}

/// The ```sh blocks of a Markdown text; other languages are ignored.
pub(crate) fn sh_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(Block, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match open.take() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let mut words = info.split_whitespace();
                    let lang = words.next().unwrap_or_default().to_string();
                    let no_run = words.any(|w| w == "no-run");
                    let block = Block {
                        code: String::new(),
                        run: !no_run,
                        line: i + 1,
                    };
                    open = Some((block, lang));
                }
            }
            Some((mut block, lang)) => {
                if trimmed.starts_with("```") {
                    if matches!(lang.as_str(), "sh" | "bash" | "shell") {
                        blocks.push(block);
                    }
                } else {
                    block.code.push_str(line);
                    block.code.push('\n');
                    open = Some((block, lang));
                }
            }
        }
    }
    assert!(open.is_none(), "a fenced block is not closed");
    blocks
}

/// A guide being followed against a live server.
pub(crate) struct Guide {
    pub(crate) app: TestApp,
    path: String,
    blocks: Vec<Block>,
    next: usize,
    work: crate::tempdir::TempDir,
}

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

impl Guide {
    /// Starts a server configured by `configure` for the guide at `path` (relative to the repository).
    pub(crate) async fn start(path: &str, configure: impl FnOnce(&mut Settings)) -> Guide {
        let text = std::fs::read_to_string(repo_path(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        Guide::start_blocks(path, &text, configure).await
    }

    /// Like [`Guide::start`], for the blocks of one section of a document: from the line `heading`
    /// to the next heading of the same or a higher level.
    pub(crate) async fn start_section(
        path: &str,
        heading: &str,
        configure: impl FnOnce(&mut Settings),
    ) -> Guide {
        let text = std::fs::read_to_string(repo_path(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        let level = heading.chars().take_while(|c| *c == '#').count();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines
            .iter()
            .position(|l| *l == heading)
            .unwrap_or_else(|| panic!("{path}: no line {heading:?}"));
        let mut in_fence = false;
        let mut end = lines.len();
        for (i, line) in lines.iter().enumerate().skip(start + 1) {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            let hashes = line.chars().take_while(|c| *c == '#').count();
            if !in_fence && hashes > 0 && hashes <= level && line[hashes..].starts_with(' ') {
                end = i;
                break;
            }
        }
        // Lines outside the section become blank, so block line numbers stay those of the file.
        let section: String = lines[..end]
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if i < start {
                    "\n".to_string()
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        Guide::start_blocks(path, &section, configure).await
    }

    async fn start_blocks(path: &str, text: &str, configure: impl FnOnce(&mut Settings)) -> Guide {
        let blocks: Vec<Block> = sh_blocks(text).into_iter().filter(|b| b.run).collect();
        assert!(!blocks.is_empty(), "{path} has no ```sh block to run");
        let app = spawn_app_with(configure).await;
        let work = crate::tempdir::tempdir().expect("temp dir");
        std::fs::create_dir(work.path().join("bin")).expect("bin dir");
        std::os::unix::fs::symlink(
            env!("CARGO_BIN_EXE_portcullis"),
            work.path().join("bin").join("portcullis"),
        )
        .expect("symlink");
        Guide {
            app,
            path: path.to_string(),
            blocks,
            next: 0,
            work,
        }
    }

    /// A file in the directory the guide's commands run in.
    pub(crate) fn work_path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    fn state_file(&self) -> PathBuf {
        self.work.path().join("state.sh")
    }

    fn vars_file(&self) -> PathBuf {
        self.work.path().join("vars.env0")
    }

    /// The value of a shell variable after the blocks run so far.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        let raw = std::fs::read(self.vars_file()).ok()?;
        raw.split(|b| *b == 0).find_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (key, value) = entry.split_once('=')?;
            (key == name).then(|| value.to_string())
        })
    }

    /// Sets a shell variable for the blocks still to run.
    pub(crate) fn set_var(&self, name: &str, value: &str) {
        use std::io::Write;
        let quoted = value.replace('\'', r"'\''");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.state_file())
            .expect("state file");
        writeln!(f, "export {name}='{quoted}'").expect("write state");
    }

    /// Whether every runnable block has run.
    pub(crate) fn finished(&self) -> bool {
        self.next == self.blocks.len()
    }

    /// Runs the next block; panics with the block and its output if it fails. Returns its stdout.
    pub(crate) async fn run_next(&mut self) -> String {
        let block = self.blocks[self.next].clone();
        self.next += 1;
        let state = self.state_file();
        let vars = self.vars_file();
        let script = format!(
            "set -a\n[ -f '{state}' ] && . '{state}'\nset -euo pipefail\n{code}\nset +eu\nexport -p > '{state}'\ndeclare -f >> '{state}'\nenv -0 > '{vars}'\n",
            state = state.display(),
            vars = vars.display(),
            code = block.code,
        );
        let settings = &self.app.state.settings;
        let path = format!(
            "{}:{}",
            self.work.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = std::process::Command::new("bash");
        cmd.arg("-c")
            .arg(script)
            .current_dir(self.work.path())
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("PORTCULLIS_CONFIG")
            .env_remove("RUST_LOG")
            .env("PATH", path)
            .env("ISSUER", &settings.issuer)
            .env("PORTCULLIS_ISSUER", &settings.issuer)
            .env("PORTCULLIS_DATABASE__URL", settings.database.url.expose_secret())
            .env(
                "PORTCULLIS_ARGON2__MEMORY_KIB",
                settings.argon2.memory_kib.to_string(),
            )
            .env(
                "PORTCULLIS_ARGON2__ITERATIONS",
                settings.argon2.iterations.to_string(),
            )
            .env("PORTCULLIS_LOG__LEVEL", "warn");
        if let Some(key) = &settings.keys.master_key {
            cmd.env("PORTCULLIS_KEYS__MASTER_KEY", key.expose_secret());
        }
        if let Some(redis) = &settings.redis.url {
            cmd.env("PORTCULLIS_REDIS__URL", redis.expose_secret())
                .env("PORTCULLIS_REDIS__KEY_PREFIX", &settings.redis.key_prefix);
        }
        // On the blocking pool: the server under test runs on this test's runtime.
        let out = tokio::time::timeout(
            std::time::Duration::from_secs(120),
            tokio::task::spawn_blocking(move || cmd.output()),
        )
        .await
        .unwrap_or_else(|_| panic!("{}:{}: the block ran for 2 minutes", self.path, block.line))
        .expect("the blocking pool")
        .expect("bash");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{}:{}: the block failed ({:?})\n--- block\n{}--- stdout\n{}\n--- stderr\n{}",
            self.path,
            block.line,
            out.status.code(),
            block.code,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// Runs blocks up to and including the first one whose text contains `needle`.
    pub(crate) async fn run_through(&mut self, needle: &str) -> String {
        loop {
            assert!(
                !self.finished(),
                "{}: no block left containing {needle:?}",
                self.path
            );
            let contains = self.blocks[self.next].code.contains(needle);
            let out = self.run_next().await;
            if contains {
                return out;
            }
        }
    }

    /// Runs every block left.
    pub(crate) async fn run_rest(&mut self) {
        while !self.finished() {
            self.run_next().await;
        }
    }

    /// "The browser": opens the URL in the guide's variable `var` (an authorization request), signs
    /// in as alice when the login page shows, allows when the consent page shows, and returns where
    /// Portcullis sends the browser back (the redirect's `Location`), also set as `$CALLBACK`.
    pub(crate) async fn browse_to_callback(&self, var: &str) -> String {
        let url = self.var(var).unwrap_or_else(|| panic!("{var} set by the guide"));
        let app = &self.app;
        let mut res = app.browser.get(&url).send().await.expect("authorize");
        if res.status() == 200 {
            let page = res.text().await.expect("login page");
            res = app.submit_login(&page, USERNAME, PASSWORD).await;
        }
        if res.status() == 200 {
            let page = res.text().await.expect("consent page");
            res = app.submit_consent(&page, "allow").await;
        }
        assert_eq!(res.status(), 303, "{}: a redirect back to the app", self.path);
        let callback = location(&res);
        self.set_var("CALLBACK", &callback);
        callback
    }
}

#[test]
fn sh_blocks_are_found_with_their_run_marker() {
    let md = "# T\n```sh\necho one\n```\ntext\n```sh no-run\ncargo run\n```\n```json\n{}\n```\n```bash\necho two\n```\n";
    let blocks = sh_blocks(md);
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[0].code, "echo one\n");
    assert!(blocks[0].run);
    assert!(!blocks[1].run);
    assert_eq!(blocks[1].line, 6);
    assert_eq!(blocks[2].code, "echo two\n");
}

/// Every ```sh block of every guide is either run by a test below or marked `no-run`: a guide with
/// runnable commands no test follows would rot unseen.
#[test]
fn every_guide_with_runnable_commands_is_followed_by_a_test() {
    let followed = FOLLOWED;
    let dir = repo_path("docs/guides");
    for entry in std::fs::read_dir(&dir).expect("docs/guides") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        let name = format!(
            "docs/guides/{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or_default()
        );
        let text = std::fs::read_to_string(&path).expect("guide");
        let runnable = sh_blocks(&text).iter().any(|b| b.run);
        if runnable {
            assert!(
                followed.contains(&name.as_str()),
                "{name} has ```sh blocks no test runs: add a test in tests/api/guides.rs or mark them no-run"
            );
        }
    }
}

/// The guides a test below follows.
const FOLLOWED: &[&str] = &[
    "docs/guides/README.md",
    "docs/guides/mfa.md",
    "docs/guides/federation.md",
    "docs/guides/apis.md",
    "docs/guides/device.md",
    "docs/guides/agents.md",
    "docs/guides/spa.md",
    "docs/guides/native.md",
    "docs/guides/web.md",
    "docs/guides/service.md",
    "docs/guides/gateway.md",
    "docs/guides/from-homegrown-jwt.md",
];

/// docs/guides/README.md: the runner's own example: a client made with the CLI gets a token with curl.
#[tokio::test]
async fn guide_readme_commands_run() {
    let mut guide = Guide::start("docs/guides/README.md", |_| {}).await;
    guide.run_rest().await;
    let token = guide.var("ACCESS_TOKEN").expect("ACCESS_TOKEN set by the guide");
    let claims = jwt_part(&token, 1);
    assert_eq!(claims["client_id"], "inventory-sync");
}

/// docs/guides/mfa.md: a client requiring a second factor, and the administrator's view and reset.
#[tokio::test]
async fn guide_mfa_commands_run() {
    let mut guide = Guide::start("docs/guides/mfa.md", |_| {}).await;
    guide.run_rest().await;
    let filter = portcullis::storage::AuditFilter::default();
    let audit = guide.app.ctx().store.audit_events(&filter).await.expect("audit");
    assert!(
        audit.iter().any(|e| e.kind.as_str() == "admin.mfa_reset"),
        "{audit:?}"
    );
}

/// docs/guides/federation.md: the administrator's commands for linked identities, and registering a
/// downstream Portcullis at an upstream one.
#[tokio::test]
async fn guide_federation_commands_run() {
    let mut guide = Guide::start("docs/guides/federation.md", |_| {}).await;
    let link = portcullis::storage::IdentityLink {
        user_id: guide.app.user_id.clone(),
        upstream_id: "corp".into(),
        subject: "00u1corp".into(),
        linked_at: guide.app.clock.now(),
    };
    guide.app.ctx().store.link_identity(link).await.expect("link");
    let shown = guide.run_through("portcullis user show alice").await;
    assert!(shown.contains("corp"), "{shown}");
    guide.run_rest().await;
    let links = guide
        .app
        .ctx()
        .store
        .identity_links_for_user(&guide.app.user_id)
        .await
        .expect("links");
    assert!(links.is_empty(), "{links:?}");
}

/// docs/guides/apis.md: an API, a client for one of its scopes, a token for the API by `resource`
/// (its `aud` checked in the guide), `invalid_target` for an unknown one, and a token exchange into a
/// second API (security.md J).
#[tokio::test]
async fn guide_apis_commands_run() {
    let mut guide = Guide::start("docs/guides/apis.md", |_| {}).await;
    guide.run_rest().await;
    let token = guide.var("TOKEN").expect("TOKEN set by the guide");
    assert_eq!(jwt_part(&token, 1)["aud"], "https://photos.example/api");
    let exchanged = guide.var("EXCHANGED").expect("EXCHANGED set by the guide");
    let exchanged: serde_json::Value = serde_json::from_str(&exchanged).expect("a token response");
    let claims = jwt_part(exchanged["access_token"].as_str().expect("access_token"), 1);
    assert_eq!(claims["aud"], "https://thumbs.example/api");
    let store = &guide.app.ctx().store;
    let api = store
        .api_by_identifier("https://photos.example/api")
        .await
        .expect("api");
    let scopes: Vec<String> = api
        .expect("registered")
        .scopes
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(scopes, ["photos:read", "photos:write"]);
}

/// docs/guides/device.md: a device client registered with the CLI asks for codes with curl, the user
/// approves at /device in "the browser" between blocks, and the guide's polling loop ends with the
/// user's tokens, which then work at /userinfo and refresh.
#[tokio::test]
async fn guide_device_commands_run() {
    let mut guide = Guide::start("docs/guides/device.md", |_| {}).await;
    guide.run_through("/device_authorization").await;
    let user_code = guide.var("USER_CODE").expect("USER_CODE set by the guide");
    let app = &guide.app;
    crate::device::sign_in_at(app, "/device").await;
    let page = crate::device::confirmation(app, &user_code).await;
    assert!(page.contains("Living Room TV"), "{page}");
    let res = crate::device::answer(app, &page, "allow").await;
    assert_eq!(location(&res), "/device/done?result=approved");
    guide.run_rest().await;
    let token = guide.var("ACCESS_TOKEN").expect("ACCESS_TOKEN set by the guide");
    assert_eq!(jwt_part(&token, 1)["sub"], guide.app.user_id.as_str());
    assert!(
        guide
            .var("REFRESH_TOKEN")
            .is_some_and(|t| !t.is_empty() && t != "null")
    );
}

/// docs/guides/agents.md: an MCP server registered as an API, an MCP client that registers itself
/// (RFC 7591, token mode), signs the user in with code + PKCE naming the MCP server as `resource`
/// (the user allows it in "the browser" between blocks), and gets tokens whose `aud` is the MCP
/// server, then refreshes them.
#[tokio::test]
async fn guide_agents_commands_run() {
    let mut guide = Guide::start("docs/guides/agents.md", |s| {
        s.registration.mode = portcullis::config::RegistrationMode::Token;
        s.registration.allowed_scopes = [
            "openid",
            "profile",
            "email",
            "offline_access",
            "notes:read",
            "notes:write",
        ]
        .map(String::from)
        .to_vec();
    })
    .await;
    guide.run_through("echo \"$AUTH_URL\"").await;
    let auth_url = guide.var("AUTH_URL").expect("AUTH_URL set by the guide");
    let code = {
        let app = &guide.app;
        let res = app.browser.get(&auth_url).send().await.expect("authorize");
        assert_eq!(res.status(), 200, "the login page");
        let page = res.text().await.expect("page");
        let res = app.submit_login(&page, USERNAME, PASSWORD).await;
        assert_eq!(
            res.status(),
            200,
            "the consent page: a registered client is third party"
        );
        let consent = res.text().await.expect("page");
        assert!(consent.contains("Example Agent"), "{consent}");
        assert!(consent.contains("Read your notes"), "{consent}");
        let res = app.submit_consent(&consent, "allow").await;
        assert!(
            location(&res).starts_with("http://127.0.0.1:33418/callback?"),
            "{}",
            location(&res)
        );
        let params = location_params(&res);
        assert_eq!(param(&params, "state"), guide.var("STATE"));
        param(&params, "code").expect("code")
    };
    guide.set_var("CODE", &code);
    guide.run_rest().await;
    let token = guide.var("ACCESS_TOKEN").expect("ACCESS_TOKEN set by the guide");
    let claims = jwt_part(&token, 1);
    assert_eq!(claims["aud"], "https://notes.example.com/mcp");
    assert_eq!(claims["scope"], "notes:read offline_access");
}

/// docs/guides/spa.md: a public client signs in with code + PKCE (the browser played between blocks),
/// refreshes with rotation, and a replayed refresh token revokes the family, the newest token
/// included; then revocation and RP-initiated logout back to the registered URI with `state`.
#[tokio::test]
async fn guide_spa_commands_run() {
    let mut guide = Guide::start("docs/guides/spa.md", |_| {}).await;
    guide.run_through("echo \"$AUTH_URL\"").await;
    let callback = guide.browse_to_callback("AUTH_URL").await;
    assert!(
        callback.starts_with("https://spa.example.com/callback?code="),
        "{callback}"
    );
    guide.run_through("echo \"$AUTH_URL\"").await;
    guide.browse_to_callback("AUTH_URL").await;
    guide.run_through("echo \"$LOGOUT_URL\"").await;
    let logout_url = guide.var("LOGOUT_URL").expect("LOGOUT_URL set by the guide");
    let res = guide.app.browser.get(&logout_url).send().await.expect("logout");
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "https://spa.example.com/?state=bye");
    guide.run_rest().await;
    assert_eq!(
        guide.var("REDIRECT_URI").as_deref(),
        Some("https://spa.example.com/callback")
    );
}

/// docs/guides/native.md: RFC 8252 §7.3: a loopback redirect URI registered without a port accepts
/// a port that was never registered; other paths and `localhost` are refused; a private-use scheme
/// gets its code too.
#[tokio::test]
async fn guide_native_commands_run() {
    let mut guide = Guide::start("docs/guides/native.md", |_| {}).await;
    guide.run_through("echo \"$AUTH_URL\"").await;
    let callback = guide.browse_to_callback("AUTH_URL").await;
    assert!(
        callback.starts_with("http://127.0.0.1:53127/callback?code="),
        "{callback}"
    );
    guide.run_through("echo \"$AUTH_URL\"").await;
    let callback = guide.browse_to_callback("AUTH_URL").await;
    assert!(
        callback.starts_with("com.example.notes:/oauth2redirect?code="),
        "{callback}"
    );
    guide.run_rest().await;
    let refresh = guide
        .var("REFRESH_TOKEN")
        .expect("REFRESH_TOKEN set by the guide");
    assert!(!refresh.is_empty() && refresh != "null");
}

/// docs/guides/web.md: a confidential client's code flow with its secret, the ID token's nonce
/// checked in the guide, RP-initiated logout, and the back-channel logout token that reaches the
/// app's receiver (a local listener here) with the ID token's `sid`.
#[tokio::test]
async fn guide_web_commands_run() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let receiver = format!(
        "http://{}/backchannel-logout",
        listener.local_addr().expect("addr")
    );
    let mut received = logout_receiver(listener);
    let mut guide = Guide::start("docs/guides/web.md", |_| {}).await;
    guide.set_var("BACKCHANNEL_URI", &receiver);
    guide.run_through("echo \"$AUTH_URL\"").await;
    guide.browse_to_callback("AUTH_URL").await;
    guide.run_through("echo \"$LOGOUT_URL\"").await;
    let logout_url = guide.var("LOGOUT_URL").expect("LOGOUT_URL set by the guide");
    let res = guide.app.browser.get(&logout_url).send().await.expect("logout");
    assert_eq!(res.status(), 303);
    let state = guide.var("LOGOUT_STATE").expect("LOGOUT_STATE");
    assert_eq!(
        location(&res),
        format!("https://app.example.com/signed-out?state={state}")
    );
    // Delivery passes as the background task runs them every 2 s, until the receiver has a token.
    let sender = portcullis::backchannel::deliver::Sender::new().expect("sender");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let body = loop {
        portcullis::backchannel::deliver::deliver_due(guide.app.ctx(), &sender)
            .await
            .expect("a delivery pass");
        let wait = std::time::Duration::from_millis(200);
        if let Ok(Some(body)) = tokio::time::timeout(wait, received.recv()).await {
            break body;
        }
        assert!(tokio::time::Instant::now() < deadline, "no logout token arrived");
    };
    let token = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.to_string())
        .expect("logout_token");
    assert_eq!(jwt_part(&token, 0)["typ"], "logout+jwt");
    let claims = jwt_part(&token, 1);
    assert_eq!(claims["aud"], guide.var("CLIENT_ID").expect("CLIENT_ID").as_str());
    assert_eq!(claims["sid"], guide.var("SID").expect("SID").as_str());
    assert!(claims.get("nonce").is_none(), "{claims}");
    guide.run_rest().await;
}

/// A receiver of back-channel logout POSTs: answers 200 and hands each body over.
fn logout_receiver(listener: tokio::net::TcpListener) -> tokio::sync::mpsc::UnboundedReceiver<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let body = loop {
                let Ok(n) = sock.read(&mut chunk).await else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            let (name, value) = l.split_once(':')?;
                            name.eq_ignore_ascii_case("content-length")
                                .then(|| value.trim().parse::<usize>().ok())
                                .flatten()
                        })
                        .unwrap_or(0);
                    if body.len() >= length {
                        break Some(body.to_string());
                    }
                }
            };
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
            if let Some(body) = body {
                let _ = tx.send(body);
            }
        }
    });
    rx
}

/// docs/guides/service.md: client credentials for an API audience, `invalid_scope` and
/// `invalid_target`, the token cache, and private_key_jwt with a key made by openssl (an assertion
/// works once).
#[tokio::test]
async fn guide_service_commands_run() {
    let mut guide = Guide::start("docs/guides/service.md", |_| {}).await;
    guide.run_rest().await;
    let token = guide.var("TOKEN").expect("TOKEN set by the guide");
    let claims = jwt_part(&token, 1);
    assert_eq!(claims["aud"], "https://billing.example/api");
    assert_eq!(claims["scope"], "invoices:read");
    assert_eq!(
        claims["sub"],
        guide.var("SERVICE_ID").expect("SERVICE_ID").as_str()
    );
}

/// docs/guides/gateway.md: the key found by `kid`, `token inspect` accepting the API's token and
/// refusing it for another API, claims forwarded as headers, and introspection that sees a
/// revocation a local check cannot.
#[tokio::test]
async fn guide_gateway_commands_run() {
    let mut guide = Guide::start("docs/guides/gateway.md", |_| {}).await;
    guide.run_rest().await;
    let kid = guide.var("KID").expect("KID set by the guide");
    let jwks: serde_json::Value = guide
        .app
        .api
        .get(guide.app.url("/jwks"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert!(kids.contains(&kid.as_str()), "{kid} not in {kids:?}");
    let forwarded = std::fs::read_to_string(guide.work_path("forwarded-headers.txt")).expect("headers");
    let caller = guide.var("CALLER_ID").expect("CALLER_ID");
    assert!(
        forwarded.contains(&format!("X-Auth-Subject: {caller}")),
        "{forwarded}"
    );
    assert!(
        forwarded.contains("X-Auth-Audience: https://orders.example/api"),
        "{forwarded}"
    );
}

/// docs/guides/from-homegrown-jwt.md: sign-in replacing `/login`, a 401 with its challenge, the
/// refresh replacing `/keepalive`, and revocation of the refresh and the access token.
#[tokio::test]
async fn guide_from_homegrown_jwt_commands_run() {
    let mut guide = Guide::start("docs/guides/from-homegrown-jwt.md", |_| {}).await;
    guide.run_through("echo \"$AUTH_URL\"").await;
    let callback = guide.browse_to_callback("AUTH_URL").await;
    assert!(
        callback.starts_with("https://shop.example.com/callback?code="),
        "{callback}"
    );
    guide.run_rest().await;
    let token = guide.var("ACCESS_TOKEN").expect("ACCESS_TOKEN set by the guide");
    let res = get_userinfo(&guide.app, &token).await;
    assert_invalid_token(res).await;
}
