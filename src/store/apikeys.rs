//! SQL of the `apikeys` table: keys stored as SHA-256 digests with a censored hint.

use rusqlite::{Connection, OptionalExtension, params};

use super::Result;
use crate::clock;
use crate::secrets;

/// A stored key as the API and the admin CLI see it (never the key itself).
#[derive(Debug, Clone)]
pub struct StoredKey {
    /// Row id, used by `key revoke`.
    pub id: i64,
    /// Declared type name (`NONE`, `AUTH`, `READ`, `FULL`, or whatever another tool wrote).
    pub key_type: String,
    /// First 2 and last 2 characters of the key.
    pub censored: String,
    /// Free-text notes.
    pub notes: String,
    /// Creation time (UTC), when known.
    pub created: String,
}

fn row_to_key(r: &rusqlite::Row) -> rusqlite::Result<StoredKey> {
    Ok(StoredKey {
        id: r.get(0)?,
        key_type: r.get(1)?,
        censored: r.get(2)?,
        notes: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        created: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
    })
}

/// Finds the key whose digest matches; the digests are compared again in constant time.
pub fn find(conn: &Connection, presented: &str) -> Result<Option<StoredKey>> {
    let digest = secrets::sha256_hex(presented.as_bytes());
    let found: Option<(String, StoredKey)> = conn
        .prepare_cached(
            "SELECT keyid, type, censored, notes, created, \"key\" FROM apikeys
             WHERE \"key\" = ?1 AND hashed = 1",
        )?
        .query_row([&digest], |r| Ok((r.get(5)?, row_to_key(r)?)))
        .optional()?;
    Ok(found.and_then(|(stored, key)| {
        secrets::constant_time_eq(stored.as_bytes(), digest.as_bytes()).then_some(key)
    }))
}

/// Stores a new key's digest and returns its row id.
pub fn insert(conn: &Connection, plain: &str, key_type: &str, notes: &str) -> Result<i64> {
    conn.execute(
        "INSERT INTO apikeys (\"key\", notes, type, hashed, censored, created)
         VALUES (?1, ?2, ?3, 1, ?4, ?5)",
        params![
            secrets::sha256_hex(plain.as_bytes()),
            notes,
            key_type,
            secrets::censor(plain),
            clock::utc_now_text()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// All keys, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<StoredKey>> {
    conn.prepare("SELECT keyid, type, censored, notes, created FROM apikeys ORDER BY keyid")?
        .query_map([], row_to_key)?
        .collect()
}

/// Deletes a key; true if it existed.
pub fn revoke(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn.execute("DELETE FROM apikeys WHERE keyid = ?1", [id])? > 0)
}
