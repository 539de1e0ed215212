//! SQL of the `onetimekeys` table: the short-lived codes the mobile app shows and the
//! Station kiosk trades for a login (`gencode` → `codelogin`). A user holds at most one
//! code at a time, and a code is deleted the moment it is used.

use rusqlite::{Connection, OptionalExtension, params};

use super::Result;

/// Stores `code` for `uid` until `expires` (UTC text), replacing the user's earlier codes.
/// Returns false, storing nothing, if another user holds the same code right now.
pub fn replace(conn: &Connection, uid: i64, code: &str, expires: &str) -> Result<bool> {
    conn.prepare_cached("DELETE FROM onetimekeys WHERE uid = ?1")?
        .execute([uid])?;
    let stored = conn
        .prepare_cached(
            "INSERT INTO onetimekeys (\"key\", uid, expires) VALUES (?1, ?2, ?3)
             ON CONFLICT (\"key\") DO NOTHING",
        )?
        .execute(params![code, uid, expires])?;
    Ok(stored == 1)
}

/// Deletes `code` and returns its uid if it had not expired at `now` (UTC text). A used,
/// unknown or expired code yields `None`; either way the code is gone afterwards.
pub fn take(conn: &Connection, code: &str, now: &str) -> Result<Option<i64>> {
    conn.prepare_cached("DELETE FROM onetimekeys WHERE \"key\" = ?1 RETURNING uid, expires")?
        .query_row([code], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })
        .optional()
        .map(|row| row.and_then(|(uid, expires)| (expires.as_str() > now).then_some(uid)))
}

/// Drops every code that expired before `now` (UTC text), so the table stays small.
pub fn purge_expired(conn: &Connection, now: &str) -> Result<usize> {
    conn.prepare_cached("DELETE FROM onetimekeys WHERE expires <= ?1")?
        .execute([now])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    fn db_with_users() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (uid, username, realname, acctstatus, accttype)
             VALUES (1, 'a', 'A', 1, 1), (2, 'b', 'B', 1, 1);",
        )
        .unwrap();
        conn
    }

    #[test]
    fn codes_are_single_use_expire_and_replace_older_ones() {
        let conn = db_with_users();
        let (now, later) = ("2026-01-01 00:00:00", "2026-01-01 00:01:00");
        assert!(replace(&conn, 1, "111111", later).unwrap());
        assert!(!replace(&conn, 2, "111111", later).unwrap());
        assert_eq!(take(&conn, "111111", now).unwrap(), Some(1));
        assert_eq!(take(&conn, "111111", now).unwrap(), None);
        // A new code replaces the user's previous one.
        assert!(replace(&conn, 1, "222222", later).unwrap());
        assert!(replace(&conn, 1, "333333", later).unwrap());
        assert_eq!(take(&conn, "222222", now).unwrap(), None);
        // Expired codes do not pass, and are purged.
        assert_eq!(take(&conn, "333333", later).unwrap(), None);
        assert!(replace(&conn, 2, "444444", now).unwrap());
        assert_eq!(purge_expired(&conn, now).unwrap(), 1);
    }
}
