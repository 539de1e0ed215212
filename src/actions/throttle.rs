//! The credential limiter: checks of one secret are counted per (client IP, lower-cased
//! username) in SQLite, so every process shares the count. An attempt is reserved in its
//! own IMMEDIATE transaction before the secret is looked at, so a burst of parallel
//! guesses (threads or CGI processes) gets at most `credential_limit` evaluated per
//! window; a blocked pair is answered 429 at once; a correct secret clears the count;
//! other users from the same IP are unaffected.

use rusqlite::Connection;

use super::{Ctx, Failure};
use crate::app::App;
use crate::clock;
use crate::secrets;
use crate::store::ratelimit::{self, Limit};

/// Which secret is being guessed: each has its own count, so a mistyped PIN does not lock
/// the password.
#[derive(Debug, Clone, Copy)]
pub enum Secret {
    /// Account or app password (auth, login).
    Password,
    /// TOTP code (verifytotp).
    Totp,
    /// PIN (checkpin).
    Pin,
    /// Mobile sync code (mobilevalid, the mobile API).
    SyncCode,
    /// Not a secret, but counted the same way: login alerts queued by `alertemail`.
    AlertMail,
    /// One-time login code (codelogin); counted per client IP only.
    OneTimeCode,
}

impl Secret {
    fn tag(self) -> &'static str {
        match self {
            Secret::Password => "pass",
            Secret::Totp => "totp",
            Secret::Pin => "pin",
            Secret::SyncCode => "sync",
            Secret::AlertMail => "alertemail",
            Secret::OneTimeCode => "otc",
        }
    }

    /// The kind a refusal is counted under in the metrics.
    fn refusal_kind(self) -> &'static str {
        match self {
            Secret::AlertMail => "alertemail",
            _ => "credential",
        }
    }
}

/// One (secret, IP, username) bucket with the configured limit.
pub struct Guard {
    bucket: String,
    limit: Limit,
    refusal_kind: &'static str,
}

impl Guard {
    /// The bucket for this caller IP and user name. The name is lower-cased and stored as
    /// its SHA-256 digest, so a bucket has the same short length whatever a request sends.
    pub fn new(ctx: &Ctx, secret: Secret, username: &str) -> Guard {
        Guard::for_ip(ctx.app, secret, ctx.ip, username)
    }

    /// The bucket for a client IP and user name outside an API call (the login page).
    pub fn for_ip(app: &App, secret: Secret, ip: &str, username: &str) -> Guard {
        let name = secrets::sha256_hex(username.to_lowercase().as_bytes());
        Guard {
            bucket: format!("cred|{}|{ip}|{name}", secret.tag()),
            limit: app.config.rate_limit.credential(),
            refusal_kind: secret.refusal_kind(),
        }
    }

    /// The per-IP bucket of one-time codes, with the `code_login_*` limit: the code itself
    /// names the user, so there is no user name to count by.
    pub fn one_time_codes(ctx: &Ctx) -> Guard {
        let cfg = &ctx.app.config.rate_limit;
        Guard {
            bucket: format!("cred|{}|{}", Secret::OneTimeCode.tag(), ctx.ip),
            limit: Limit {
                limit: cfg.code_login_limit,
                window_secs: cfg.code_login_window_secs,
            },
            refusal_kind: Secret::OneTimeCode.refusal_kind(),
        }
    }

    /// Reserves one attempt, committed before the secret is checked; `TooFast` once
    /// `credential_limit` attempts are held in this window. A failed attempt keeps its
    /// reservation; `release` gives them back when the secret was right.
    pub fn reserve(&self, ctx: &Ctx) -> Result<(), Failure> {
        too_fast(self.take(ctx.app)?)
    }

    /// As `reserve` in its own transaction, answering the wait instead of a `Failure`
    /// (the login page words its own 429).
    pub fn take(&self, app: &App) -> rusqlite::Result<Option<u64>> {
        app.db.write(|tx| self.take_in(tx))
    }

    /// As `reserve`, inside the caller's write transaction (when the whole check runs in
    /// one transaction, as `alertemail` does).
    pub fn reserve_in(&self, conn: &Connection) -> Result<(), Failure> {
        too_fast(self.take_in(conn)?)
    }

    /// Returns one reserved attempt (inside the caller's write transaction) without
    /// forgetting the others: for limits that count only failures per client IP.
    pub fn give_back(&self, conn: &Connection) -> rusqlite::Result<()> {
        ratelimit::give_back(conn, &self.bucket)
    }

    fn take_in(&self, conn: &Connection) -> rusqlite::Result<Option<u64>> {
        let wait = ratelimit::take(conn, &self.bucket, self.limit, clock::unix_now())?;
        if wait.is_some() {
            crate::metrics::rate_limited(self.refusal_kind);
        }
        Ok(wait)
    }

    /// Gives the attempts back after a correct secret (inside the caller's write
    /// transaction): the bucket is forgotten. A failure simply keeps its reservation.
    pub fn release(&self, conn: &Connection) -> rusqlite::Result<()> {
        ratelimit::clear(conn, &self.bucket)
    }
}

/// Drops every bucket whose window has ended, inside the caller's write transaction.
/// Each user name tried gets its own bucket, so without this the table would grow with
/// every new name a client sends (the mobile API and the login page need no API key).
pub fn sweep_in(conn: &Connection, app: &App, now: i64) -> rusqlite::Result<usize> {
    let window = app.config.rate_limit.longest_window_secs();
    ratelimit::purge_expired(conn, now.saturating_sub(window as i64))
}

/// As `sweep_in` in its own transaction; the FastCGI responder runs it every
/// `sweep_interval` (CGI processes sweep on the bad-key path only).
pub fn sweep(app: &App) -> rusqlite::Result<usize> {
    app.db.write(|tx| sweep_in(tx, app, clock::unix_now()))
}

/// How often a long-lived responder sweeps: once a minute, or once per window when the
/// windows are shorter.
pub fn sweep_interval(app: &App) -> std::time::Duration {
    std::time::Duration::from_secs(app.config.rate_limit.longest_window_secs().clamp(1, 60))
}

fn too_fast(wait: Option<u64>) -> Result<(), Failure> {
    match wait {
        Some(retry_after) => Err(Failure::TooFast { retry_after }),
        None => Ok(()),
    }
}
