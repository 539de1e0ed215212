//! `auth` and `login` (password checks with the original's acceptance rule)
//! and `addapppassword`, which creates the app passwords they accept.

use rusqlite::Connection;
use serde_json::json;

use super::throttle::{Guard, Secret};
use super::{Action, Arg, Args, Cost, Ctx, Failure, KeyType, Kind, Outcome};
use crate::mail::alert::{self, AlertError};
use crate::password::{self, Verdict};
use crate::secrets;
use crate::store::accounts::{self, Account, AccountStatus};
use crate::store::apppasswords;
use crate::store::authlog::{self, LogType};

const LOGIN_ARGS: &[Arg] = &[
    Arg::Required("username", Kind::Str),
    Arg::Required("password", Kind::Str),
    Arg::Optional("apppass", Kind::Bool),
];

/// This module's part of the dispatch table.
pub const ACTIONS: &[Action] = &[
    Action {
        name: "auth",
        key_type: KeyType::Auth,
        args: LOGIN_ARGS,
        run: auth,
        cost: Cost::Hashing,
    },
    Action {
        name: "login",
        key_type: KeyType::Auth,
        args: LOGIN_ARGS,
        run: login,
        cost: Cost::Hashing,
    },
    Action {
        name: "addapppassword",
        key_type: KeyType::Full,
        args: &[
            Arg::Required("desc", Kind::Str),
            Arg::Required("username", Kind::Str),
        ],
        run: addapppassword,
        // The new app password is stored as a plain SHA-256 digest: no slow hash.
        cost: Cost::Light,
    },
];

/// Shown for a wrong password or an unknown user, whatever the account's status.
pub const LOGIN_INCORRECT: &str = "Login incorrect.";

/// Why a correct password still may not log in, in the original's words.
pub(crate) fn refusal(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::LockedOrDisabled => {
            "This account has been disabled. Contact technical support."
        }
        AccountStatus::ChangePassword => "You must change your password before continuing.",
        AccountStatus::Terminated => "Account terminated.  Access denied.",
        _ => "Your account state is not stable.  Log out, restart your browser, and try again.",
    }
}

/// Which secrets a password check accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// The account password or any app password (`apppass` off).
    AnyPassword,
    /// An app password, or the account password if the user has no 2FA (`apppass` on).
    AppPasswordIf2fa,
    /// Only the account password (the mobile API, like the original's).
    AccountPassword,
}

/// A checked password: the account (if it exists) and whether the secret was accepted.
pub(crate) struct Attempt {
    /// The live account of that user name, if any.
    pub(crate) account: Option<Account>,
    /// Whether the secret matched (says nothing about the account's status).
    pub(crate) accepted: bool,
    guard: Guard,
    /// (old hash, new PBKDF2 hash) when the stored hash is bcrypt or has too few rounds.
    rehash: Option<(String, String)>,
}

/// The acceptance rule of `auth` and `login`: `apppass` off → account password or any
/// app password; on → app password, or account password if the user has no 2FA.
fn check(ctx: &Ctx, args: &Args) -> Result<Attempt, Failure> {
    let accept = if args.bool("apppass").unwrap_or(false) {
        Accept::AppPasswordIf2fa
    } else {
        Accept::AnyPassword
    };
    check_password(
        ctx,
        args.str("username").unwrap_or_default(),
        args.str("password").unwrap_or_default(),
        accept,
    )
}

/// Checks a password on the hashing gate, behind the per-(IP, user) limiter, accepting
/// the secrets `accept` names. Unknown users pay for one dummy verify.
pub(crate) fn check_password(
    ctx: &Ctx,
    username: &str,
    candidate: &str,
    accept: Accept,
) -> Result<Attempt, Failure> {
    let guard = Guard::new(ctx, Secret::Password, username);
    guard.reserve(ctx)?;
    let (account, app_hashes) = ctx.app.db.with(|c| {
        let account = accounts::by_username(c, username)?;
        let hashes = match &account {
            Some(a) if accept != Accept::AccountPassword => apppasswords::hashes(c, a.uid)?,
            _ => Vec::new(),
        };
        Ok::<_, rusqlite::Error>((account, hashes))
    })?;
    let rounds = ctx.app.config.passwords.pbkdf2_rounds;
    let password_allowed =
        !(accept == Accept::AppPasswordIf2fa && account.as_ref().is_some_and(Account::has_totp));
    let stored = account
        .as_ref()
        .and_then(|a| a.password.clone())
        .filter(|_| password_allowed);
    let candidate = candidate.to_string();
    let (checked, spent) = ctx.app.hashing.run_timed(move || {
        let verdict = password::verify_or_dummy(&candidate, stored.as_deref(), rounds);
        if verdict == Verdict::MatchNeedsRehash {
            let old = stored.unwrap_or_default();
            return password::hash(&candidate, rounds).map(|new| (true, Some((old, new))));
        }
        let accepted = verdict.matched()
            || app_hashes
                .iter()
                .any(|h| password::verify_token(&candidate, h, rounds));
        Ok((accepted, None))
    });
    let (accepted, rehash) = checked.map_err(Failure::Internal)?;
    if !accepted {
        ctx.app.pad_failed_check(spent);
    }
    Ok(Attempt {
        account,
        accepted,
        guard,
        rehash,
    })
}

impl Attempt {
    /// The account's status if the secret was accepted.
    pub(crate) fn accepted_status(&self) -> Option<AccountStatus> {
        self.account
            .as_ref()
            .filter(|_| self.accepted)
            .map(|a| a.status)
    }

    /// Writes the audit row, the limiter count and any rehash in one transaction.
    pub(crate) fn record(
        &self,
        ctx: &Ctx,
        logtype: LogType,
        username: &str,
    ) -> Result<(), Failure> {
        self.record_with(ctx, logtype, username, |_| Ok(()))
    }

    /// As `record`, with `also` written in the same transaction (the login alert mail), so
    /// the event and what it causes are stored together or not at all.
    pub(crate) fn record_with(
        &self,
        ctx: &Ctx,
        logtype: LogType,
        username: &str,
        also: impl FnOnce(&Connection) -> rusqlite::Result<()>,
    ) -> Result<(), Failure> {
        let note = ctx.audit_note(username);
        let uid = self.account.as_ref().map(|a| a.uid);
        ctx.app.db.write(|tx| {
            if self.accepted {
                self.guard.release(tx)?;
            }
            if let (Some(uid), Some((old, new))) = (uid, &self.rehash) {
                accounts::replace_password(tx, uid, old, new)?;
            }
            authlog::write(tx, logtype, uid, ctx.ip, &note)?;
            also(tx)
        })?;
        Ok(())
    }
}

fn auth(ctx: &Ctx, args: &Args) -> Outcome {
    let attempt = check(ctx, args)?;
    let status = attempt.accepted_status();
    let ok = status.is_some_and(AccountStatus::may_log_in);
    let logtype = if ok {
        LogType::ApiAuthOk
    } else {
        LogType::ApiAuthFailed
    };
    attempt.record(ctx, logtype, args.str("username").unwrap_or_default())?;
    Ok(match status {
        None => json!({"msg": LOGIN_INCORRECT, "status": "ERROR"}),
        Some(_) if ok => json!({"msg": "Login successful.", "status": "OK"}),
        Some(s) => json!({"msg": refusal(s), "status": "ERROR"}),
    })
}

fn login(ctx: &Ctx, args: &Args) -> Outcome {
    let attempt = check(ctx, args)?;
    let status = attempt.accepted_status();
    let logtype = if status.is_some_and(AccountStatus::may_log_in) {
        LogType::ApiLoginOk
    } else {
        LogType::ApiLoginFailed
    };
    let alerted = attempt
        .account
        .as_ref()
        .filter(|_| status == Some(AccountStatus::AlertOnAccess));
    attempt.record_with(
        ctx,
        logtype,
        args.str("username").unwrap_or_default(),
        |tx| match alerted {
            Some(account) => queue_login_alert(tx, ctx, &account.username),
            None => Ok(()),
        },
    )?;
    Ok(match status {
        None => json!({"status": "ERROR", "msg": LOGIN_INCORRECT}),
        Some(AccountStatus::Normal) => json!({"status": "OK"}),
        Some(AccountStatus::AlertOnAccess) => json!({"status": "OK", "alert": true}),
        Some(s) => json!({"status": "ERROR", "msg": refusal(s)}),
    })
}

/// Queues the admin alert for a login of an ALERT_ON_ACCESS account (appname = site title).
/// Like the original, an unusable configured address does not fail the login; it is logged.
pub(crate) fn queue_login_alert(
    conn: &Connection,
    ctx: &Ctx,
    username: &str,
) -> rusqlite::Result<()> {
    let app = ctx.app;
    match alert::queue_alert(conn, app, username, &app.config.site_title, ctx.ip) {
        Ok(_) => Ok(()),
        Err(AlertError::Unusable(why)) => {
            crate::log::warn(&format!("login alert for {username} not queued: {why}"));
            Ok(())
        }
        Err(AlertError::Store(e)) => Err(e),
    }
}

/// A new app password in the original format: 4 groups of 5 upper-case hex digits.
fn new_app_password() -> String {
    (0..4)
        .map(|_| secrets::random_string(secrets::UPPER_HEX, 5))
        .collect::<Vec<_>>()
        .join("-")
}

fn addapppassword(ctx: &Ctx, args: &Args) -> Outcome {
    let username = args.str("username").unwrap_or_default();
    let desc = args.str("desc").unwrap_or_default();
    let pass = new_app_password();
    let digest = password::token_digest(&pass);
    let created = ctx.app.db.write(|tx| {
        let Some(account) = accounts::by_username(tx, username)? else {
            return Ok::<_, rusqlite::Error>(false);
        };
        apppasswords::insert(tx, account.uid, &digest, desc)?;
        Ok(true)
    })?;
    Ok(if created {
        json!({"pass": pass, "msg": "", "status": "OK"})
    } else {
        json!({"msg": "User does not exist.", "status": "ERROR"})
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_passwords_have_the_original_format() {
        let p = new_app_password();
        assert_eq!(p.len(), 23);
        let groups: Vec<&str> = p.split('-').collect();
        assert_eq!(groups.len(), 4);
        assert!(groups.iter().all(|g| {
            g.len() == 5
                && g.chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        }));
    }
}
