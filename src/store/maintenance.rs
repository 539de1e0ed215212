//! SQL of the operator's tools: consistent copies (backup, restore), the integrity checks
//! that vouch for a file before and after such a copy, and the cheap probe behind `/health`.

use std::path::Path;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use super::Result;

/// Writes a consistent, compacted copy of the database to `dest` (which must not exist).
/// `VACUUM INTO` reads inside one transaction, so the copy holds exactly the writes
/// committed before it started, even while other connections keep writing.
pub fn vacuum_into(conn: &Connection, dest: &Path) -> Result<()> {
    let dest = dest
        .to_str()
        .ok_or_else(|| rusqlite::Error::InvalidPath(dest.to_path_buf()))?;
    conn.execute("VACUUM INTO ?1", [dest])?;
    Ok(())
}

/// Replaces every page of `dst` with the pages of `src` through SQLite's online backup
/// API, in one step: the copy happens under `dst`'s own locks, so other processes that
/// have the file open (CGI requests, sqlite3) see either the old or the new content.
pub fn copy_all(src: &Connection, dst: &mut Connection) -> Result<()> {
    let backup = Backup::new(src, dst)?;
    backup.step(-1)?;
    Ok(())
}

/// Opens an existing file without creating it and without changing it.
pub fn open_read_only(path: &Path) -> Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// Opens an existing file for writing without creating it (a missing file is an error,
/// not a new empty database).
pub fn open_existing(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    Ok(conn)
}

/// The problems `PRAGMA integrity_check` reports; empty when the file is sound.
pub fn integrity_problems(conn: &Connection) -> Result<Vec<String>> {
    let rows: Vec<String> = conn
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_>>()?;
    Ok(rows.into_iter().filter(|r| r != "ok").collect())
}

/// Rows whose foreign key points nowhere, as `table rowid N: no parent in P`.
pub fn foreign_key_problems(conn: &Connection) -> Result<Vec<String>> {
    conn.prepare("PRAGMA foreign_key_check")?
        .query_map([], |r| {
            let table: String = r.get(0)?;
            let rowid: Option<i64> = r.get(1)?;
            let parent: String = r.get(2)?;
            Ok(format!(
                "{table} rowid {}: no parent in {parent}",
                rowid.map_or("-".into(), |n| n.to_string())
            ))
        })?
        .collect()
}

/// The schema version stored in the file (`PRAGMA user_version`).
pub fn schema_version(conn: &Connection) -> Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// True if the file has the tables of an accounthub database (not just any SQLite file).
pub fn has_accounthub_tables(conn: &Connection) -> Result<bool> {
    let found: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_schema
         WHERE type = 'table' AND name IN ('accounts', 'apikeys', 'authlog')",
        [],
        |r| r.get(0),
    )?;
    Ok(found == 3)
}

/// Outbox backlog for health and metrics: (queued, failed) messages.
pub fn outbox_backlog(conn: &Connection) -> Result<(i64, i64)> {
    conn.prepare_cached(
        "SELECT coalesce(sum(failed = 0), 0), coalesce(sum(failed <> 0), 0)
         FROM mail_outbox WHERE sent IS NULL",
    )?
    .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    fn temp(tag: &str) -> std::path::PathBuf {
        crate::test_dir(&format!("maint-{tag}"))
    }

    #[test]
    fn a_copy_holds_the_rows_and_passes_the_checks() {
        let dir = temp("copy");
        let mut conn = Connection::open(dir.join("a.sqlite")).unwrap();
        schema::migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO accounts (username, realname) VALUES ('amy', 'Amy')",
            [],
        )
        .unwrap();
        vacuum_into(&conn, &dir.join("b.sqlite")).unwrap();
        let copy = open_read_only(&dir.join("b.sqlite")).unwrap();
        assert!(integrity_problems(&copy).unwrap().is_empty());
        assert!(foreign_key_problems(&copy).unwrap().is_empty());
        assert!(has_accounthub_tables(&copy).unwrap());
        assert_eq!(schema_version(&copy).unwrap(), schema::SCHEMA_VERSION);
        let n: i64 = copy
            .query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        let mut target = Connection::open(dir.join("c.sqlite")).unwrap();
        copy_all(&copy, &mut target).unwrap();
        assert!(has_accounthub_tables(&target).unwrap());
        assert_eq!(outbox_backlog(&target).unwrap(), (0, 0));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
