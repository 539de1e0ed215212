//! SQL of the `userloginkeys` table: SSO login keys. An app asks for a key
//! (`getloginkey`, uid NULL), the login page approves it for the user who signed in (uid
//! set), and `checkloginkey` takes it once. Expired keys are purged whenever a key is made.

use rusqlite::{Connection, OptionalExtension, params};

use super::Result;
use crate::clock;

/// A key waiting for a user to sign in on the login page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingKey {
    /// Row id.
    pub id: i64,
    /// The app's name, shown as "Login to {appname}".
    pub appname: String,
    /// The app's icon URL, if it sent one.
    pub appicon: Option<String>,
}

/// An approved key not yet taken by its app (what `session list` shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedKey {
    /// Row id: what `session revoke --key` takes.
    pub id: i64,
    /// The app it was made for.
    pub appname: String,
    /// Expiry (UTC text).
    pub expires: String,
}

/// Drops every expired key, approved or not.
pub fn purge_expired(conn: &Connection, now: i64) -> Result<usize> {
    conn.prepare_cached("DELETE FROM userloginkeys WHERE expires IS NULL OR expires <= ?1")?
        .execute([clock::utc_text(now)])
}

/// Keys waiting for a sign-in (the bound on what `getloginkey` callers can store).
pub fn pending_count(conn: &Connection) -> Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM userloginkeys WHERE uid IS NULL")?
        .query_row([], |r| r.get(0))
}

/// Stores a new unapproved key valid until `expires` (Unix seconds).
pub fn insert(
    conn: &Connection,
    key: &str,
    expires: i64,
    appname: &str,
    appicon: Option<&str>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO userloginkeys (\"key\", expires, uid, appname, appicon)
         VALUES (?1, ?2, NULL, ?3, ?4)",
    )?
    .execute(params![key, clock::utc_text(expires), appname, appicon])?;
    Ok(())
}

/// The unexpired, not yet approved key with this value.
pub fn find_pending(conn: &Connection, key: &str, now: i64) -> Result<Option<PendingKey>> {
    conn.prepare_cached(
        "SELECT id, appname, appicon FROM userloginkeys
         WHERE \"key\" = ?1 AND uid IS NULL AND expires > ?2",
    )?
    .query_row(params![key, clock::utc_text(now)], |r| {
        Ok(PendingKey {
            id: r.get(0)?,
            appname: r.get(1)?,
            appicon: r.get(2)?,
        })
    })
    .optional()
}

/// Approves a pending key for `uid`; false if it expired or was approved meanwhile.
pub fn approve(conn: &Connection, id: i64, uid: i64, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE userloginkeys SET uid = ?2 WHERE id = ?1 AND uid IS NULL AND expires > ?3",
        )?
        .execute(params![id, uid, clock::utc_text(now)])?;
    Ok(n == 1)
}

/// Takes an approved, unexpired key: returns its uid and deletes it, so it works once.
/// Only accounts that may sign in pass (live, NORMAL or ALERT_ON_ACCESS); a key of any
/// other account is deleted all the same. Unapproved keys stay for the app to poll.
pub fn take_approved(conn: &Connection, key: &str, now: i64) -> Result<Option<i64>> {
    let row: Option<(i64, i64, bool)> = conn
        .prepare_cached(
            "SELECT k.id, k.uid, a.uid IS NOT NULL AND a.deleted = 0 AND a.acctstatus IN (1, 5)
             FROM userloginkeys k LEFT JOIN accounts a ON a.uid = k.uid
             WHERE k.\"key\" = ?1 AND k.uid IS NOT NULL AND k.expires > ?2",
        )?
        .query_row(params![key, clock::utc_text(now)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((id, uid, may_sign_in)) = row else {
        return Ok(None);
    };
    conn.prepare_cached("DELETE FROM userloginkeys WHERE id = ?1")?
        .execute([id])?;
    Ok(may_sign_in.then_some(uid))
}

/// A user's approved keys that their apps have not taken yet, newest first.
pub fn approved_for_user(conn: &Connection, uid: i64, now: i64) -> Result<Vec<ApprovedKey>> {
    conn.prepare_cached(
        "SELECT id, appname, expires FROM userloginkeys
         WHERE uid = ?1 AND expires > ?2 ORDER BY id DESC",
    )?
    .query_map(params![uid, clock::utc_text(now)], |r| {
        Ok(ApprovedKey {
            id: r.get(0)?,
            appname: r.get(1)?,
            expires: r.get(2)?,
        })
    })?
    .collect()
}

/// Deletes one of a user's approved keys; true if it existed.
pub fn revoke(conn: &Connection, uid: i64, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM userloginkeys WHERE uid = ?1 AND id = ?2")?
        .execute(params![uid, id])?
        > 0)
}

/// Deletes every approved key of a user; returns how many there were.
pub fn revoke_all(conn: &Connection, uid: i64) -> Result<usize> {
    conn.prepare_cached("DELETE FROM userloginkeys WHERE uid = ?1")?
        .execute([uid])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    fn db() -> (Connection, i64) {
        schema::test_db_with_account()
    }

    #[test]
    fn a_key_is_approved_once_and_taken_once() {
        let (conn, uid) = db();
        insert(&conn, "k1", 1600, "App", Some("https://a/i.svg")).unwrap();
        assert_eq!(take_approved(&conn, "k1", 1000).unwrap(), None, "pending");
        let pending = find_pending(&conn, "k1", 1000).unwrap().unwrap();
        assert_eq!(pending.appname, "App");
        assert!(approve(&conn, pending.id, uid, 1001).unwrap());
        assert!(
            !approve(&conn, pending.id, uid, 1001).unwrap(),
            "already approved"
        );
        assert!(find_pending(&conn, "k1", 1002).unwrap().is_none());
        assert_eq!(approved_for_user(&conn, uid, 1002).unwrap().len(), 1);
        assert_eq!(take_approved(&conn, "k1", 1003).unwrap(), Some(uid));
        assert_eq!(
            take_approved(&conn, "k1", 1004).unwrap(),
            None,
            "single use"
        );
    }

    #[test]
    fn expired_and_refused_accounts_do_not_pass() {
        let (conn, uid) = db();
        insert(&conn, "old", 1600, "App", None).unwrap();
        assert!(find_pending(&conn, "old", 1600).unwrap().is_none());
        let id = find_pending(&conn, "old", 1000).unwrap().unwrap().id;
        assert!(!approve(&conn, id, uid, 1600).unwrap());
        assert!(approve(&conn, id, uid, 1500).unwrap());
        assert_eq!(take_approved(&conn, "old", 1600).unwrap(), None, "expired");
        insert(&conn, "locked", 9000, "App", None).unwrap();
        let id = find_pending(&conn, "locked", 1000).unwrap().unwrap().id;
        approve(&conn, id, uid, 1000).unwrap();
        conn.execute("UPDATE accounts SET acctstatus = 2", [])
            .unwrap();
        assert_eq!(take_approved(&conn, "locked", 1000).unwrap(), None);
        assert_eq!(purge_expired(&conn, 1600).unwrap(), 1);
        assert_eq!(pending_count(&conn).unwrap(), 0);
    }
}
