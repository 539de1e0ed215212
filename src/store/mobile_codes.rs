//! SQL of the `mobile_codes` table: long-lived sync codes of the mobile app.

use rusqlite::{Connection, params};

use super::Result;

/// Adds a sync code for a user. A duplicate code fails with a constraint error.
pub fn insert(conn: &Connection, uid: i64, code: &str, description: &str) -> Result<i64> {
    conn.prepare_cached("INSERT INTO mobile_codes (uid, code, description) VALUES (?1, ?2, ?3)")?
        .execute(params![uid, code, description])?;
    Ok(conn.last_insert_rowid())
}

/// A user's sync codes, for a constant-time comparison by the caller.
pub fn codes(conn: &Connection, uid: i64) -> Result<Vec<String>> {
    conn.prepare_cached("SELECT code FROM mobile_codes WHERE uid = ?1")?
        .query_map([uid], |r| r.get(0))?
        .collect()
}

/// How many sync codes a user has (new ones are refused past a limit).
pub fn count(conn: &Connection, uid: i64) -> Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM mobile_codes WHERE uid = ?1")?
        .query_row([uid], |r| r.get(0))
}
