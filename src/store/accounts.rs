//! SQL of the `accounts` table: lookups that hide deleted accounts, and account creation.

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};

use super::Result;
use crate::clock;

/// The `acctstatus` of an account, read once from its id (1 to 5; another tool may have
/// written any other number, which is kept and reported as `OTHER_<n>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountStatus {
    /// 1: may log in; what new accounts get.
    #[default]
    Normal,
    /// 2: refused at login.
    LockedOrDisabled,
    /// 3: refused at login until the password is changed.
    ChangePassword,
    /// 4: refused at login.
    Terminated,
    /// 5: may log in; each login mails the administrator.
    AlertOnAccess,
    /// Any other id.
    Other(i64),
}

impl AccountStatus {
    /// The five statuses an administrator can set.
    pub const NAMED: [AccountStatus; 5] = [
        AccountStatus::Normal,
        AccountStatus::LockedOrDisabled,
        AccountStatus::ChangePassword,
        AccountStatus::Terminated,
        AccountStatus::AlertOnAccess,
    ];

    /// The status of a stored id.
    pub fn from_id(id: i64) -> AccountStatus {
        match id {
            1 => AccountStatus::Normal,
            2 => AccountStatus::LockedOrDisabled,
            3 => AccountStatus::ChangePassword,
            4 => AccountStatus::Terminated,
            5 => AccountStatus::AlertOnAccess,
            n => AccountStatus::Other(n),
        }
    }

    /// The stored id.
    pub fn id(self) -> i64 {
        match self {
            AccountStatus::Normal => 1,
            AccountStatus::LockedOrDisabled => 2,
            AccountStatus::ChangePassword => 3,
            AccountStatus::Terminated => 4,
            AccountStatus::AlertOnAccess => 5,
            AccountStatus::Other(n) => n,
        }
    }

    /// One of the five names, matched case-insensitively (the CLI's `user status`).
    pub fn parse_name(name: &str) -> Option<AccountStatus> {
        AccountStatus::NAMED
            .into_iter()
            .find(|s| s.to_string().eq_ignore_ascii_case(name.trim()))
    }

    /// True for the statuses whose correct password logs in.
    pub fn may_log_in(self) -> bool {
        matches!(self, AccountStatus::Normal | AccountStatus::AlertOnAccess)
    }
}

/// The name `acctstatus` reports: `NORMAL`, ..., or `OTHER_<n>`.
impl std::fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountStatus::Normal => f.write_str("NORMAL"),
            AccountStatus::LockedOrDisabled => f.write_str("LOCKED_OR_DISABLED"),
            AccountStatus::ChangePassword => f.write_str("CHANGE_PASSWORD"),
            AccountStatus::Terminated => f.write_str("TERMINATED"),
            AccountStatus::AlertOnAccess => f.write_str("ALERT_ON_ACCESS"),
            AccountStatus::Other(n) => write!(f, "OTHER_{n}"),
        }
    }
}

impl FromSql for AccountStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        i64::column_result(value).map(AccountStatus::from_id)
    }
}

impl ToSql for AccountStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.id()))
    }
}

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
    /// Account status.
    pub status: AccountStatus,
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
        status: r.get(9)?,
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

/// The live account with user name `user`, else the live account with uid `user` when no
/// live account has that name: how every admin command reads a USER argument.
pub fn by_name_or_uid(conn: &Connection, user: &str) -> Result<Option<Account>> {
    match (by_username(conn, user)?, user.parse::<i64>()) {
        (None, Ok(uid)) => by_uid(conn, uid),
        (found, _) => Ok(found),
    }
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
    /// Status; NORMAL for new accounts.
    pub status: AccountStatus,
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
        new.status,
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
    /// Status (`AccountStatus::id`).
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

/// Any account, deleted or not, with its administrative fields: the one with user name
/// `user`, else the one with uid `user` when no account has that name.
pub fn details_by_name_or_uid(conn: &Connection, user: &str) -> Result<Option<AccountDetails>> {
    let found = details_where(conn, "username = ?1", &user.to_ascii_lowercase())?;
    match (found, user.parse::<i64>()) {
        (None, Ok(uid)) => details_where(conn, "uid = ?1", &uid),
        (found, _) => Ok(found),
    }
}

fn details_where(
    conn: &Connection,
    condition: &str,
    value: &dyn ToSql,
) -> Result<Option<AccountDetails>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, timezone, language, ip, notes, created, deleted
         FROM accounts WHERE {condition}"
    ))?
    .query_row([value], |r| {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_parse_by_name() {
        for status in AccountStatus::NAMED {
            assert_eq!(AccountStatus::from_id(status.id()), status);
            let lower = status.to_string().to_ascii_lowercase();
            assert_eq!(AccountStatus::parse_name(&lower), Some(status));
        }
        assert_eq!(AccountStatus::from_id(9).to_string(), "OTHER_9");
        assert_eq!(AccountStatus::parse_name("OTHER_9"), None);
        let may: Vec<_> = AccountStatus::NAMED
            .into_iter()
            .filter(|s| s.may_log_in())
            .collect();
        assert_eq!(may, [AccountStatus::Normal, AccountStatus::AlertOnAccess]);
    }
}
