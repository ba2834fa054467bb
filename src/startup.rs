//! Building and running the server: connect storage, migrate, load keys and revocations, bind the
//! listener (port 0 allowed), start background upkeep (`upkeep.rs`), serve.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;

use crate::accounts::password::PasswordHasher;
use crate::clock::Clock;
use crate::config::Settings;
use crate::context::{Context, Parts};
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
    Password(#[from] crate::accounts::password::PasswordError),
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Branding(#[from] crate::http::overrides::OverrideError),
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
        Self::build_with(settings, listener, Clock::system()).await
    }

    /// Builds on a listener bound by the caller (tests bind port 0 first to learn the issuer),
    /// with the clock every flow and store of this server reads (tests pass one they advance).
    pub async fn build_with(
        settings: Settings,
        listener: TcpListener,
        clock: Clock,
    ) -> Result<Application, StartupError> {
        let state = build_state(settings, clock).await?;
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
        let upkeep = tokio::spawn(crate::upkeep::run(self.state.clone()));
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

/// Connects storage, applies migrations, loads the key ring and the revoked access tokens.
pub async fn build_state(settings: Settings, clock: Clock) -> Result<AppState, StartupError> {
    crate::monitoring::install();
    let db = DieselStore::connect(settings.database.url.expose_secret(), settings.database.pool_size).await?;
    db.migrate().await?;
    db.announce_changes(&settings.redis);
    let ephemeral: DynEphemeral = match &settings.redis.url {
        Some(url) => Arc::new(RedisEphemeral::connect(
            url.expose_secret(),
            &settings.redis.key_prefix,
        )?),
        None => Arc::new(SqlEphemeral::new(db.pool(), clock.clone())),
    };
    let store: DynStore = Arc::new(db);
    let keys = KeyRing::load(
        store.clone(),
        &settings.keys,
        settings.tokens.access_token_alg,
        clock.clone(),
    )
    .await?;
    let hasher = PasswordHasher::new(&settings.argon2)?;
    let discovery = Arc::new(DiscoveryCache::new(&settings, &keys.signing_algs()));
    let parts = Parts {
        store,
        ephemeral,
        keys,
        clock,
        hasher,
    };
    let ctx = Context::new(&settings, parts);
    // docs/security.md E.30: the revoked access tokens, read before the first request is served.
    ctx.revoked.sync(ctx.store.as_ref(), &ctx.clock).await?;
    Ok(AppState {
        ctx,
        settings: Arc::new(settings),
        discovery,
    })
}

fn serve(listener: TcpListener, state: AppState) -> Result<Server, StartupError> {
    let workers = match state.settings.workers {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
        n => n,
    };
    let blocking_threads = (state.settings.database.pool_size as usize).clamp(2, 64);
    let max_body = state.settings.security.max_body_bytes;
    let https = state.settings.is_https();
    let dev_mode = state.settings.dev_mode;
    let trusted = state.settings.http.trusted_proxies.clone();
    let shutdown_timeout = state.settings.http.shutdown_timeout_secs;
    // docs/security.md O.6: the brand every page shows; an https logo is allowed by the CSP. The
    // page templates of `branding.dir` are compiled now: an error refuses the start.
    let brand = web::Data::new(crate::http::branding::Brand::load(&state.settings.branding)?);
    let brand_logo = brand.external_logo();
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(brand.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .wrap(actix_web::middleware::from_fn(crate::http::branding::scope))
            .wrap(actix_web::middleware::from_fn(crate::http::locale::scope))
            .wrap(crate::http::headers::security_headers(
                https,
                &brand_logo.iter().map(String::as_str).collect::<Vec<_>>(),
            ))
            .wrap(actix_web::middleware::from_fn(crate::http::head::as_get))
            .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
            .wrap(crate::http::observe::RequestIds::new(trusted.clone()))
            .configure(|cfg| crate::endpoints::routes(cfg, dev_mode))
    })
    .workers(workers)
    // docs/operations.md, "Scaling": a worker's blocking pool runs database calls, which wait for one
    // of `database.pool_size` connections anyway; more threads would only wait there, each keeping
    // its own stack and allocator arena resident.
    .worker_max_blocking_threads(blocking_threads)
    // docs/operations.md, "Stopping": on SIGTERM or SIGINT stop accepting, let requests under way
    // finish for up to this long, then stop.
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)?
    .run();
    Ok(server)
}
