//! Password hashing with Argon2id (RFC 9106; docs/security.md D.19).
//!
//! Hashing and verification run on a few dedicated threads (`argon2.threads`, one per core by
//! default), never on the async executor and never on the unbounded blocking pool: each hash takes
//! `memory_kib` of memory, and with glibc every thread that ever hashed would keep that much
//! resident. At most `argon2.queue_limit` checks wait for a thread; past that the caller is told to
//! come back later (503 with `Retry-After`), and a queued check whose request has gone (its future
//! was dropped) is skipped instead of hashed (docs/security.md E.33). An unknown user is verified
//! against a dummy hash made with the same parameters, so it costs the same time as a wrong
//! password and does not reveal whether the user exists.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use rand::RngCore;

use crate::config::Argon2Settings;

/// Errors of password hashing. Messages never contain the password.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The configured Argon2 parameters are out of range.
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    /// Hashing failed (RNG or internal error).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The stored hash is not a PHC string this hasher understands.
    #[error("stored password hash is malformed: {0}")]
    Malformed(String),
    /// The blocking task was cancelled or panicked.
    #[error("password hashing task failed: {0}")]
    Join(String),
    /// `argon2.queue_limit` checks are already waiting for a hashing thread: try again later.
    #[error("every hashing thread is busy and the queue is full")]
    Busy,
}

type Job = Box<dyn FnOnce() + Send>;

/// How many checks wait, and how many were dropped because nobody waited for them any more.
#[derive(Default)]
struct Queue {
    waiting: AtomicUsize,
    abandoned: AtomicU64,
}

struct Inner {
    argon2: Argon2<'static>,
    /// A hash of a random value, verified against when the user is unknown: computed by a hashing
    /// thread as its first job, so that the start does not wait for it (or by the first check that
    /// needs it, if that comes first).
    dummy: Arc<std::sync::OnceLock<String>>,
    /// The hashing threads' queue. Dropping the last hasher closes it and the threads end.
    jobs: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
    queue: Arc<Queue>,
    /// The most jobs that may wait for a thread (`argon2.queue_limit`).
    bound: usize,
    /// How many hashing threads hold their working memory now.
    resident: Arc<AtomicUsize>,
}

/// RFC 9106 Argon2id hasher with the configured parameters. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", self.inner.argon2.params())
            .field("queue_bound", &self.inner.bound)
            .finish()
    }
}

/// Starts `count` hashing threads that take jobs from `rx`.
/// docs/operations.md, "Scaling": a hashing thread idle this long gives back its `memory_kib` of
/// working memory (a burst of logins keeps it; an idle server does not hold it).
const IDLE_RELEASE: std::time::Duration = std::time::Duration::from_secs(2);

fn start_threads(
    count: usize,
    rx: std::sync::mpsc::Receiver<Job>,
    resident: Arc<AtomicUsize>,
) -> Result<(), PasswordError> {
    use std::sync::mpsc::RecvTimeoutError;
    let rx = Arc::new(std::sync::Mutex::new(rx));
    for i in 0..count {
        let (rx, resident) = (Arc::clone(&rx), Arc::clone(&resident));
        std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || {
                RESIDENT.with(|cell| *cell.borrow_mut() = Some(resident));
                loop {
                    // Every thread waits for work a while at most, then lets the next one wait: a
                    // thread that holds working memory and found no work gives it back.
                    let job = match rx.lock() {
                        Ok(guard) => match guard.recv_timeout(IDLE_RELEASE) {
                            Ok(job) => job,
                            Err(RecvTimeoutError::Timeout) => {
                                drop(guard);
                                release_blocks();
                                // Let another thread wait for the next while (a job that comes
                                // meanwhile waits at most this long).
                                std::thread::sleep(std::time::Duration::from_millis(10));
                                continue;
                            }
                            Err(RecvTimeoutError::Disconnected) => return,
                        },
                        Err(_) => return,
                    };
                    job();
                }
            })
            .map_err(|e| PasswordError::Hash(format!("cannot start hashing threads: {e}")))?;
    }
    Ok(())
}

impl PasswordHasher {
    /// RFC 9106 §4: Argon2id, version 0x13, with `settings`' m (KiB), t and p, on
    /// `settings.thread_count()` threads with `settings.queue_bound()` places in the queue.
    /// The dummy hash used for unknown users is computed by a hashing thread right after.
    pub fn new(settings: &Argon2Settings) -> Result<PasswordHasher, PasswordError> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|e| PasswordError::Params(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let resident = Arc::new(AtomicUsize::new(0));
        start_threads(settings.thread_count().max(1), rx, Arc::clone(&resident))?;
        let dummy = Arc::new(std::sync::OnceLock::new());
        let first_job: Job = {
            let (dummy, argon2) = (Arc::clone(&dummy), argon2.clone());
            Box::new(move || {
                let _ = dummy_hash(&dummy, &argon2);
                // A start-up job, not a login: an idle server holds no working memory.
                release_blocks();
            })
        };
        let _ = tx.send(first_job);
        Ok(PasswordHasher {
            inner: Arc::new(Inner {
                argon2,
                dummy,
                jobs: std::sync::Mutex::new(tx),
                queue: Arc::new(Queue::default()),
                bound: settings.queue_bound(),
                resident,
            }),
        })
    }

    /// Runs `f` on a hashing thread with the current tracing span, and awaits its result.
    /// `Busy` when the queue is full; a job whose caller stopped waiting is skipped.
    async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&PasswordHasher) -> R + Send + 'static,
    ) -> Result<R, PasswordError> {
        let queue = &self.inner.queue;
        if queue.waiting.fetch_add(1, Ordering::SeqCst) >= self.inner.bound {
            queue.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(PasswordError::Busy);
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        let this = self.clone();
        let span = tracing::Span::current();
        let job: Job = Box::new(move || {
            let queue = Arc::clone(&this.inner.queue);
            queue.waiting.fetch_sub(1, Ordering::SeqCst);
            if reply.is_closed() {
                queue.abandoned.fetch_add(1, Ordering::Relaxed);
                span.in_scope(|| tracing::debug!("password check abandoned by its request; skipped"));
                return;
            }
            let _ = reply.send(span.in_scope(|| f(&this)));
        });
        let sent = match self.inner.jobs.lock() {
            Ok(tx) => tx.send(job).is_ok(),
            Err(_) => false,
        };
        if !sent {
            queue.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(PasswordError::Join("hashing threads are gone".into()));
        }
        answer.await.map_err(|e| PasswordError::Join(e.to_string()))
    }

    /// How many hashing threads hold their `memory_kib` of working memory now (each gives it back
    /// after being idle for a while).
    pub fn resident_working_areas(&self) -> usize {
        self.inner.resident.load(Ordering::Relaxed)
    }

    /// How many queued checks were skipped because their request had gone.
    pub fn abandoned(&self) -> u64 {
        self.inner.queue.abandoned.load(Ordering::Relaxed)
    }

    /// RFC 9106: hashes `password` on a hashing thread; returns the PHC string (`$argon2id$...`).
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.run(move |h| h.hash_blocking(&password)).await?
    }

    /// RFC 9106: hashes `password` on the current thread (CLI and tests only).
    pub fn hash_blocking(&self, password: &str) -> Result<String, PasswordError> {
        hash_with(&self.inner.argon2, password)
    }

    /// docs/security.md D.19: verifies on a hashing thread. `stored = None` (unknown user) verifies
    /// against the dummy hash and returns false, so it costs the same as a wrong password.
    pub async fn verify(&self, stored: Option<String>, password: String) -> Result<bool, PasswordError> {
        self.run(move |h| h.verify_blocking(stored.as_deref(), &password))
            .await?
    }

    /// Like [`PasswordHasher::verify`], on the current thread.
    pub fn verify_blocking(&self, stored: Option<&str>, password: &str) -> Result<bool, PasswordError> {
        let (hash, known) = match stored {
            Some(h) => (h, true),
            None => (dummy_hash(&self.inner.dummy, &self.inner.argon2)?, false),
        };
        let malformed = |e: &dyn std::fmt::Display| PasswordError::Malformed(e.to_string());
        let parsed = PasswordHash::new(hash).map_err(|e| malformed(&e))?;
        let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(|e| malformed(&e))?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).map_err(|e| malformed(&e))?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).map_err(|e| malformed(&e))?;
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return Err(PasswordError::Malformed("no salt or hash".into()));
        };
        let mut out = vec![0u8; expected.len()];
        let argon2 = Argon2::new(algorithm, version, params);
        with_blocks(argon2.params().block_count(), |blocks| {
            argon2.hash_password_into_with_memory(password.as_bytes(), salt.as_ref(), &mut out, blocks)
        })
        .map_err(|e| malformed(&e))?;
        Ok(crate::digest::ct_eq_bytes(&out, expected.as_bytes()) && known)
    }
}

thread_local! {
    /// Argon2's working memory, kept by each hashing thread and reused for every hash while logins
    /// keep coming (a fresh `memory_kib` allocation per hash leaves the allocator holding many such
    /// regions resident), given back after [`IDLE_RELEASE`] without one.
    static BLOCKS: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
    /// On a hashing thread: its hasher's count of threads holding working memory.
    static RESIDENT: std::cell::RefCell<Option<Arc<AtomicUsize>>> = const { std::cell::RefCell::new(None) };
}

/// Counts this thread in (+1) or out (-1) of its hasher's threads holding working memory.
fn count_resident(add: bool) {
    RESIDENT.with(|cell| {
        if let Some(n) = cell.borrow().as_ref() {
            if add {
                n.fetch_add(1, Ordering::Relaxed);
            } else {
                n.fetch_sub(1, Ordering::Relaxed);
            }
        }
    });
}

/// glibc serves an allocation above its mmap threshold with its own mapping, and on freeing one of
/// up to 32 MiB raises the threshold to its size (and the heap trim threshold to twice that): after
/// the first freed 19 MiB working area, the next ones and the arenas' free memory stayed in the
/// process. A reservation above 32 MiB (`DEFAULT_MMAP_THRESHOLD_MAX` on 64-bit) is always its own
/// mapping and never moves the thresholds, so freeing it returns it to the system; only the
/// `memory_kib` actually used is ever touched, so the rest of the reservation costs no memory
/// (docs/operations.md, "Scaling").
const RESERVE_BYTES: usize = 33 << 20;

fn with_blocks<R>(count: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
    BLOCKS.with(|cell| {
        let mut blocks = cell.borrow_mut();
        if blocks.len() != count {
            if blocks.is_empty() {
                count_resident(true);
            }
            let reserve = count.max(RESERVE_BYTES / std::mem::size_of::<Block>());
            let mut fresh = Vec::with_capacity(reserve);
            fresh.resize(count, Block::default());
            *blocks = fresh;
        }
        f(&mut blocks[..])
    })
}

/// The dummy hash, computed once (docs/security.md D.19).
fn dummy_hash<'a>(
    dummy: &'a std::sync::OnceLock<String>,
    argon2: &Argon2<'static>,
) -> Result<&'a str, PasswordError> {
    if let Some(d) = dummy.get() {
        return Ok(d);
    }
    let made = hash_with(argon2, &crate::random::secret_256())?;
    Ok(dummy.get_or_init(|| made))
}

/// Frees this thread's Argon2 working memory (the next hash on it allocates it again).
fn release_blocks() {
    let held = BLOCKS.with(|cell| std::mem::take(&mut *cell.borrow_mut()));
    if !held.is_empty() {
        count_resident(false);
    }
}

/// RFC 9106 Argon2id of `password` with a fresh 128-bit salt, as a PHC string.
fn hash_with(argon2: &Argon2<'static>, password: &str) -> Result<String, PasswordError> {
    let fail = |e: &dyn std::fmt::Display| PasswordError::Hash(e.to_string());
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let params = argon2.params();
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    with_blocks(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, blocks)
    })
    .map_err(|e| fail(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| fail(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| fail(&e))?),
        hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
    };
    Ok(phc.to_string())
}

/// Shortest accepted password, in characters (NIST SP 800-63B §3.1.1.2: at least 8).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password, in characters (bounds the hashing input).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// NIST SP 800-63B §3.1.1.2: length only (8..=1024 characters), no composition rules.
/// The error explains what is wrong, for the user.
pub fn check_policy(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters long"
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!(
            "password must be at most {MAX_PASSWORD_CHARS} characters long"
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_idle_hashing_thread_gives_back_its_working_memory() {
        let h = PasswordHasher::new(&Argon2Settings {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
            threads: 2,
            queue_limit: 4,
        })
        .unwrap();
        let stored = h.hash("correct horse".into()).await.unwrap();
        let (a, b) = tokio::join!(
            h.verify(Some(stored.clone()), "correct horse".into()),
            h.verify(Some(stored.clone()), "wrong horse".into())
        );
        assert!(a.unwrap() && !b.unwrap());
        assert!(h.resident_working_areas() >= 1, "kept between checks");
        // Each of the two threads gets its turn to wait, and gives its memory back.
        tokio::time::sleep(IDLE_RELEASE * 2 + std::time::Duration::from_millis(800)).await;
        assert_eq!(h.resident_working_areas(), 0, "given back once idle");
        assert!(
            h.verify(Some(stored), "correct horse".into()).await.unwrap(),
            "and hashes again"
        );
        assert_eq!(h.resident_working_areas(), 1);
    }

    /// The dummy hash is made at start by a hashing thread, which gives its working memory back at
    /// once: a server no one signed in to holds none (RSS idle, bench/RESULTS.md).
    #[tokio::test]
    async fn the_start_up_dummy_hash_leaves_no_working_memory_held() {
        let h = hasher();
        let started = std::time::Instant::now();
        while h.inner.dummy.get().is_none() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "no dummy hash"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // Released by the same job, right after the hash (well before IDLE_RELEASE).
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(h.resident_working_areas(), 0);
    }

    #[test]
    fn the_thread_that_builds_the_hasher_keeps_no_argon2_memory() {
        let settings = Argon2Settings {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
            ..Default::default()
        };
        let _hasher = PasswordHasher::new(&settings).unwrap();
        assert_eq!(BLOCKS.with(|cell| cell.borrow().len()), 0);
    }

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(&Argon2Settings {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
            ..Argon2Settings::default()
        })
        .unwrap()
    }

    /// A hasher with one thread and `queue_limit` places, and a job that holds its thread until
    /// the returned sender is dropped or sent to.
    async fn busy_hasher(
        queue_limit: usize,
    ) -> (
        PasswordHasher,
        std::sync::mpsc::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let h = PasswordHasher::new(&Argon2Settings {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
            threads: 1,
            queue_limit,
        })
        .unwrap();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
        let blocker = {
            let h = h.clone();
            tokio::spawn(async move {
                h.run(move |_| {
                    let _ = started_tx.send(());
                    let _ = held.recv();
                })
                .await
                .unwrap();
            })
        };
        started.await.unwrap();
        (h, release, blocker)
    }

    /// Waits until `n` jobs wait in the queue.
    async fn until_waiting(h: &PasswordHasher, n: usize) {
        while h.inner.queue.waiting.load(Ordering::SeqCst) != n {
            tokio::task::yield_now().await;
        }
    }

    /// docs/security.md E.33: past `argon2.queue_limit` waiting checks the hasher answers `Busy`
    /// at once instead of queueing without end.
    #[tokio::test]
    async fn hash_queue_is_bounded_and_answers_busy_past_it() {
        let (h, release, blocker) = busy_hasher(1).await;
        let queued = tokio::spawn({
            let h = h.clone();
            async move { h.verify(None, "queued".into()).await }
        });
        until_waiting(&h, 1).await;
        let refused = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            h.verify(None, "one too many".into()),
        )
        .await
        .expect("answered at once, not queued");
        assert!(matches!(refused, Err(PasswordError::Busy)), "{refused:?}");
        release.send(()).unwrap();
        blocker.await.unwrap();
        assert!(!queued.await.unwrap().unwrap(), "the queued check ran");
        assert!(
            h.verify(None, "room again".into()).await.is_ok(),
            "the queue drains"
        );
    }

    /// docs/security.md E.33: a queued check whose request has gone (its future was dropped) is
    /// skipped, not hashed.
    #[tokio::test]
    async fn queued_checks_of_gone_requests_are_skipped() {
        let (h, release, blocker) = busy_hasher(4).await;
        let gone = tokio::time::timeout(
            std::time::Duration::from_millis(20),
            h.verify(None, "the client hung up".into()),
        )
        .await;
        assert!(gone.is_err(), "still queued when its request went away");
        assert_eq!(h.inner.queue.waiting.load(Ordering::SeqCst), 1);
        release.send(()).unwrap();
        blocker.await.unwrap();
        assert!(!h.verify(None, "next".into()).await.unwrap());
        assert_eq!(h.abandoned(), 1, "the dropped check was skipped");
        assert_eq!(h.inner.queue.waiting.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn hash_then_verify_round_trips() {
        let h = hasher();
        let stored = h.hash("correct horse".into()).await.unwrap();
        assert!(h.verify(Some(stored), "correct horse".into()).await.unwrap());
    }

    #[tokio::test]
    async fn wrong_password_is_false() {
        let h = hasher();
        let stored = h.hash("correct horse".into()).await.unwrap();
        assert!(!h.verify(Some(stored), "battery staple".into()).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_user_is_false() {
        let h = hasher();
        assert!(!h.verify(None, "anything at all".into()).await.unwrap());
        assert!(!h.verify(None, String::new()).await.unwrap());
    }

    #[test]
    fn hash_is_argon2id_with_configured_parameters() {
        let h = PasswordHasher::new(&Argon2Settings {
            memory_kib: 72,
            iterations: 3,
            parallelism: 2,
            ..Argon2Settings::default()
        })
        .unwrap();
        let stored = h.hash_blocking("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$"), "{stored}");
        assert!(stored.contains("m=72"), "{stored}");
        assert!(stored.contains("t=3"), "{stored}");
        assert!(stored.contains("p=2"), "{stored}");
        assert_ne!(stored, h.hash_blocking("correct horse").unwrap(), "salted");
    }

    #[test]
    fn malformed_stored_hash_is_an_error() {
        assert!(hasher().verify_blocking(Some("not a hash"), "x").is_err());
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(
            PasswordHasher::new(&Argon2Settings {
                memory_kib: 1,
                iterations: 1,
                parallelism: 1,
                ..Argon2Settings::default()
            })
            .is_err()
        );
    }

    #[test]
    fn policy_is_length_only() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("12345678").is_ok());
        assert!(check_policy("ñññññññ").is_err());
        assert!(check_policy(&"a".repeat(1024)).is_ok());
        assert!(check_policy(&"a".repeat(1025)).is_err());
    }
}
