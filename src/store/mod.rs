//! The SQLite store: every SQL statement of the service lives in this folder, one file per
//! table family. Connections come from a small pool; writes use IMMEDIATE transactions so
//! concurrent writers (threads or CGI processes) queue on the busy timeout instead of failing.

pub mod accounts;
pub mod apikeys;
pub mod apppasswords;
pub mod authlog;
pub mod directory;
pub mod hash_costs;
pub mod import;
pub mod loginkeys;
pub mod maintenance;
pub mod mobile_codes;
pub mod notifications;
pub mod onetimekeys;
pub mod outbox;
pub mod ratelimit;
pub mod schema;
pub mod search;
pub mod sessions;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, TryLockError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, Transaction, TransactionBehavior};

/// Errors of the store: SQLite's, or a schema that this binary cannot use.
pub type Result<T> = std::result::Result<T, rusqlite::Error>;

/// How long a statement waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections kept open for reuse; more are opened under load and dropped afterwards.
const POOL_KEEP: usize = 16;

/// The database: a path and a pool of open connections to it.
pub struct Db {
    path: PathBuf,
    pool: Mutex<Vec<Pooled>>,
    /// Taken for the length of each `write`: this process's writers queue here in order
    /// instead of in SQLite's busy handler, whose sleeps (1, 2, 5, 10... ms) would otherwise
    /// become the latency tail of every write-heavy action under load. Other processes
    /// (CGI, the admin CLI) still meet the busy timeout.
    write_turn: Mutex<()>,
    /// How a writer waits when the turn is taken: given by the face (the FastCGI face first
    /// hands its async worker's other tasks to another thread); by default it just waits.
    turn_wait: TurnWait,
}

/// Runs the given wait (which may take a while) the way the running face needs; see
/// `Db::set_turn_wait`.
pub type TurnWait = fn(&mut dyn FnMut());

fn wait_here(wait: &mut dyn FnMut()) {
    wait()
}

/// One pooled connection with what it remembers between uses.
struct Pooled {
    conn: Connection,
    keys: apikeys::KeyCache,
}

impl Pooled {
    fn new(conn: Connection) -> Pooled {
        Pooled {
            conn,
            keys: apikeys::KeyCache::default(),
        }
    }
}

impl Db {
    /// Opens (creating if needed) the file and brings its schema and search index up to date.
    pub fn open(path: &Path) -> Result<Db> {
        let mut conn = open_connection(path)?;
        schema::migrate(&mut conn)?;
        if search::reindex_due(&conn)? {
            // Accounts written by another tool; re-checked under the write lock.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            search::upkeep(&tx)?;
            tx.commit()?;
        }
        Ok(Db {
            path: path.to_path_buf(),
            pool: Mutex::new(vec![Pooled::new(conn)]),
            write_turn: Mutex::new(()),
            turn_wait: wait_here,
        })
    }

    /// Sets how a writer waits for its turn, so that a face whose threads serve many
    /// requests (the FastCGI responder) keeps them moving while one writer waits.
    pub fn set_turn_wait(&mut self, turn_wait: TurnWait) {
        self.turn_wait = turn_wait;
    }

    /// Path of the SQLite file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with a pooled connection (reads, or single-statement writes).
    pub fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.take()?;
        let out = f(&pooled.conn);
        self.give_back(pooled);
        out
    }

    /// The API key whose digest matches `presented`, if any. Keys found are remembered
    /// per connection and trusted only while nothing changed the file since (checked on
    /// every call: any other connection's commit, in any process, or a change through this
    /// one), so a revoked key stops working with the next request.
    pub fn api_key(&self, presented: &str) -> Result<Option<apikeys::StoredKey>> {
        let mut pooled = self.take()?;
        let Pooled { conn, keys } = &mut pooled;
        let out = keys.find(conn, presented);
        self.give_back(pooled);
        out
    }

    /// Runs `f` inside one IMMEDIATE transaction, committed when `f` returns `Ok`.
    /// The closure's own error type lets callers abort with a domain error and roll back.
    /// `f` must not call `write` again (this process's writers take turns).
    pub fn write<T, E: From<rusqlite::Error>>(
        &self,
        f: impl FnOnce(&Transaction) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let _turn = match self.write_turn.try_lock() {
            Ok(turn) => turn,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                crate::metrics::db_waited();
                let mut turn = None;
                (self.turn_wait)(&mut || {
                    turn = Some(self.write_turn.lock().unwrap_or_else(|p| p.into_inner()));
                });
                match turn {
                    Some(turn) => turn,
                    None => self.write_turn.lock().unwrap_or_else(|p| p.into_inner()),
                }
            }
        };
        let mut pooled = self.take()?;
        let out = (|| {
            let tx = pooled
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        self.give_back(pooled);
        out
    }

    fn take(&self) -> Result<Pooled> {
        let pooled = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(pooled) => Ok(pooled),
            None => open_connection(&self.path).map(Pooled::new),
        }
    }

    fn give_back(&self, pooled: Pooled) {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < POOL_KEEP {
            pool.push(pooled);
        }
    }
}

/// Opens one connection with the per-connection settings the service relies on.
fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Plans that do not depend on bound values: otherwise SQLite may compile a cached
    // statement again whenever a parameter changes (it did for `uid = ?1 ORDER BY ...`),
    // which cost more than running it.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_statements_are_not_compiled_again_for_new_values() {
        let dir = crate::test_dir("qpsg");
        let db = Db::open(&dir.join("qpsg.sqlite")).unwrap();
        let reprepared = db
            .with(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT hash FROM apppasswords WHERE uid = ?1 ORDER BY passid",
                )?;
                for uid in 1..=5 {
                    stmt.query_map([uid], |r| r.get::<_, String>(0))?
                        .collect::<Result<Vec<_>>>()?;
                }
                Ok(stmt.get_status(rusqlite::StatementStatus::RePrepare))
            })
            .unwrap();
        assert_eq!(reprepared, 0);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
