//! SQL of the `authlog` audit table (log types of the original, §11 seeds). The table is
//! capped: past `audit.max_rows` rows, each new row pushes out the oldest, so no flood of
//! requests can fill the disk through the audit log.

use std::sync::atomic::{AtomicI64, Ordering};

use rusqlite::{Connection, params};

use super::Result;
use crate::clock;

/// Log types written by the API (ids of the seeded `logtypes` rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum LogType {
    /// The login page signed a user in.
    PortalLoginOk = 1,
    /// The login page refused a password.
    PortalLoginFailed = 2,
    /// A password was changed on the login page.
    PasswordChanged = 3,
    /// The login page refused a TOTP code.
    PortalBadAuthCode = 6,
    /// A user signed out of the login page.
    PortalLogout = 11,
    /// `login` accepted.
    ApiLoginOk = 4,
    /// `login` refused.
    ApiLoginFailed = 5,
    /// `verifytotp` refused a code.
    ApiBadAuthCode = 7,
    /// A user was created (admin CLI or Maian API).
    UserAdded = 17,
    /// `auth` accepted.
    ApiAuthOk = 12,
    /// `auth` refused.
    ApiAuthFailed = 13,
    /// A request came with a missing or unknown API key.
    ApiBadKey = 14,
    /// A mobile password check or code login passed.
    MobileLoginOk = 19,
    /// A mobile password check or code login failed.
    MobileLoginFailed = 20,
    /// The mobile API got a user name with a wrong sync code.
    MobileBadKey = 21,
}

/// Default of `audit.max_rows`.
pub const DEFAULT_MAX_ROWS: i64 = 1_000_000;

/// The cap of this process, set once at start-up from the configuration (like the log
/// level): every writer of audit rows honours it without passing it around.
static MAX_ROWS: AtomicI64 = AtomicI64::new(DEFAULT_MAX_ROWS);

/// Sets the most rows the table keeps (at least 1).
pub fn set_max_rows(rows: u64) {
    MAX_ROWS.store(
        i64::try_from(rows).unwrap_or(i64::MAX).max(1),
        Ordering::Relaxed,
    );
}

/// Characters of a user name kept in an audit note; longer names are cut and end in `…`.
pub const NOTE_NAME_CHARS: usize = 64;

/// The note of a credential check: the lower-cased user name (cut to `NOTE_NAME_CHARS`)
/// and the caller's censored key.
pub fn credential_note(username: &str, key_label: &str) -> String {
    let mut name: String = username.chars().take(NOTE_NAME_CHARS).collect();
    name.make_ascii_lowercase();
    if username.chars().nth(NOTE_NAME_CHARS).is_some() {
        name.push('…');
    }
    format!("Username: {name}, Key: {key_label}")
}

/// Appends one audit row stamped with the current UTC time, then drops the oldest rows
/// beyond the cap (by id, which only grows, so this costs one index range per call).
pub fn write(
    conn: &Connection,
    logtype: LogType,
    uid: Option<i64>,
    ip: &str,
    otherdata: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO authlog (logtime, logtype, uid, ip, otherdata) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        clock::utc_now_text(),
        logtype as i64,
        uid,
        ip,
        otherdata
    ])?;
    let newest = conn.last_insert_rowid();
    conn.prepare_cached("DELETE FROM authlog WHERE logid <= ?1")?
        .execute([newest.saturating_sub(MAX_ROWS.load(Ordering::Relaxed))])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_user_names_are_cut_in_notes() {
        assert_eq!(credential_note("Bob", "ab…yz"), "Username: bob, Key: ab…yz");
        let long = "é".repeat(NOTE_NAME_CHARS + 1);
        let note = credential_note(&long, "k");
        assert_eq!(
            note,
            format!("Username: {}…, Key: k", "é".repeat(NOTE_NAME_CHARS))
        );
        let exact = "x".repeat(NOTE_NAME_CHARS);
        assert_eq!(
            credential_note(&exact, "k"),
            format!("Username: {exact}, Key: k")
        );
    }
}
