//! SQL of the `authlog` audit table (the log type numbers are the
//! original's, so its audit readers keep working).

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

/// Appends one audit row stamped with the current UTC time.
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
    Ok(())
}
