//! The mobile API's account actions: `check_key`, `check_password`, `user_info`,
//! `start_session` (signs a browser in to the login page), `hasotp`, and
//! `generatesynccode`, which pairs a new device with the password alone. Password
//! checks take the account password only (no app passwords, no TOTP), go through the same
//! per-(IP, user) limiter as `auth`, and are audited as mobile logins.

use rusqlite::Connection;
use serde_json::json;

use super::Call;
use crate::actions::args::text_param;
use crate::actions::credentials::{self, Accept, LOGIN_INCORRECT, NORMAL};
use crate::actions::notifications::MAX_CHARS;
use crate::actions::{Ctx, Failure, Outcome};
use crate::actions::{raw_error, second_factor};
use crate::routing::Params;
use crate::store::authlog::LogType;
use crate::store::mobile_codes;
use crate::web::cookies;

/// The original's answer when a correct password (or code request) belongs to an account
/// that may not log in.
pub const ACCOUNT_PROBLEM: &str = "There is a problem with your account. Visit AccountHub via a web \
                               browser for more information.";

/// The original's refusal to pair a device of a 2FA account by password.
const TWO_FACTOR: &str =
    "2-factor is enabled, you need to use the QR code or manual setup for security reasons.";

/// Sync codes one account may hold; each pairing adds one and nothing expires them.
pub const MAX_SYNC_CODES: i64 = 50;

/// `{"status":"OK"}`: the sync code was checked before this runs.
pub fn check_key(_: &Call) -> Outcome {
    Ok(json!({"status": "OK"}))
}

/// `{"status":"OK","uid":N}` when `password` is the account password of a NORMAL account.
pub fn check_password(call: &Call) -> Outcome {
    Ok(match password_check(call, |_| Ok(()))? {
        Ok(()) => json!({"status": "OK", "uid": call.account.uid}),
        Err(msg) => raw_error(msg),
    })
}

/// As `check_password`, answering the account's details (`realname`, unlike the API).
pub fn user_info(call: &Call) -> Outcome {
    let a = call.account;
    Ok(match password_check(call, |_| Ok(()))? {
        Ok(()) => json!({
            "status": "OK",
            "info": {"uid": a.uid, "username": a.username, "realname": a.realname, "email": a.email},
        }),
        Err(msg) => raw_error(msg),
    })
}

/// Signs a browser in: the account password of a NORMAL account opens a signed-in session
/// of the login page, handed over as its session cookie with `{"status":"OK"}` (the app
/// then opens AccountHub in its browser view, already signed in).
pub fn start_session(call: &Call) -> Outcome {
    let (app, uid, ip) = (call.ctx.app, call.account.uid, call.ctx.ip);
    let verdict = password_check(call, |tx| {
        let cookie = cookies::start_session(app, tx, uid, ip)?;
        // Set once: this closure runs at most once per call.
        let _ = call.cookie.set(cookie);
        Ok(())
    })?;
    Ok(match verdict {
        Ok(()) => json!({"status": "OK"}),
        Err(msg) => raw_error(msg),
    })
}

/// Whether the user has 2FA: the API's `hastotp`.
pub fn hasotp(call: &Call) -> Outcome {
    call.api("hastotp")
}

/// Checks the signed-in user's account password and audits the outcome, running `on_pass`
/// in the same transaction when it passed; a correct password of an account that is not
/// NORMAL gets the original's "problem with your account".
fn password_check(
    call: &Call,
    on_pass: impl FnOnce(&Connection) -> rusqlite::Result<()>,
) -> Result<Result<(), &'static str>, Failure> {
    let username = &call.account.username;
    let attempt = credentials::check_password(
        call.ctx,
        username,
        &call.text("password"),
        Accept::AccountPassword,
    )?;
    let verdict = match attempt.accepted_status() {
        None => Err(LOGIN_INCORRECT),
        Some(NORMAL) => Ok(()),
        Some(_) => Err(ACCOUNT_PROBLEM),
    };
    let logtype = match verdict {
        Ok(()) => LogType::MobileLoginOk,
        Err(_) => LogType::MobileLoginFailed,
    };
    attempt.record_with(call.ctx, logtype, username, |tx| match verdict {
        Ok(()) => on_pass(tx),
        Err(_) => Ok(()),
    })?;
    Ok(verdict)
}

/// Pairs a device: user name and account password (no sync code yet) buy a new sync code
/// with the description `desc`. Refused for 2FA accounts (they pair by QR code), accounts
/// that are not NORMAL, and accounts that already hold `MAX_SYNC_CODES` codes. An unknown
/// user gets `Login incorrect.` like a wrong password, so names cannot be probed.
pub fn generatesynccode(ctx: &Ctx, params: &Params) -> Outcome {
    let username = text_param(params, "username");
    let desc = text_param(params, "desc");
    if desc.chars().count() > MAX_CHARS {
        return Ok(raw_error(&format!(
            "desc is longer than {MAX_CHARS} characters."
        )));
    }
    let attempt = credentials::check_password(
        ctx,
        &username,
        &text_param(params, "password"),
        Accept::AccountPassword,
    )?;
    let held = match attempt.account.as_ref().filter(|_| attempt.accepted) {
        Some(a) => ctx.app.db.with(|c| mobile_codes::count(c, a.uid))?,
        None => 0,
    };
    let verdict = match (&attempt.account, attempt.accepted_status()) {
        (_, None) => Err(LOGIN_INCORRECT.to_string()),
        (Some(a), _) if a.has_totp() => Err(TWO_FACTOR.to_string()),
        (_, Some(NORMAL)) if held >= MAX_SYNC_CODES => Err(format!(
            "This account already has {MAX_SYNC_CODES} sync codes. Ask an administrator to \
             remove old ones."
        )),
        (Some(a), Some(NORMAL)) => Ok((a.uid, second_factor::new_sync_code())),
        _ => Err(ACCOUNT_PROBLEM.to_string()),
    };
    let logtype = match verdict {
        Ok(_) => LogType::MobileLoginOk,
        Err(_) => LogType::MobileLoginFailed,
    };
    attempt.record_with(ctx, logtype, &username, |tx| match &verdict {
        Ok((uid, code)) => mobile_codes::insert(tx, *uid, code, &desc).map(|_| ()),
        Err(_) => Ok(()),
    })?;
    Ok(match verdict {
        Ok((_, code)) => json!({"status": "OK", "code": code}),
        Err(msg) => raw_error(&msg),
    })
}
