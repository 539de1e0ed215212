//! Schema creation and `PRAGMA user_version` migrations, applied on every open.
//!
//! Version 1 is `schema.sql` at the repository root. A later change appends a step to
//! `MIGRATIONS`; a database is never recreated.

use rusqlite::{Connection, TransactionBehavior, params};

use super::Result;
use crate::secrets;

/// The full schema of version 1.
pub const SCHEMA_SQL: &str = include_str!("../../schema.sql");

/// Steps from version N to N+1, for N = 1, 2, ...; empty until the first schema change.
const MIGRATIONS: &[&str] = &[];

/// Version this binary writes and expects.
pub const SCHEMA_VERSION: i64 = 1 + MIGRATIONS.len() as i64;

/// Creates or upgrades the schema, then hashes plaintext API keys left by other tools.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version < SCHEMA_VERSION {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Re-read under the write lock: another process may have migrated meanwhile.
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version == 0 {
            tx.execute_batch(SCHEMA_SQL)?;
        }
        for step in MIGRATIONS.iter().skip((version.max(1) - 1) as usize) {
            tx.execute_batch(step)?;
        }
        if version < SCHEMA_VERSION {
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        tx.commit()?;
    }
    hash_plaintext_keys(conn)
}

/// Keys inserted by hand or imported from an original database arrive in plaintext
/// (`hashed = 0`); store their digest instead and keep only the censored form.
fn hash_plaintext_keys(conn: &mut Connection) -> Result<()> {
    let pending: i64 =
        conn.query_row("SELECT count(*) FROM apikeys WHERE hashed = 0", [], |r| {
            r.get(0)
        })?;
    if pending == 0 {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT keyid, \"key\" FROM apikeys WHERE hashed = 0")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_>>()?;
    for (id, plain) in rows {
        tx.execute(
            "UPDATE apikeys SET \"key\" = ?1, censored = ?2, hashed = 1 WHERE keyid = ?3",
            params![
                secrets::sha256_hex(plain.as_bytes()),
                secrets::censor(&plain),
                id
            ],
        )?;
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_file_gets_schema_and_seeds_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let statuses: i64 = conn
            .query_row("SELECT count(*) FROM acctstatus", [], |r| r.get(0))
            .unwrap();
        assert_eq!(statuses, 5);
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn plaintext_keys_are_hashed_on_open() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO apikeys (\"key\", type) VALUES ('legacykey123', 'READ')",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (stored, censored): (String, String) = conn
            .query_row("SELECT \"key\", censored FROM apikeys", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(stored, secrets::sha256_hex(b"legacykey123"));
        assert_eq!(censored, "le********23");
    }
}
