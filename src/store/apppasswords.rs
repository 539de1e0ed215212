//! SQL of the `apppasswords` table: per-user extra passwords for API logins.

use rusqlite::{Connection, params};

use super::Result;

/// Adds an app password (already hashed) for a user.
pub fn insert(conn: &Connection, uid: i64, hash: &str, description: &str) -> Result<i64> {
    conn.prepare_cached("INSERT INTO apppasswords (hash, uid, description) VALUES (?1, ?2, ?3)")?
        .execute(params![hash, uid, description])?;
    Ok(conn.last_insert_rowid())
}

/// Stored hashes of a user's app passwords.
pub fn hashes(conn: &Connection, uid: i64) -> Result<Vec<String>> {
    conn.prepare_cached("SELECT hash FROM apppasswords WHERE uid = ?1 ORDER BY passid")?
        .query_map([uid], |r| r.get(0))?
        .collect()
}
