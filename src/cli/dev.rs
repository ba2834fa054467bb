//! `portcullis dev seed`: fills the database with many users, token families and live refresh
//! tokens for the benchmark's scale curve (bench/README.md, "Scale"). Rows go in batches, each one
//! transaction of multi-row inserts ([`crate::storage::SeedStore`]); every user gets the same
//! Argon2id hash, computed once, of a password printed at the end (random unless `--password-stdin`).
//! The refresh tokens are random digests with no known preimage: nobody can use them.

use clap::{Args, Subcommand};

use super::{CliError, open_store, output};
use crate::accounts::password::PasswordHasher;
use crate::clock::Clock;
use crate::config::Settings;
use crate::oauth::scope::Scope;
use crate::storage::{AuthMethod, DynStore, FamilyLifetime, NewUser, RefreshToken, SeedBatch, TokenFamily};

/// Development and benchmarking helpers.
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Insert N users and N offline token families, each with one live refresh token (benchmarks).
    Seed(SeedArgs),
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// How many users to insert.
    #[arg(long, default_value_t = 0)]
    pub users: u64,
    /// How many token families (each with one live refresh token) to insert, spread over the
    /// seeded users.
    #[arg(long, default_value_t = 0)]
    pub families: u64,
    /// The client the families belong to [default: the first client].
    #[arg(long, value_name = "CLIENT_ID")]
    pub client: Option<String>,
    /// Rows of each kind per transaction.
    #[arg(long, default_value_t = 10_000)]
    pub batch: u64,
    /// Read the seeded users' password from standard input [default: a random one, printed].
    #[arg(long)]
    pub password_stdin: bool,
}

pub async fn run(settings: Settings, cmd: DevCommand) -> Result<(), CliError> {
    match cmd {
        DevCommand::Seed(args) => seed(settings, args).await,
    }
}

async fn seed(settings: Settings, args: SeedArgs) -> Result<(), CliError> {
    if args.families > 0 && args.users == 0 {
        return Err(CliError::Invalid("families need users: give --users too".into()));
    }
    let store = open_store(&settings).await?;
    let client_id = match args.client {
        Some(id) => {
            store
                .client_by_id(&id)
                .await?
                .ok_or_else(|| CliError::NotFound(format!("no client {id}")))?
                .client_id
        }
        None if args.families > 0 => {
            store
                .list_clients()
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| CliError::NotFound("no client: add one first (portcullis client add)".into()))?
                .client_id
        }
        None => String::new(),
    };
    let password = if args.password_stdin {
        output::read_new_password(true)?
    } else {
        crate::random::random_token(16)
    };
    // One Argon2id run, not one per user.
    let password_hash = PasswordHasher::new(&settings.argon2)?
        .hash(password.clone())
        .await?;
    let plan = Plan {
        run: hex::encode(crate::random::random_bytes::<4>()),
        password_hash,
        client_id,
        now: Clock::system().now(),
        refresh_ttl: settings.tokens.refresh_idle_ttl_secs as i64,
        absolute_ttl: settings.tokens.refresh_absolute_ttl_secs as i64,
    };
    let started = std::time::Instant::now();
    let written = insert_all(&store, &plan, args.users, args.families, args.batch.max(1)).await?;
    output::line(&format!(
        "seeded {} users and {} token families ({written} rows) in {:.1} s; usernames seed-{}-<n> (n from 0), password {}",
        args.users,
        args.families,
        started.elapsed().as_secs_f64(),
        plan.run,
        if args.password_stdin {
            "as given"
        } else {
            password.as_str()
        },
    ))
}

/// What every seeded row shares.
struct Plan {
    /// Tells this run's rows apart from an earlier run's.
    run: String,
    password_hash: String,
    client_id: String,
    now: i64,
    refresh_ttl: i64,
    absolute_ttl: i64,
}

impl Plan {
    fn user(&self, n: u64) -> NewUser {
        NewUser {
            id: format!("seed-{}-{n}", self.run),
            username: format!("seed-{}-{n}", self.run),
            email: None,
            email_verified: false,
            name: None,
            password_hash: self.password_hash.clone(),
            created_at: self.now,
        }
    }

    fn grant(&self, n: u64, users: u64) -> (TokenFamily, RefreshToken) {
        let user_id = format!("seed-{}-{}", self.run, n % users);
        let scope = Scope::from_tokens(["openid", "offline_access"]);
        let family = TokenFamily {
            id: format!("seedfam-{}-{n}", self.run),
            user_id: Some(user_id.clone()),
            client_id: self.client_id.clone(),
            scope: scope.clone(),
            sid: None,
            auth_time: self.now,
            created_at: self.now,
            last_used_at: self.now,
            absolute_expires_at: self.now + self.absolute_ttl,
            revoked_at: None,
            device_name: None,
            user_agent: None,
            ip: None,
            dpop_jkt: None,
            lifetime: FamilyLifetime::Offline,
            amr: vec![AuthMethod::Password],
            idp: None,
            resources: Vec::new(),
        };
        let token = RefreshToken {
            // A random digest: no token hashes to it.
            token_hash: hex::encode(crate::random::random_bytes::<32>()),
            family_id: family.id.clone(),
            client_id: self.client_id.clone(),
            user_id: Some(user_id),
            scope,
            created_at: self.now,
            expires_at: self.now + self.refresh_ttl,
            used_at: None,
        };
        (family, token)
    }
}

async fn insert_all(
    store: &DynStore,
    plan: &Plan,
    users: u64,
    families: u64,
    batch: u64,
) -> Result<u64, CliError> {
    let (mut next_user, mut next_family, mut written) = (0, 0, 0);
    while next_user < users || next_family < families {
        let user_end = (next_user + batch).min(users);
        let family_end = (next_family + batch).min(families);
        let rows = SeedBatch {
            users: (next_user..user_end).map(|n| plan.user(n)).collect(),
            grants: (next_family..family_end).map(|n| plan.grant(n, users)).collect(),
        };
        written += store.insert_seed_batch(rows).await?;
        (next_user, next_family) = (user_end, family_end);
    }
    Ok(written)
}
