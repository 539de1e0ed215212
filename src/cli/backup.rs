//! `accounthub backup FILE` and `accounthub restore FILE`: a consistent copy of the live
//! database while the responder keeps serving, and its way back, each checked before it
//! is trusted.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::ops::holder;
use crate::store::{Db, maintenance, schema};

use super::db_err;

/// Writes a verified copy of the configured database to `dest` (replaced atomically if it
/// exists), without stopping the responder.
pub fn backup(config: &Config, dest: &Path) -> Result<i32, String> {
    let conn = maintenance::open_existing(&config.database)
        .map_err(|e| format!("cannot open {}: {e}", config.database.display()))?;
    let version = maintenance::schema_version(&conn).map_err(db_err)?;
    let partial = sibling(dest, &format!(".partial-{}", std::process::id()));
    let _ = std::fs::remove_file(&partial);
    let written = maintenance::vacuum_into(&conn, &partial)
        .map_err(|e| format!("cannot write {}: {e}", partial.display()))
        .and_then(|()| verify(&partial, Some(version)))
        .and_then(|()| sync_and_rename(&partial, dest));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let bytes = std::fs::metadata(dest).map_or(0, |m| m.len());
    println!(
        "backup written: {} ({bytes} bytes, schema version {version}, integrity ok)",
        dest.display()
    );
    Ok(0)
}

/// Replaces the configured database with the backup `src` once the backup passed its
/// checks and no responder holds the database.
pub fn restore(config: &Config, src: &Path) -> Result<i32, String> {
    verify(src, None)?;
    let target = &config.database;
    let _lock = if target.exists() {
        match holder::try_exclusive(target)? {
            Some(lock) => Some(lock),
            None => return Err(in_use(target)),
        }
    } else {
        None
    };
    let source = maintenance::open_read_only(src).map_err(db_err)?;
    let mut dest = if target.exists() {
        maintenance::open_existing(target)
    } else {
        rusqlite::Connection::open(target)
    }
    .map_err(|e| format!("cannot open {}: {e}", target.display()))?;
    maintenance::copy_all(&source, &mut dest)
        .map_err(|e| format!("cannot copy into {}: {e}", target.display()))?;
    drop((source, dest));
    // Brings an older backup up to this binary's schema, like any open.
    drop(Db::open(target).map_err(db_err)?);
    verify(target, Some(schema::SCHEMA_VERSION))?;
    println!("restored {} from {}", target.display(), src.display());
    Ok(0)
}

/// Checks that `path` is a sound accounthub database: integrity, foreign keys, tables, and
/// a schema version this binary can use (`expected`, else any it can migrate from).
fn verify(path: &Path, expected: Option<i64>) -> Result<(), String> {
    let named = |e: rusqlite::Error| format!("{}: {e}", path.display());
    let conn = maintenance::open_read_only(path).map_err(named)?;
    let problems = maintenance::integrity_problems(&conn).map_err(named)?;
    if let Some(first) = problems.first() {
        return Err(format!(
            "{}: integrity check failed: {first}",
            path.display()
        ));
    }
    if let Some(first) = maintenance::foreign_key_problems(&conn)
        .map_err(named)?
        .first()
    {
        return Err(format!(
            "{}: foreign key check failed: {first}",
            path.display()
        ));
    }
    if !maintenance::has_accounthub_tables(&conn).map_err(named)? {
        return Err(format!("{} is not an accounthub database", path.display()));
    }
    let version = maintenance::schema_version(&conn).map_err(named)?;
    let usable = match expected {
        Some(v) => version == v,
        None => (1..=schema::SCHEMA_VERSION).contains(&version),
    };
    if !usable {
        return Err(format!(
            "{} has schema version {version}; this binary uses version {}",
            path.display(),
            schema::SCHEMA_VERSION
        ));
    }
    Ok(())
}

/// The refusal of a restore while the database is held, naming what to stop.
fn in_use(db: &Path) -> String {
    let users = holder::processes_using(db);
    let who = if users.is_empty() {
        String::new()
    } else {
        format!(" (held by pid {})", users.join(", pid "))
    };
    format!(
        "{} is in use by a running accounthub responder{who}; stop it first \
         (systemd: systemctl stop accounthub.socket accounthub.service; spawn-fcgi or \
         Apache: stop that service), run restore again, then start it",
        db.display()
    )
}

/// Flushes `partial` to disk and moves it over `dest`, so a crash leaves either the old
/// file or the complete new one.
fn sync_and_rename(partial: &Path, dest: &Path) -> Result<(), String> {
    let io = |e: std::io::Error| format!("cannot write {}: {e}", dest.display());
    std::fs::File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    std::fs::rename(partial, dest).map_err(io)?;
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    Ok(())
}

/// `path` with `suffix` appended to its file name (same directory, so rename is atomic).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}
