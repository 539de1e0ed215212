//! SQL of the `apikeys` table: keys stored as SHA-256 digests with a censored hint.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::Result;
use crate::clock;
use crate::secrets;

/// Privilege of a key or requirement of an action: `NONE < AUTH < READ < FULL`.
/// The original stored the type but never enforced it; this server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyType {
    /// May call only `ping`, `mobileenabled`, `listapps`.
    None,
    /// May also check credentials.
    Auth,
    /// May also read the directory.
    Read,
    /// May call everything, writes included.
    Full,
}

impl KeyType {
    /// Parses a stored type name. Matching is exact (case-sensitive), as in the original.
    pub fn parse(name: &str) -> Option<KeyType> {
        match name {
            "NONE" => Some(KeyType::None),
            "AUTH" => Some(KeyType::Auth),
            "READ" => Some(KeyType::Read),
            "FULL" => Some(KeyType::Full),
            _ => None,
        }
    }

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::None => "NONE",
            KeyType::Auth => "AUTH",
            KeyType::Read => "READ",
            KeyType::Full => "FULL",
        }
    }
}

/// The `type` column as read: one of the four types, or a name another tool wrote that
/// matches none of them (such a key can call nothing, but listings still show the name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeldType {
    /// A known type.
    Known(KeyType),
    /// An unknown name, kept as stored.
    Unknown(String),
}

impl HeldType {
    /// Reads the column once, where the row is read.
    fn from_column(name: String) -> HeldType {
        match KeyType::parse(&name) {
            Some(t) => HeldType::Known(t),
            None => HeldType::Unknown(name),
        }
    }

    /// True if a key of this type may call something requiring `needed`.
    pub fn allows(&self, needed: KeyType) -> bool {
        matches!(self, HeldType::Known(held) if *held >= needed)
    }
}

impl std::fmt::Display for HeldType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeldType::Known(t) => f.write_str(t.name()),
            HeldType::Unknown(name) => f.write_str(name),
        }
    }
}

/// A stored key as the API and the admin CLI see it (never the key itself).
#[derive(Debug, Clone)]
pub struct StoredKey {
    /// Row id, used by `key revoke`.
    pub id: i64,
    /// Declared type.
    pub key_type: HeldType,
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
        key_type: HeldType::from_column(r.get(1)?),
        censored: r.get(2)?,
        notes: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        created: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
    })
}

/// Finds the key whose digest matches; the digests are compared again in constant time.
fn find_digest(conn: &Connection, digest: &str) -> Result<Option<StoredKey>> {
    let found: Option<(String, StoredKey)> = conn
        .prepare_cached(
            "SELECT keyid, type, censored, notes, created, \"key\" FROM apikeys
             WHERE \"key\" = ?1 AND hashed = 1",
        )?
        .query_row([digest], |r| Ok((r.get(5)?, row_to_key(r)?)))
        .optional()?;
    Ok(found.and_then(|(stored, key)| {
        secrets::constant_time_eq(stored.as_bytes(), digest.as_bytes()).then_some(key)
    }))
}

/// Most keys one connection remembers; a deployment has a handful, and only keys that
/// exist are remembered, so this bound is never reached in practice.
const CACHE_MAX: usize = 256;

/// The keys one connection found, by digest, with the state of the file they were read
/// in: SQLite's `data_version` (changes when any other connection, in any process,
/// commits) and this connection's own change count. Either moving empties the cache.
#[derive(Debug, Default)]
pub struct KeyCache {
    seen: Option<(i64, u64)>,
    found: HashMap<String, StoredKey>,
}

impl KeyCache {
    /// The key whose digest matches `presented`, answered from memory while the file is
    /// unchanged.
    pub fn find(&mut self, conn: &Connection, presented: &str) -> Result<Option<StoredKey>> {
        let version: i64 = conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?;
        let now = Some((version, conn.total_changes()));
        if self.seen != now {
            self.found.clear();
            self.seen = now;
        }
        let digest = secrets::sha256_hex(presented.as_bytes());
        if let Some(key) = self.found.get(&digest) {
            return Ok(Some(key.clone()));
        }
        let key = find_digest(conn, &digest)?;
        if let Some(key) = &key {
            if self.found.len() >= CACHE_MAX {
                self.found.clear();
            }
            self.found.insert(digest, key.clone());
        }
        Ok(key)
    }
}

/// Stores a new key's digest and returns its row id.
pub fn insert(conn: &Connection, plain: &str, key_type: KeyType, notes: &str) -> Result<i64> {
    conn.execute(
        "INSERT INTO apikeys (\"key\", notes, type, hashed, censored, created)
         VALUES (?1, ?2, ?3, 1, ?4, ?5)",
        params![
            secrets::sha256_hex(plain.as_bytes()),
            notes,
            key_type.name(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn open(path: &std::path::Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS apikeys (keyid INTEGER PRIMARY KEY, \"key\" TEXT,
             notes TEXT, type TEXT, hashed INTEGER, censored TEXT, created TEXT)",
        )
        .unwrap();
        conn
    }

    #[test]
    fn a_revoked_key_is_refused_at_once_through_any_connection() {
        let dir = crate::test_dir("keycache");
        let path = dir.join("keys.sqlite");
        let (reader, other) = (open(&path), open(&path));
        let mut cache = KeyCache::default();
        // Revoked by another connection (another process: the CLI).
        let id = insert(&other, "first-key-123", KeyType::Full, "").unwrap();
        assert!(cache.find(&reader, "first-key-123").unwrap().is_some());
        assert!(cache.find(&reader, "first-key-123").unwrap().is_some());
        assert!(revoke(&other, id).unwrap());
        assert!(cache.find(&reader, "first-key-123").unwrap().is_none());
        // Revoked through the very connection the cache reads on.
        let id = insert(&other, "second-key-456", KeyType::Read, "").unwrap();
        assert!(cache.find(&reader, "second-key-456").unwrap().is_some());
        assert!(revoke(&reader, id).unwrap());
        assert!(cache.find(&reader, "second-key-456").unwrap().is_none());
        // A changed type is seen at once too.
        let id = insert(&other, "third-key-789", KeyType::Read, "").unwrap();
        assert!(cache.find(&reader, "third-key-789").unwrap().is_some());
        other
            .execute("UPDATE apikeys SET type = 'NONE' WHERE keyid = ?1", [id])
            .unwrap();
        let key = cache.find(&reader, "third-key-789").unwrap().unwrap();
        assert_eq!(key.key_type, HeldType::Known(KeyType::None));
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn held(name: &str) -> HeldType {
        HeldType::from_column(name.to_string())
    }

    #[test]
    fn hierarchy_is_enforced() {
        assert!(held("NONE").allows(KeyType::None));
        assert!(held("FULL").allows(KeyType::Read));
        assert!(!held("READ").allows(KeyType::Full));
        assert!(!held("NONE").allows(KeyType::Auth));
        assert!(!held("full").allows(KeyType::None));
        assert!(!held("ADMIN").allows(KeyType::None));
        assert_eq!(held("ADMIN").to_string(), "ADMIN");
    }
}
