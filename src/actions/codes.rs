//! One-time login codes of the Station kiosk: the mobile app's `gencode` issues a 6-digit
//! code for its user, and the kiosk trades it for that user's identity with `codelogin`.
//! A code lives 60 seconds, works once, and only for an account that may log in; failed
//! attempts are counted per client IP and every attempt is audited.

use serde_json::json;

use super::credentials::{queue_login_alert, refusal};
use super::resp_error;
use super::throttle::Guard;
use super::{Action, Arg, Args, Cost, Ctx, Failure, KeyType, Kind, Outcome};
use crate::store::accounts::{self, Account, AccountStatus};
use crate::store::authlog::{self, LogType};
use crate::store::onetimekeys;
use crate::{clock, secrets};

/// This module's part of the dispatch table.
pub const ACTIONS: &[Action] = &[Action {
    name: "codelogin",
    key_type: KeyType::Auth,
    args: &[Arg::Required("code", Kind::Str)],
    run: codelogin,
    cost: Cost::Light,
}];

/// Seconds a one-time code stays valid.
pub const CODE_LIFETIME_SECS: i64 = 60;

/// The original's answer to an unknown, used or expired code.
const CODE_INCORRECT: &str = "That code is incorrect or expired.";

/// Draws before giving up on finding a code no other user holds right now (with 900,000
/// codes and one per user, a second draw is already rare).
const DRAWS: usize = 16;

/// A new code for `uid`, replacing any earlier one: six decimal digits (100000-999999) from
/// the CSPRNG, valid for `CODE_LIFETIME_SECS`. `None` only if every draw collided.
pub fn issue(ctx: &Ctx, uid: i64) -> Result<Option<u32>, Failure> {
    let now = clock::utc_now_text();
    let expires = clock::utc_text(clock::unix_now() + CODE_LIFETIME_SECS);
    Ok(ctx.app.db.write(|tx| {
        onetimekeys::purge_expired(tx, &now)?;
        for _ in 0..DRAWS {
            let code = 100_000 + secrets::random_below(900_000);
            if onetimekeys::replace(tx, uid, &code.to_string(), &expires)? {
                return Ok::<_, rusqlite::Error>(Some(code));
            }
        }
        Ok(None)
    })?)
}

fn codelogin(ctx: &Ctx, args: &Args) -> Outcome {
    let guard = Guard::one_time_codes(ctx);
    guard.reserve(ctx)?;
    let code = args.str("code").unwrap_or_default();
    let now = clock::utc_now_text();
    let label = ctx.caller.audit_label();
    let account = ctx.app.db.write(|tx| {
        onetimekeys::purge_expired(tx, &now)?;
        let account = match onetimekeys::take(tx, code, &now)? {
            Some(uid) => accounts::by_uid(tx, uid)?,
            None => None,
        };
        let passed = account.as_ref().is_some_and(|a| a.status.may_log_in());
        // Only failures count: a success gives its own reserved attempt back, without
        // resetting the count of a guessing client.
        if passed {
            guard.give_back(tx)?;
        }
        let (logtype, note) = match &account {
            Some(a) => (
                if passed {
                    LogType::ApiLoginOk
                } else {
                    LogType::ApiLoginFailed
                },
                format!("Code login, Username: {}, Key: {label}", a.username),
            ),
            None => (
                LogType::ApiLoginFailed,
                format!("Code login, Code: {}, Key: {label}", secrets::censor(code)),
            ),
        };
        authlog::write(tx, logtype, account.as_ref().map(|a| a.uid), ctx.ip, &note)?;
        if let Some(a) = account
            .as_ref()
            .filter(|a| a.status == AccountStatus::AlertOnAccess)
        {
            queue_login_alert(tx, ctx, &a.username)?;
        }
        Ok::<Option<Account>, rusqlite::Error>(account)
    })?;
    Ok(match account {
        None => resp_error(CODE_INCORRECT),
        Some(a) if !a.status.may_log_in() => resp_error(refusal(a.status)),
        Some(a) => json!({
            "status": "OK",
            "user": {"username": a.username, "realname": a.realname, "uid": a.uid.to_string()},
        }),
    })
}
