//! Building and running the server (DESIGN.md §1): connect storage, migrate, load keys, bind the
//! listener (port 0 allowed), start background upkeep, serve.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;

use crate::accounts::password::PasswordHasher;
use crate::config::Settings;
use crate::keys::KeyRing;
use crate::oidc::metadata::DiscoveryCache;
use crate::state::AppState;
use crate::storage::diesel::DieselStore;
use crate::storage::ephemeral::redis::RedisEphemeral;
use crate::storage::ephemeral::sql::SqlEphemeral;
use crate::storage::{DynEphemeral, DynStore, Store};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("storage: {0}")]
    Storage(#[from] crate::storage::StorageError),
    #[error("signing keys: {0}")]
    Keys(#[from] crate::keys::KeyError),
    #[error("password hasher: {0}")]
    Password(String),
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
}

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    issuer: String,
    server: Server,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let listener = TcpListener::bind(&settings.listen)?;
        Self::build_with_listener(settings, listener).await
    }

    /// Builds on a listener bound by the caller (tests bind port 0 first to learn the issuer).
    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> Result<Application, StartupError> {
        let state = build_state(settings).await?;
        let port = listener.local_addr()?.port();
        let server = serve(listener, state.clone())?;
        tracing::info!(address = %listener_addr(&state.settings.listen, port), issuer = %state.settings.issuer, "listening");
        Ok(Application {
            port,
            issuer: state.settings.issuer.clone(),
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Runs until the process is stopped (SIGINT / SIGTERM), with background upkeep alongside.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let upkeep = tokio::spawn(upkeep(self.state.clone()));
        let result = self.server.await;
        upkeep.abort();
        result
    }
}

fn listener_addr(listen: &str, port: u16) -> String {
    match listen.rsplit_once(':') {
        Some((host, _)) => format!("{host}:{port}"),
        None => listen.to_string(),
    }
}

/// Connects storage, applies migrations, loads the key ring.
pub async fn build_state(settings: Settings) -> Result<AppState, StartupError> {
    let db = DieselStore::connect(settings.database.url.expose_secret(), settings.database.pool_size).await?;
    db.migrate().await?;
    let ephemeral: DynEphemeral = match &settings.redis.url {
        Some(url) => Arc::new(RedisEphemeral::connect(
            url.expose_secret(),
            &settings.redis.key_prefix,
        )?),
        None => Arc::new(SqlEphemeral::new(db.pool())),
    };
    let store: DynStore = Arc::new(db);
    let keys = KeyRing::load(store.clone(), &settings.keys).await?;
    let hasher = PasswordHasher::new(&settings.argon2).map_err(|e| StartupError::Password(e.to_string()))?;
    let discovery = Arc::new(DiscoveryCache::new(&settings, &keys.signing_algs()));
    Ok(AppState {
        settings: Arc::new(settings),
        store,
        ephemeral,
        keys,
        hasher,
        discovery,
    })
}

fn serve(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let workers = match state.settings.workers {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
        n => n,
    };
    let max_body = state.settings.security.max_body_bytes;
    let https = state.settings.is_https();
    let dev_mode = state.settings.dev_mode;
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .wrap(crate::http::headers::security_headers(https))
            .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
            .configure(|cfg| crate::endpoints::routes(cfg, dev_mode))
    })
    .workers(workers)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Background upkeep on every node: pick up key changes made by other nodes or the CLI (a Redis
/// notice, or the poll), rotate and retire keys, purge expired short-lived rows and dead grants.
async fn upkeep(state: AppState) {
    let redis = &state.settings.redis;
    let watcher = redis.url.as_ref().map(|url| {
        let (state, url, prefix) = (
            state.clone(),
            url.expose_secret().to_string(),
            redis.key_prefix.clone(),
        );
        tokio::spawn(async move {
            crate::keys::notify::watch(url, prefix, || async { reload_keys(&state).await }).await;
        })
    });
    let mut tick = tokio::time::interval(crate::keys::notify::POLL);
    let mut round: u64 = 0;
    loop {
        tick.tick().await;
        if round % 60 == 0 {
            rotate_keys(&state).await;
        }
        reload_keys(&state).await;
        if round % 12 == 0 {
            purge(&state).await;
        }
        round += 1;
        if watcher.as_ref().is_some_and(|w| w.is_finished()) {
            tracing::warn!("key notice watcher stopped; relying on polling");
        }
    }
}

async fn reload_keys(state: &AppState) {
    match state.keys.reload().await {
        Ok(()) => state
            .discovery
            .refresh(&state.settings, &state.keys.signing_algs()),
        Err(e) => tracing::warn!(error = %e, "could not reload signing keys"),
    }
}

async fn purge(state: &AppState) {
    if let Err(e) = state.ephemeral.purge_expired().await {
        tracing::warn!(error = %e, "could not purge expired entries");
    }
    let keep = 7 * 24 * 3600;
    if let Err(e) = state.store.purge_grants(crate::util::now(), keep).await {
        tracing::warn!(error = %e, "could not purge expired grants");
    }
}

/// Automatic rotation (`keys.rotation_days`) and retirement of keys whose tokens have all expired.
async fn rotate_keys(state: &AppState) {
    let t = &state.settings.tokens;
    let max_lifetime = t.access_token_ttl_secs.max(t.id_token_ttl_secs) as i64;
    // One node at a time: the first to count this minute's lock does the rotation.
    let lock = crate::storage::Kind::RateLimit;
    let minute = crate::util::now() / 60;
    match state
        .ephemeral
        .incr(
            lock,
            &format!("key-rotation:{minute}"),
            std::time::Duration::from_secs(120),
        )
        .await
    {
        Ok(1) => {}
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "could not take the key rotation lock");
            return;
        }
    }
    let mut changed = false;
    match crate::keys::rotate_due(&state.store, &state.settings.keys, max_lifetime).await {
        Ok(created) => {
            for key in created {
                changed = true;
                tracing::info!(kid = %key.kid, alg = %key.alg, activates_at = key.activates_at, "signing key rotated");
            }
        }
        Err(e) => tracing::warn!(error = %e, "automatic key rotation failed"),
    }
    match crate::keys::retire_expired(&state.store).await {
        Ok(n) => changed |= n > 0,
        Err(e) => tracing::warn!(error = %e, "could not retire expired keys"),
    }
    if changed {
        crate::keys::notify::announce(&state.settings.redis).await;
    }
}
