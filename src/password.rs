//! Password hashing: PBKDF2-HMAC-SHA256 PHC strings for everything we write, bcrypt
//! verification for hashes imported from the PHP original, and a gate that bounds how many
//! hashes run at once so a login storm cannot starve cheap requests.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use pbkdf2::password_hash::phc::{PasswordHash, SaltString};
use pbkdf2::password_hash::{CustomizedPasswordHasher, PasswordVerifier};
use pbkdf2::{Params, Pbkdf2};

use crate::secrets;

/// Outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Wrong password, or a hash we cannot read.
    Mismatch,
    /// Right password and the hash is current.
    Match,
    /// Right password, but the hash should be replaced (bcrypt, or fewer rounds than configured).
    MatchNeedsRehash,
}

impl Verdict {
    /// True for both matching outcomes.
    pub fn matched(self) -> bool {
        self != Verdict::Mismatch
    }
}

/// Hashes a password into a `$pbkdf2-sha256$i=...` PHC string with a fresh random salt.
pub fn hash(password: &str, rounds: u32) -> Result<String, String> {
    let params = Params::new_with_output_len(rounds, Params::RECOMMENDED_OUTPUT_LENGTH)
        .map_err(|e| format!("bad PBKDF2 parameters: {e}"))?;
    let salt = SaltString::generate();
    Pbkdf2::default()
        .hash_password_customized(password.as_bytes(), salt.as_bytes(), None, None, params)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing failed: {e}"))
}

/// Checks a password against a stored PBKDF2 or bcrypt (`$2y$`/`$2a$`/`$2b$`) hash.
pub fn verify(password: &str, stored: &str, rounds: u32) -> Verdict {
    if stored.starts_with("$2y$") || stored.starts_with("$2a$") || stored.starts_with("$2b$") {
        return match bcrypt::verify(password, stored) {
            Ok(true) => Verdict::MatchNeedsRehash,
            _ => Verdict::Mismatch,
        };
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verdict::Mismatch;
    };
    if Pbkdf2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return Verdict::Mismatch;
    }
    let stored_rounds = parsed.params.get_decimal("i").unwrap_or(u32::MAX);
    if stored_rounds < rounds {
        Verdict::MatchNeedsRehash
    } else {
        Verdict::Match
    }
}

/// Verifies against the stored hash or, when there is none, against a dummy hash of the
/// configured cost, so an unknown user takes as long as a known one. Without a stored hash
/// the answer is always `Mismatch`.
pub fn verify_or_dummy(password: &str, stored: Option<&str>, rounds: u32) -> Verdict {
    match stored.filter(|s| !s.is_empty()) {
        Some(stored) => verify(password, stored, rounds),
        None => {
            static DUMMY: OnceLock<String> = OnceLock::new();
            let dummy = DUMMY.get_or_init(|| hash("dummy password", rounds).unwrap_or_default());
            let _ = verify(password, dummy, rounds);
            Verdict::Mismatch
        }
    }
}

/// Prefix of app-password digests written by accounthub.
const TOKEN_PREFIX: &str = "$sha256$";

/// Stored form of a server-generated token (app passwords). They carry 80 bits from the
/// CSPRNG, so a plain SHA-256 digest protects them at rest and costs no hashing time on
/// every API login; slow hashes stay for human-chosen secrets.
pub fn token_digest(token: &str) -> String {
    format!("{TOKEN_PREFIX}{}", secrets::sha256_hex(token.as_bytes()))
}

/// Checks an app password against its stored form: our SHA-256 digest (constant-time) or a
/// bcrypt/PBKDF2 hash imported from the original.
pub fn verify_token(candidate: &str, stored: &str, rounds: u32) -> bool {
    match stored.strip_prefix(TOKEN_PREFIX) {
        Some(hex) => secrets::constant_time_eq(
            secrets::sha256_hex(candidate.as_bytes()).as_bytes(),
            hex.as_bytes(),
        ),
        None => verify(candidate, stored, rounds).matched(),
    }
}

/// A stored hash's kind and work factor, read from its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCost {
    /// bcrypt of this cost (2^cost key expansions).
    Bcrypt(u32),
    /// PBKDF2-HMAC-SHA256 of this many rounds.
    Pbkdf2(u32),
}

impl HashCost {
    /// Reads a stored hash, or just its cost prefix (`$2y$12$`, `$pbkdf2-sha256$i=600000`).
    pub fn of(stored: &str) -> Option<HashCost> {
        if let Some(rest) = ["$2y$", "$2a$", "$2b$"]
            .iter()
            .find_map(|p| stored.strip_prefix(p))
        {
            return rest.get(..2)?.parse().ok().map(HashCost::Bcrypt);
        }
        let rest = stored.strip_prefix("$pbkdf2-sha256$i=")?;
        let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
        digits.parse().ok().map(HashCost::Pbkdf2)
    }
}

/// How fast this machine verifies each kind, measured once per process with small costs
/// (a few milliseconds) and scaled: both kinds cost a fixed time per unit of work.
#[derive(Debug, Clone, Copy)]
pub struct Speed {
    /// Seconds per bcrypt key expansion pair (a cost-c verify does 2^c + 1).
    bcrypt_unit: f64,
    /// Seconds per PBKDF2 round.
    pbkdf2_round: f64,
}

/// bcrypt cost and PBKDF2 rounds of the calibration runs.
const PROBE_BCRYPT_COST: u32 = 5;
const PROBE_PBKDF2_ROUNDS: u32 = 5_000;

/// Safety factor on the slowest estimate, so a check of the slowest kind still ends
/// before the floor when the estimate was a little low.
const FLOOR_MARGIN: f64 = 1.2;

impl Speed {
    /// This process's measurement (the fastest of three runs of each probe).
    pub fn here() -> Speed {
        static SPEED: OnceLock<Speed> = OnceLock::new();
        *SPEED.get_or_init(|| {
            let fastest = |f: &dyn Fn()| {
                (0..3)
                    .map(|_| {
                        let start = Instant::now();
                        f();
                        start.elapsed().as_secs_f64()
                    })
                    .fold(f64::INFINITY, f64::min)
            };
            let bcrypt_hash = bcrypt::hash("probe", PROBE_BCRYPT_COST).unwrap_or_default();
            let bcrypt = fastest(&|| {
                let _ = bcrypt::verify("wrong", &bcrypt_hash);
            });
            let pbkdf2_hash = hash("probe", PROBE_PBKDF2_ROUNDS).unwrap_or_default();
            let pbkdf2 = fastest(&|| {
                let _ = verify("wrong", &pbkdf2_hash, PROBE_PBKDF2_ROUNDS);
            });
            Speed {
                bcrypt_unit: bcrypt / bcrypt_units(PROBE_BCRYPT_COST),
                pbkdf2_round: pbkdf2 / f64::from(PROBE_PBKDF2_ROUNDS),
            }
        })
    }

    /// Estimated time of one verify of this kind.
    pub fn estimate(&self, cost: HashCost) -> Duration {
        let secs = match cost {
            HashCost::Bcrypt(c) => self.bcrypt_unit * bcrypt_units(c),
            HashCost::Pbkdf2(rounds) => self.pbkdf2_round * f64::from(rounds),
        };
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
    }
}

fn bcrypt_units(cost: u32) -> f64 {
    2f64.powi(cost.min(31) as i32) + 1.0
}

/// The time every failed credential check is padded to: the slowest verify among the
/// stored kinds and a dummy at the configured rounds (what unknown users cost), times the
/// verifies one check may run (the account password plus `slow_app_passwords`), with a
/// margin. A failed check then takes the same time whoever the user and whatever the hash.
pub fn failure_floor(
    speed: &Speed,
    stored: &[HashCost],
    rounds: u32,
    slow_app_passwords: u32,
) -> Duration {
    let slowest = stored
        .iter()
        .copied()
        .chain([HashCost::Pbkdf2(rounds)])
        .map(|c| speed.estimate(c))
        .max()
        .unwrap_or_default();
    slowest.mul_f64(FLOOR_MARGIN * f64::from(slow_app_passwords.saturating_add(1)))
}

/// How often the floor is estimated again, so hashes imported or re-hashed while the
/// responder runs are taken into account.
const FLOOR_REFRESH: Duration = Duration::from_secs(600);

/// The floor failed checks are padded to, estimated when a check first fails and again
/// every `FLOOR_REFRESH`.
#[derive(Default)]
pub struct FailureFloor {
    current: Mutex<Option<(Instant, Duration)>>,
}

impl FailureFloor {
    /// Sleeps the calling thread (not a hashing thread) until a failed check whose hashing
    /// took `spent` lasts the floor; `estimate` computes the floor when it is due.
    pub fn pad(&self, spent: Duration, estimate: impl FnOnce() -> Duration) {
        let floor = {
            let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
            match *current {
                Some((at, floor)) if at.elapsed() < FLOOR_REFRESH => floor,
                _ => {
                    let floor = estimate();
                    *current = Some((Instant::now(), floor));
                    floor
                }
            }
        };
        if let Some(rest) = floor.checked_sub(spent) {
            std::thread::sleep(rest);
        }
    }
}

/// A unit of hash work queued on the pool.
type Job = Box<dyn FnOnce() + Send>;

/// The hashing pool: a fixed set of threads (one per core by default) that run every
/// password hash, so at most that many run at once and the rest queue. The threads run
/// under Linux's SCHED_IDLE policy: while they saturate the cores with a login storm, any
/// request thread or nginx worker that wakes up preempts them at once (a nice value only
/// shifts shares, and the wakeup could wait for the next tick), so cheap actions such as
/// `ping` and `userinfo` keep their latency. Idle cores still go to hashing in full.
pub struct HashGate {
    queue: Mutex<mpsc::Sender<Job>>,
}

/// Niceness of the hashing threads where SCHED_IDLE is refused (19 is the lowest priority).
const FALLBACK_NICE: libc::c_int = 19;

impl HashGate {
    /// A pool of `slots` hashing threads.
    pub fn new(slots: usize) -> HashGate {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..slots.max(1) {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("hash-{n}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match job {
                            // A panicking job loses only its own result, not the thread.
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                            }
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                crate::log::error(&format!("cannot start hashing thread: {e}"));
            }
        }
        HashGate {
            queue: Mutex::new(tx),
        }
    }

    /// As `run`, also returning how long `f` itself took (without the wait in the queue).
    pub fn run_timed<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> (T, Duration) {
        self.run(move || {
            let start = Instant::now();
            let out = f();
            (out, start.elapsed())
        })
    }

    /// Runs `f` on a hashing thread and waits for its result.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (done_tx, done_rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            crate::metrics::hash_started();
            let _ = done_tx.send(f());
        });
        crate::metrics::hash_queued();
        let sent = self
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(job);
        match sent {
            Ok(()) => done_rx
                .recv()
                .expect("a hashing job ended without a result"),
            // No pool thread could be started: hash on the caller's thread instead.
            Err(mpsc::SendError(job)) => {
                job();
                done_rx.recv().expect("the hashing job ran inline")
            }
        }
    }
}

impl HashGate {
    /// Runs every job on the pool at once and returns their results in order, calling
    /// `on_done` as each finishes: bulk work (an import's PINs) keeps every hashing thread
    /// busy, where `run` from one thread would use one core.
    pub fn run_all<T: Send + 'static>(
        &self,
        jobs: Vec<Box<dyn FnOnce() -> T + Send>>,
        mut on_done: impl FnMut(),
    ) -> Vec<T> {
        let count = jobs.len();
        let (done_tx, done_rx) = mpsc::channel();
        {
            let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            for (index, f) in jobs.into_iter().enumerate() {
                let done_tx = done_tx.clone();
                let job: Job = Box::new(move || {
                    let _ = done_tx.send((index, f()));
                });
                // No pool thread could be started: hash on the caller's thread instead.
                if let Err(mpsc::SendError(job)) = queue.send(job) {
                    job();
                }
            }
        }
        drop(done_tx);
        let mut results: Vec<Option<T>> = (0..count).map(|_| None).collect();
        for (index, value) in done_rx.iter().take(count) {
            results[index] = Some(value);
            on_done();
        }
        results
            .into_iter()
            .map(|r| r.expect("a hashing job ended without a result"))
            .collect()
    }
}

/// Moves the calling thread to SCHED_IDLE (Linux applies policies per thread), or where
/// that is refused, to the lowest nice value.
fn lower_priority() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: sched_setscheduler and setpriority only read `param`; pid/tid 0 and gettid
    // name the calling thread, and lowering one's own priority needs no privilege.
    unsafe {
        if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
            let tid = libc::gettid();
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, FALLBACK_NICE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_round_trip_and_rehash_on_low_rounds() {
        let h = hash("s3cret pass", 1000).unwrap();
        assert!(h.starts_with("$pbkdf2-sha256$i=1000,l=32$"));
        assert_eq!(verify("s3cret pass", &h, 1000), Verdict::Match);
        assert_eq!(verify("wrong", &h, 1000), Verdict::Mismatch);
        assert_eq!(verify("s3cret pass", &h, 2000), Verdict::MatchNeedsRehash);
        assert_eq!(verify("x", "garbage", 1000), Verdict::Mismatch);
    }

    #[test]
    fn bcrypt_hash_verifies_and_asks_for_rehash() {
        let made = bcrypt::hash_with_result("password", 4)
            .unwrap()
            .format_for_version(bcrypt::Version::TwoY);
        assert_eq!(verify("password", &made, 1000), Verdict::MatchNeedsRehash);
        assert_eq!(verify("nope", &made, 1000), Verdict::Mismatch);
    }

    #[test]
    fn unknown_users_never_match_and_tokens_verify() {
        assert_eq!(verify_or_dummy("x", None, 1000), Verdict::Mismatch);
        assert_eq!(verify_or_dummy("", Some(""), 1000), Verdict::Mismatch);
        let stored = token_digest("ABCDE-12345-F0A1B-C2D3E");
        assert!(verify_token("ABCDE-12345-F0A1B-C2D3E", &stored, 1000));
        assert!(!verify_token("abcde-12345-f0a1b-c2d3e", &stored, 1000));
        let imported = hash("ABCDE", 1000).unwrap();
        assert!(verify_token("ABCDE", &imported, 1000));
    }

    #[test]
    fn costs_are_read_from_stored_hashes_and_prefixes() {
        assert_eq!(
            HashCost::of("$2y$12$abcdefghijklmnopqrstuv"),
            Some(HashCost::Bcrypt(12))
        );
        assert_eq!(HashCost::of("$2a$04$"), Some(HashCost::Bcrypt(4)));
        assert_eq!(
            HashCost::of(&hash("x", 1000).unwrap()),
            Some(HashCost::Pbkdf2(1000))
        );
        assert_eq!(
            HashCost::of("$pbkdf2-sha256$i=600000"),
            Some(HashCost::Pbkdf2(600_000))
        );
        assert_eq!(HashCost::of("$sha256$00"), None);
        assert_eq!(HashCost::of("plain"), None);
    }

    #[test]
    fn the_floor_covers_the_slowest_kind_and_every_app_password() {
        let speed = Speed {
            bcrypt_unit: 0.001,
            pbkdf2_round: 0.000_001,
        };
        let ms = |d: Duration| (d.as_secs_f64() * 1000.0).round() as u64;
        assert_eq!(ms(speed.estimate(HashCost::Bcrypt(10))), 1025);
        assert_eq!(ms(speed.estimate(HashCost::Pbkdf2(600_000))), 600);
        // Unknown users cost a dummy at the configured rounds: always a candidate.
        assert_eq!(ms(failure_floor(&speed, &[], 600_000, 0)), 720);
        let stored = [HashCost::Pbkdf2(1000), HashCost::Bcrypt(10)];
        assert_eq!(ms(failure_floor(&speed, &stored, 600_000, 0)), 1230);
        assert_eq!(ms(failure_floor(&speed, &stored, 600_000, 2)), 3690);
    }

    #[test]
    fn gate_threads_yield_to_every_other_thread() {
        let gate = HashGate::new(1);
        // SAFETY: these calls only read the calling thread's scheduling settings.
        let lowered = || unsafe {
            libc::sched_getscheduler(0) == libc::SCHED_IDLE
                || libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t)
                    == FALLBACK_NICE
        };
        assert!(
            gate.run(lowered),
            "SCHED_IDLE, or nice 19 where that is refused"
        );
        assert!(!lowered(), "the caller's own thread keeps its priority");
    }

    #[test]
    fn run_all_keeps_order_and_uses_every_thread() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = HashGate::new(3);
        let active = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<Box<dyn FnOnce() -> usize + Send>> = (0..9usize)
            .map(|i| {
                let (active, peak) = (active.clone(), peak.clone());
                Box::new(move || {
                    let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    active.fetch_sub(1, Ordering::SeqCst);
                    i * 10
                }) as Box<dyn FnOnce() -> usize + Send>
            })
            .collect();
        let mut done = 0;
        let results = gate.run_all(jobs, || done += 1);
        assert_eq!(results, (0..9).map(|i| i * 10).collect::<Vec<_>>());
        assert_eq!(done, 9);
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn gate_bounds_concurrency() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = Arc::new(HashGate::new(2));
        assert_eq!(gate.run(|| 6 * 7), 42);
        let active = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let (gate, active, peak) = (gate.clone(), active.clone(), peak.clone());
                std::thread::spawn(move || {
                    gate.run(move || {
                        let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        active.fetch_sub(1, Ordering::SeqCst);
                    })
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
