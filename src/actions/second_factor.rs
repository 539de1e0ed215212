//! Second secrets besides the password: `verifytotp` (RFC 6238 codes, replay refused),
//! `checkpin` (kiosk PIN, stored hashed) and `mobilevalid` (mobile sync codes). Each is
//! throttled per (client IP, username).

use serde_json::json;

use super::credentials::LOGIN_INCORRECT;
use super::subject::{self, Prefer};
use super::throttle::{Guard, Secret};
use super::{Action, Arg, Args, Cost, Ctx, Failure, KeyType, Kind, Outcome};
use crate::store::accounts::{self, Account};
use crate::store::authlog::{self, LogType};
use crate::store::mobile_codes;
use crate::{clock, password, secrets, totp};

const USERNAME_AND_CODE: &[Arg] = &[
    Arg::Required("username", Kind::Str),
    Arg::Required("code", Kind::Str),
];

/// This module's part of the dispatch table.
pub const ACTIONS: &[Action] = &[
    Action {
        name: "verifytotp",
        key_type: KeyType::Auth,
        args: USERNAME_AND_CODE,
        run: verifytotp,
        cost: Cost::Light,
    },
    Action {
        name: "checkpin",
        key_type: KeyType::Auth,
        args: &[
            Arg::Required("pin", Kind::Str),
            Arg::AnyOf(&[("uid", Kind::Id), ("username", Kind::Str)]),
        ],
        run: checkpin,
        cost: Cost::Hashing,
    },
    Action {
        name: "mobilevalid",
        key_type: KeyType::Auth,
        args: USERNAME_AND_CODE,
        run: mobilevalid,
        cost: Cost::Light,
    },
];

/// Looks up a live account by the `username` argument once the limiter reserved an attempt.
fn guarded_account(
    ctx: &Ctx,
    args: &Args,
    secret: Secret,
) -> Result<(Guard, Option<Account>), Failure> {
    let username = args.str("username").unwrap_or_default();
    let guard = Guard::new(ctx, secret, username);
    guard.reserve(ctx)?;
    let account = ctx.app.db.with(|c| accounts::by_username(c, username))?;
    Ok((guard, account))
}

fn verifytotp(ctx: &Ctx, args: &Args) -> Outcome {
    let (guard, account) = guarded_account(ctx, args, Secret::Totp)?;
    let code = args.str("code").unwrap_or_default();
    let now = clock::unix_now();
    let matched = account.as_ref().and_then(|a| {
        let key = totp::decode_secret(a.authsecret.as_deref().filter(|_| a.has_totp())?)?;
        totp::matching_step(&key, code, now)
    });
    let uid = account.as_ref().map(|a| a.uid);
    let note = ctx.audit_note(args.str("username").unwrap_or_default());
    let valid = ctx.app.db.write(|tx| {
        let valid = match (uid, matched) {
            (Some(uid), Some(step)) => accounts::accept_totp_step(tx, uid, step)?,
            _ => false,
        };
        if valid {
            guard.release(tx)?;
        } else {
            authlog::write(tx, LogType::ApiBadAuthCode, uid, ctx.ip, &note)?;
        }
        Ok::<_, rusqlite::Error>(valid)
    })?;
    Ok(if valid {
        json!({"valid": true, "status": "OK"})
    } else {
        json!({"valid": false, "msg": "Authentication code incorrect.", "status": "ERROR"})
    })
}

fn checkpin(ctx: &Ctx, args: &Args) -> Outcome {
    let Some(account) = ctx
        .app
        .db
        .with(|c| subject::find(c, args, Prefer::Username))?
    else {
        return Ok(json!({"msg": LOGIN_INCORRECT, "status": "ERROR"}));
    };
    let Some(stored) = account.pin.clone().filter(|_| account.has_pin()) else {
        return Ok(json!({"status": "ERROR", "pinvalid": false, "nopinset": true}));
    };
    let guard = Guard::new(ctx, Secret::Pin, &account.username);
    guard.reserve(ctx)?;
    let pin = args.str("pin").unwrap_or_default().to_string();
    let rounds = ctx.app.config.passwords.pbkdf2_rounds;
    let (valid, spent) = ctx
        .app
        .hashing
        .run_timed(move || password::verify(&pin, &stored, rounds).matched());
    if valid {
        ctx.app.db.write(|tx| guard.release(tx))?;
    } else {
        ctx.app.pad_failed_check(spent);
    }
    Ok(json!({"status": "OK", "pinvalid": valid}))
}

fn mobilevalid(ctx: &Ctx, args: &Args) -> Outcome {
    let check = check_sync_code(
        ctx,
        args.str("username").unwrap_or_default(),
        args.str("code").unwrap_or_default(),
    )?;
    ctx.app.db.write(|tx| check.record(tx))?;
    Ok(json!({"status": "OK", "valid": check.valid}))
}

/// A checked sync code: the live account of the user name, and whether the code is one of
/// its codes. `record` must be written afterwards to count the outcome.
pub(crate) struct SyncCheck {
    /// The live account of that user name, if any.
    pub(crate) account: Option<Account>,
    /// Whether the code belongs to that account.
    pub(crate) valid: bool,
    guard: Guard,
}

impl SyncCheck {
    /// Settles the reserved attempt (inside the caller's write transaction): a valid code
    /// gives the attempts back, a failure stays counted.
    pub(crate) fn record(&self, conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        if self.valid {
            self.guard.release(conn)
        } else {
            Ok(())
        }
    }
}

/// Checks a sync code (upper-cased, like the original) against every code of the live
/// account, in constant time, behind the per-(IP, user) limiter. Deleted accounts have none.
pub(crate) fn check_sync_code(ctx: &Ctx, username: &str, code: &str) -> Result<SyncCheck, Failure> {
    let guard = Guard::new(ctx, Secret::SyncCode, username);
    guard.reserve(ctx)?;
    let code = code.to_ascii_uppercase();
    let (account, codes) = ctx.app.db.with(|c| {
        let account = accounts::by_username(c, username)?;
        let codes = match &account {
            Some(a) => mobile_codes::codes(c, a.uid)?,
            None => Vec::new(),
        };
        Ok::<_, rusqlite::Error>((account, codes))
    })?;
    let valid = codes.iter().fold(false, |hit, c| {
        secrets::constant_time_eq(c.as_bytes(), code.as_bytes()) | hit
    });
    Ok(SyncCheck {
        account,
        valid,
        guard,
    })
}

/// A new mobile sync code: 20 upper-case hex characters from the CSPRNG (the original's
/// format, which its QR codes and apps expect).
pub fn new_sync_code() -> String {
    secrets::random_string(secrets::UPPER_HEX, 20)
}
