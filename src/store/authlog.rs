//! SQL of the `authlog` audit table (the log type numbers are the original's, so its
//! audit readers keep working). The table is capped: past `audit.max_rows` rows, each new
//! row pushes out the oldest, so no flood of requests can fill the disk through the audit
//! log.

use std::sync::atomic::{AtomicI64, Ordering};

use rusqlite::{Connection, OptionalExtension, params};

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

/// Which rows `accounthub log` shows; `None` means no restriction.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only rows about this uid.
    pub uid: Option<i64>,
    /// Only rows of this log type.
    pub logtype: Option<i64>,
    /// Only rows at or after this stored (UTC) time.
    pub since: Option<String>,
    /// Only rows before this stored (UTC) time.
    pub until: Option<String>,
    /// At most this many rows: the newest ones.
    pub limit: usize,
}

/// One audit row with its type name and the user name of its uid (deleted users too).
#[derive(Debug, Clone)]
pub struct Entry {
    /// Row id.
    pub logid: i64,
    /// Stored UTC time.
    pub logtime: String,
    /// Log type id.
    pub logtype: i64,
    /// Log type name, if the type is known.
    pub typename: Option<String>,
    /// Account the row is about.
    pub uid: Option<i64>,
    /// That account's user name.
    pub username: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Free text of the row.
    pub otherdata: Option<String>,
}

/// The newest rows matching `filter`, oldest first (like the tail of a log file).
pub fn query(conn: &Connection, filter: &Filter) -> Result<Vec<Entry>> {
    let mut rows: Vec<Entry> = conn
        .prepare_cached(
            "SELECT l.logid, l.logtime, l.logtype, t.typename, l.uid, a.username, l.ip,
                    l.otherdata
             FROM authlog l
             LEFT JOIN logtypes t ON t.logtype = l.logtype
             LEFT JOIN accounts a ON a.uid = l.uid
             WHERE (?1 IS NULL OR l.uid = ?1) AND (?2 IS NULL OR l.logtype = ?2)
               AND (?3 IS NULL OR l.logtime >= ?3) AND (?4 IS NULL OR l.logtime < ?4)
             ORDER BY l.logtime DESC, l.logid DESC LIMIT ?5",
        )?
        .query_map(
            params![
                filter.uid,
                filter.logtype,
                filter.since,
                filter.until,
                filter.limit.min(i64::MAX as usize) as i64
            ],
            |r| {
                Ok(Entry {
                    logid: r.get(0)?,
                    logtime: r.get(1)?,
                    logtype: r.get(2)?,
                    typename: r.get(3)?,
                    uid: r.get(4)?,
                    username: r.get(5)?,
                    ip: r.get(6)?,
                    otherdata: r.get(7)?,
                })
            },
        )?
        .collect::<Result<_>>()?;
    rows.reverse();
    Ok(rows)
}

/// The log type named `name` (case-insensitive, e.g. `API_LOGIN_FAILED`) or numbered.
pub fn logtype_named(conn: &Connection, name: &str) -> Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT logtype FROM logtypes
         WHERE typename = ?1 COLLATE NOCASE OR CAST(logtype AS TEXT) = ?1",
    )?
    .query_row([name], |r| r.get(0))
    .optional()
}

/// The uid of user name `name` or, failing that, of the uid `name` spells, deleted
/// accounts included: the audit log outlives them.
pub fn uid_named(conn: &Connection, name: &str) -> Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT uid FROM accounts WHERE username = ?1 COLLATE NOCASE
         UNION ALL SELECT uid FROM accounts WHERE CAST(uid AS TEXT) = ?1 LIMIT 1",
    )?
    .query_row([name], |r| r.get(0))
    .optional()
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
