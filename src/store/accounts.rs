//! SQL of the `accounts` table: lookups that hide deleted accounts, and account creation.

use rusqlite::{Connection, OptionalExtension, params};

use super::Result;
use crate::clock;

/// One account as the actions need it. Secrets stay hashed.
#[derive(Debug, Clone)]
pub struct Account {
    /// Account id.
    pub uid: i64,
    /// Lower-case login name.
    pub username: String,
    /// Display name (`name` on the wire).
    pub realname: String,
    /// Email address, if any.
    pub email: Option<String>,
    /// Password hash (PHC or imported bcrypt), if any.
    pub password: Option<String>,
    /// Base32 TOTP secret; blank means no 2FA.
    pub authsecret: Option<String>,
    /// PIN hash; blank means no PIN.
    pub pin: Option<String>,
    /// First phone number (`phone."1"`).
    pub phone1: String,
    /// Second phone number (`phone."2"`).
    pub phone2: String,
    /// Status id (1 NORMAL ... 5 ALERT_ON_ACCESS).
    pub acctstatus: i64,
    /// Last TOTP step accepted, for replay refusal.
    pub totp_last_step: Option<i64>,
}

impl Account {
    /// True when the account has 2FA set up (a non-blank secret, like the original).
    pub fn has_totp(&self) -> bool {
        self.authsecret
            .as_deref()
            .is_some_and(|s| !s.is_empty() && s != "0")
    }

    /// True when a PIN is set (the `pin` boolean of userinfo and getusersbygroup).
    pub fn has_pin(&self) -> bool {
        self.pin.as_deref().is_some_and(|p| !p.is_empty())
    }
}

const COLUMNS: &str = "uid, username, realname, email, password, authsecret, pin, phone1, phone2,
                       acctstatus, totp_last_step";

fn row_to_account(r: &rusqlite::Row) -> rusqlite::Result<Account> {
    Ok(Account {
        uid: r.get(0)?,
        username: r.get(1)?,
        realname: r.get(2)?,
        email: r.get(3)?,
        password: r.get(4)?,
        authsecret: r.get(5)?,
        pin: r.get(6)?,
        phone1: r.get(7)?,
        phone2: r.get(8)?,
        acctstatus: r.get(9)?,
        totp_last_step: r.get(10)?,
    })
}

/// A live (not deleted) account by user name, compared case-insensitively.
pub fn by_username(conn: &Connection, username: &str) -> Result<Option<Account>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM accounts WHERE username = ?1 AND deleted = 0"
    ))?
    .query_row([username.to_ascii_lowercase()], row_to_account)
    .optional()
}

/// A live (not deleted) account by uid.
pub fn by_uid(conn: &Connection, uid: i64) -> Result<Option<Account>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM accounts WHERE uid = ?1 AND deleted = 0"
    ))?
    .query_row([uid], row_to_account)
    .optional()
}

/// Fields of a new account; the password arrives already hashed.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    /// Login name (stored lower-cased).
    pub username: String,
    /// Display name.
    pub realname: String,
    /// Email address.
    pub email: Option<String>,
    /// Password hash.
    pub password_hash: Option<String>,
    /// Status id; 1 (NORMAL) for new accounts.
    pub acctstatus: i64,
    /// Maian time zone.
    pub timezone: Option<String>,
    /// Maian language.
    pub language: Option<String>,
    /// Maian IP address.
    pub ip: Option<String>,
    /// Maian notes.
    pub notes: Option<String>,
}

/// Inserts an account and returns its uid. A taken user name fails with a constraint error.
/// Run inside a write transaction: the search index may be folded afterwards
/// (`search::upkeep`), so a bulk load never leaves a large unsorted part behind.
pub fn insert(conn: &Connection, new: &NewAccount) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO accounts (username, password, realname, email, acctstatus, accttype,
                               timezone, language, ip, notes, created)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        new.username.to_ascii_lowercase(),
        new.password_hash,
        new.realname,
        new.email,
        new.acctstatus,
        new.timezone,
        new.language,
        new.ip,
        new.notes,
        clock::utc_now_text(),
    ])?;
    let uid = conn.last_insert_rowid();
    super::search::upkeep(conn)?;
    Ok(uid)
}

/// True if any account, deleted or not, already uses this user name.
pub fn username_taken(conn: &Connection, username: &str) -> Result<bool> {
    conn.prepare_cached("SELECT 1 FROM accounts WHERE username = ?1")?
        .exists([username.to_ascii_lowercase()])
}

/// Names of the status ids, as `acctstatus` reports them (`OTHER_<n>` for the rest).
pub fn status_name(status: i64) -> String {
    match status {
        1 => "NORMAL".into(),
        2 => "LOCKED_OR_DISABLED".into(),
        3 => "CHANGE_PASSWORD".into(),
        4 => "TERMINATED".into(),
        5 => "ALERT_ON_ACCESS".into(),
        n => format!("OTHER_{n}"),
    }
}

/// Replaces a password hash only if it is still `old`, so a rehash after login never
/// overwrites a password changed meanwhile. Returns whether the row changed.
pub fn replace_password(conn: &Connection, uid: i64, old: &str, new: &str) -> Result<bool> {
    let n = conn
        .prepare_cached("UPDATE accounts SET password = ?3 WHERE uid = ?1 AND password = ?2")?
        .execute(params![uid, old, new])?;
    Ok(n == 1)
}

/// One column an admin command may set on a live account.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    /// Password hash.
    Password,
    /// Status id.
    Status,
    /// Base32 TOTP secret (NULL = no 2FA); also resets the replay guard.
    AuthSecret,
    /// PIN hash (NULL = no PIN).
    Pin,
    /// Deleted flag.
    Deleted,
}

/// Sets one field of a live account; false if there is no such live account.
pub fn set_field(
    conn: &Connection,
    uid: i64,
    field: Field,
    value: rusqlite::types::Value,
) -> Result<bool> {
    let sql = match field {
        Field::Password => "UPDATE accounts SET password = ?2 WHERE uid = ?1 AND deleted = 0",
        Field::Status => "UPDATE accounts SET acctstatus = ?2 WHERE uid = ?1 AND deleted = 0",
        Field::AuthSecret => {
            "UPDATE accounts SET authsecret = ?2, totp_last_step = NULL WHERE uid = ?1 AND deleted = 0"
        }
        Field::Pin => "UPDATE accounts SET pin = ?2 WHERE uid = ?1 AND deleted = 0",
        Field::Deleted => "UPDATE accounts SET deleted = ?2 WHERE uid = ?1 AND deleted = 0",
    };
    Ok(conn.prepare_cached(sql)?.execute(params![uid, value])? == 1)
}

/// Records `step` as the last accepted TOTP step unless that step (or a later one) was
/// already used. Returns false for a replay; atomic, so two racing uses cannot both pass.
pub fn accept_totp_step(conn: &Connection, uid: i64, step: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE accounts SET totp_last_step = ?2
             WHERE uid = ?1 AND (totp_last_step IS NULL OR totp_last_step < ?2)",
        )?
        .execute(params![uid, step])?;
    Ok(n == 1)
}

/// True if any account, deleted or not, has this address as its user name or email
/// (case-insensitive): the Maian API's uniqueness rule.
pub fn email_taken(conn: &Connection, email: &str) -> Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM accounts WHERE username = ?1 OR email = ?1 COLLATE NOCASE LIMIT 1",
    )?
    .exists([email])
}

/// An account with the fields only administrators look at (`accounthub user show`).
#[derive(Debug, Clone)]
pub struct AccountDetails {
    /// The fields the actions use.
    pub account: Account,
    /// Maian time zone.
    pub timezone: Option<String>,
    /// Maian language.
    pub language: Option<String>,
    /// Maian IP address.
    pub ip: Option<String>,
    /// Maian notes.
    pub notes: Option<String>,
    /// Creation time (UTC), when known.
    pub created: Option<String>,
    /// True when the account is deleted (hidden from the API).
    pub deleted: bool,
}

/// Any account, deleted or not, by user name, with its administrative fields.
pub fn details_by_username(conn: &Connection, username: &str) -> Result<Option<AccountDetails>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, timezone, language, ip, notes, created, deleted
         FROM accounts WHERE username = ?1"
    ))?
    .query_row([username.to_ascii_lowercase()], |r| {
        Ok(AccountDetails {
            account: row_to_account(r)?,
            timezone: r.get(11)?,
            language: r.get(12)?,
            ip: r.get(13)?,
            notes: r.get(14)?,
            created: r.get(15)?,
            deleted: r.get::<_, i64>(16)? != 0,
        })
    })
    .optional()
}
