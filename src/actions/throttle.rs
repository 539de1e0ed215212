//! The credential limiter: failed checks of one secret are counted per
//! (client IP, lower-cased username) in SQLite, so every process shares the count. A
//! blocked pair is answered 429 before the secret is even looked at; a correct secret
//! clears the count; other users from the same IP are unaffected.

use rusqlite::Connection;

use super::{Ctx, Failure};
use crate::app::App;
use crate::clock;
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
            Secret::OneTimeCode => "otc",
        }
    }
}

/// One (secret, IP, username) bucket with the configured limit.
pub struct Guard {
    bucket: String,
    limit: Limit,
}

impl Guard {
    /// The bucket for this caller IP and user name (lower-cased here).
    pub fn new(ctx: &Ctx, secret: Secret, username: &str) -> Guard {
        Guard::for_ip(ctx.app, secret, ctx.ip, username)
    }

    /// The bucket for a client IP and user name outside an API call (the login page).
    pub fn for_ip(app: &App, secret: Secret, ip: &str, username: &str) -> Guard {
        Guard {
            bucket: format!(
                "cred|{}|{}|{}",
                secret.tag(),
                ip,
                username.to_ascii_lowercase()
            ),
            limit: app.config.rate_limit.credential(),
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
        }
    }

    /// `TooFast` once the bucket holds `credential_limit` failures; call before checking
    /// the secret. (`blocked_for` counts hits beyond the limit, and this check runs before
    /// the failure is counted, hence one less.)
    pub fn check(&self, ctx: &Ctx) -> Result<(), Failure> {
        match self.blocked_for(ctx.app)? {
            Some(retry_after) => {
                crate::metrics::rate_limited("credential");
                Err(Failure::TooFast { retry_after })
            }
            None => Ok(()),
        }
    }

    /// Seconds until the bucket reopens if it is full, as `check` decides it.
    pub fn blocked_for(&self, app: &App) -> rusqlite::Result<Option<u64>> {
        let now = clock::unix_now();
        let full = Limit {
            limit: self.limit.limit.saturating_sub(1),
            ..self.limit
        };
        app.db
            .with(|c| ratelimit::blocked_for(c, &self.bucket, full, now))
    }

    /// Counts the outcome inside the caller's write transaction: a failure adds a hit, a
    /// success forgets the bucket.
    pub fn record(&self, conn: &Connection, passed: bool) -> rusqlite::Result<()> {
        if passed {
            ratelimit::clear(conn, &self.bucket)
        } else {
            ratelimit::record(conn, &self.bucket, self.limit, clock::unix_now()).map(|_| ())
        }
    }
}
