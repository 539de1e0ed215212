//! Schema creation and `PRAGMA user_version` migrations, applied on every open.
//!
//! `schema.sql` at the repository root is always the latest version and creates an empty
//! file in one go. A file written by an older version runs the steps of `MIGRATIONS` from
//! its version on; a database is never recreated.

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::{Result, search};
use crate::secrets;

/// The full, current schema.
pub const SCHEMA_SQL: &str = include_str!("../../schema.sql");

/// A step from version N to N+1 (index N - 1).
type Step = fn(&Transaction) -> Result<()>;

/// Steps from version N to N+1, for N = 1, 2, ... Versions 2 (the name-ranked usersearch
/// index) and 4 (an index that SQLite 3.40's own tools can write through) both changed
/// only the search index, and `rebuild_search` goes from either earlier layout to the
/// latest, so the step to version 2 has nothing left to do.
const MIGRATIONS: &[Step] = &[
    covered_by_rebuild_search,
    login_sessions,
    rebuild_search,
    rate_limits_without_rowid,
];

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
        } else {
            for step in MIGRATIONS.iter().skip((version - 1).max(0) as usize) {
                step(&tx)?;
            }
        }
        if version < SCHEMA_VERSION {
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        tx.commit()?;
    }
    hash_plaintext_keys(conn)
}

/// Version 1 to 2: the version 4 step rebuilds the search index from version 1 too.
fn covered_by_rebuild_search(_: &Transaction) -> Result<()> {
    Ok(())
}

/// Version 3: browser sessions of the login page, schema.sql's "login sessions" section.
fn login_sessions(tx: &Transaction) -> Result<()> {
    tx.execute_batch(section(SCHEMA_SQL, "login sessions"))
}

/// Version 4: the usersearch index of version 1 (one FTS5 table keyed by uid plus a name
/// index) or versions 2 and 3 (ranked, but with FTS5's `contentless_delete`, which SQLite 3.40
/// cannot open, so Debian 12's sqlite3 and PHP could not write `accounts`) is replaced by
/// schema.sql's "usersearch index" section, then filled from the accounts.
fn rebuild_search(tx: &Transaction) -> Result<()> {
    tx.execute_batch(
        "DROP TRIGGER IF EXISTS accounts_search_insert;
         DROP TRIGGER IF EXISTS accounts_search_delete;
         DROP TRIGGER IF EXISTS accounts_search_update;
         DROP TABLE IF EXISTS accounts_search;
         DROP TABLE IF EXISTS accounts_search_recent;
         DROP TABLE IF EXISTS search_rank;
         DROP TABLE IF EXISTS search_recent;
         DROP INDEX IF EXISTS accounts_by_name;",
    )?;
    tx.execute_batch(section(SCHEMA_SQL, "usersearch index"))?;
    search::reindex(tx)
}

/// Version 5: `rate_limits` keyed by its bucket name alone (schema.sql's "rate limits"
/// section), keeping the counts it holds.
fn rate_limits_without_rowid(tx: &Transaction) -> Result<()> {
    tx.execute_batch("ALTER TABLE rate_limits RENAME TO rate_limits_before_v5;")?;
    tx.execute_batch(section(SCHEMA_SQL, "rate limits"))?;
    tx.execute_batch(
        "INSERT INTO rate_limits (bucket, window_start, hits)
             SELECT bucket, window_start, hits FROM rate_limits_before_v5;
         DROP TABLE rate_limits_before_v5;",
    )
}

/// The lines of `sql` after the line `-- begin: NAME...` and before `-- end: NAME`; empty
/// if the markers are missing (the unit tests check they are not).
fn section<'a>(sql: &'a str, name: &str) -> &'a str {
    let begin = format!("-- begin: {name}");
    let end = format!("-- end: {name}");
    let Some(marker) = sql.find(&begin) else {
        return "";
    };
    let start = sql[marker..]
        .find('\n')
        .map_or(sql.len(), |i| marker + i + 1);
    let stop = sql[start..].find(&end).map_or(start, |i| start + i);
    &sql[start..stop]
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

/// An in-memory database with the current schema and one account, `amy`, for the unit
/// tests of the stores; returns the connection and the account's uid.
#[cfg(test)]
pub(crate) fn test_db_with_account() -> (Connection, i64) {
    let mut conn = Connection::open_in_memory().unwrap();
    migrate(&mut conn).unwrap();
    conn.execute(
        "INSERT INTO accounts (username, realname) VALUES ('amy', 'Amy')",
        [],
    )
    .unwrap();
    let uid = conn.last_insert_rowid();
    (conn, uid)
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

    /// A version 1 file: today's tables with version 1's usersearch index in place and
    /// without the tables of later versions.
    fn version_1_file() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute_batch(
            "DROP TRIGGER accounts_search_insert; DROP TRIGGER accounts_search_delete;
             DROP TRIGGER accounts_search_update; DROP TABLE accounts_search;
             DROP TABLE search_rank; DROP TABLE accounts_search_recent; DROP TABLE search_recent;
             DROP TABLE login_sessions;
             CREATE INDEX accounts_by_name ON accounts (realname, uid) WHERE deleted = 0;
             CREATE VIRTUAL TABLE accounts_search USING fts5 (username, realname,
                 tokenize = 'trigram case_sensitive 0', content = '', contentless_delete = 1);
             CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts WHEN new.deleted = 0
             BEGIN
                 INSERT INTO accounts_search (rowid, username, realname)
                 VALUES (new.uid, new.username, new.realname);
             END;
             INSERT INTO accounts (username, realname) VALUES ('zed', 'Zed Martin'),
                 ('amy', 'Amy Marsh'), ('bob', 'Bob Stone');
             UPDATE accounts SET deleted = 1 WHERE username = 'bob';
             PRAGMA user_version = 1;",
        )
        .unwrap();
        conn
    }

    #[test]
    fn version_1_file_gets_the_ranked_search_index() {
        let mut conn = version_1_file();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let names = |c: &Connection, q: &str| -> Vec<String> {
            search::users(c, q)
                .unwrap()
                .into_iter()
                .map(|f| f.username)
                .collect()
        };
        assert_eq!(names(&conn, "mar"), ["amy", "zed"]);
        let ranked: i64 = conn
            .query_row("SELECT count(*) FROM search_rank", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ranked, 2, "live accounts are in the ranked part at once");
        // The new triggers are in place.
        conn.execute(
            "INSERT INTO accounts (username, realname) VALUES ('al', 'Al Marx')",
            [],
        )
        .unwrap();
        conn.execute("UPDATE accounts SET deleted = 1 WHERE username = 'zed'", [])
            .unwrap();
        assert_eq!(names(&conn, "mar"), ["al", "amy"]);
        assert!(section(SCHEMA_SQL, "usersearch index").contains("CREATE TABLE search_rank"));
    }

    #[test]
    fn version_3_file_loses_contentless_delete_and_keeps_its_matches() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        // Version 3's index: the same layout, but with the option SQLite 3.40 cannot read.
        let version_3 = section(SCHEMA_SQL, "usersearch index")
            .replace("content = ''", "content = '', contentless_delete = 1");
        conn.execute_batch(&format!(
            "DROP TRIGGER accounts_search_insert; DROP TRIGGER accounts_search_delete;
             DROP TRIGGER accounts_search_update; DROP TABLE accounts_search;
             DROP TABLE search_rank; DROP TABLE accounts_search_recent; DROP TABLE search_recent;
             {version_3}
             INSERT INTO accounts (username, realname) VALUES ('zed', 'Zed Martin'),
                 ('amy', 'Amy Marsh');
             PRAGMA user_version = 3;"
        ))
        .unwrap();
        migrate(&mut conn).unwrap();
        let old_option: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%contentless_delete%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(old_option, 0);
        let names = |c: &Connection| -> Vec<String> {
            search::users(c, "mar")
                .unwrap()
                .into_iter()
                .map(|f| f.username)
                .collect()
        };
        assert_eq!(names(&conn), ["amy", "zed"]);
        conn.execute("DELETE FROM accounts WHERE username = 'amy'", [])
            .unwrap();
        conn.execute(
            "UPDATE accounts SET realname = 'Zed Stone' WHERE username = 'zed'",
            [],
        )
        .unwrap();
        assert!(names(&conn).is_empty());
    }

    #[test]
    fn version_2_file_gets_the_login_sessions_table() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute_batch("DROP TABLE login_sessions; PRAGMA user_version = 2;")
            .unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let indexes: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'login_sessions' AND type = 'index' AND sql IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexes, 2);
    }

    #[test]
    fn version_4_file_keeps_its_rate_limit_counts_without_rowid() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute_batch(
            "DROP TABLE rate_limits;
             CREATE TABLE rate_limits (bucket TEXT PRIMARY KEY, window_start INTEGER NOT NULL,
                 hits INTEGER NOT NULL);
             INSERT INTO rate_limits VALUES ('badkey|10.0.0.1', 1000, 3);
             PRAGMA user_version = 4;",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (sql, hits): (String, i64) = conn
            .query_row(
                "SELECT (SELECT sql FROM sqlite_schema WHERE name = 'rate_limits'),
                        (SELECT hits FROM rate_limits WHERE bucket = 'badkey|10.0.0.1')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert!(sql.ends_with("WITHOUT ROWID"), "{sql}");
        assert_eq!(hits, 3);
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
        assert_eq!(censored, "le…23 (≤16)");
    }
}
