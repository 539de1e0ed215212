//! The SQLite store: every SQL statement of the service lives in this folder, one file per
//! table family. Connections come from a small pool; writes use IMMEDIATE transactions so
//! concurrent writers (threads or CGI processes) queue on the busy timeout instead of failing.

pub mod accounts;
pub mod apikeys;
pub mod apppasswords;
pub mod authlog;
pub mod directory;
pub mod maintenance;
pub mod mobile_codes;
pub mod notifications;
pub mod outbox;
pub mod ratelimit;
pub mod schema;
pub mod search;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, TryLockError};
use std::time::Duration;

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
    pool: Mutex<Vec<Connection>>,
    /// Taken for the length of each `write`: this process's writers queue here in order
    /// instead of in SQLite's busy handler, whose sleeps (1, 2, 5, 10... ms) would otherwise
    /// become the latency tail of every write-heavy action under load. Other processes
    /// (CGI, the admin CLI) still meet the busy timeout.
    write_turn: Mutex<()>,
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
            pool: Mutex::new(vec![conn]),
            write_turn: Mutex::new(()),
        })
    }

    /// Path of the SQLite file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with a pooled connection (reads, or single-statement writes).
    pub fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.take()?;
        let out = f(&conn);
        self.give_back(conn);
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
                off_async_worker(|| self.write_turn.lock().unwrap_or_else(|p| p.into_inner()))
            }
        };
        let mut conn = self.take()?;
        let out = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        self.give_back(conn);
        out
    }

    fn take(&self) -> Result<Connection> {
        let pooled = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(conn) => Ok(conn),
            None => open_connection(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < POOL_KEEP {
            pool.push(conn);
        }
    }
}

/// Runs `f`, which may wait a while, without stalling the responder: on an async worker of
/// the multi-threaded runtime (light actions run inline there) the worker's other tasks
/// are first handed to another thread; anywhere else `f` simply runs. A long write such as
/// a Maian batch or a reindex then never freezes `ping` and the other inline requests.
fn off_async_worker<T>(f: impl FnOnce() -> T) -> T {
    let multi_threaded = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_threaded {
        tokio::task::block_in_place(f)
    } else {
        f()
    }
}

/// Opens one connection with the per-connection settings the service relies on.
fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, mpsc};
    use std::time::{Duration, Instant};

    #[test]
    fn a_writer_waiting_for_its_turn_does_not_freeze_the_async_worker() {
        let dir = std::env::temp_dir().join(format!("accounthub-turn-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = Arc::new(Db::open(&dir.join("turn.sqlite")).unwrap());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_time()
            .build()
            .unwrap();
        // A long write (a Maian batch, a reindex) holds the turn for half a second.
        let (held, holding) = mpsc::channel();
        let holder = {
            let db = db.clone();
            std::thread::spawn(move || {
                db.write(|_| {
                    held.send(()).unwrap();
                    std::thread::sleep(Duration::from_millis(500));
                    Ok::<_, rusqlite::Error>(Instant::now())
                })
                .unwrap()
            })
        };
        holding.recv().unwrap();
        let (other_done, waiter_done) = runtime.block_on(async {
            let waiter_db = db.clone();
            // An inline writer on the runtime's only worker waits for its turn...
            let waiter = tokio::spawn(async move {
                waiter_db.write(|_| Ok::<_, rusqlite::Error>(())).unwrap();
                Instant::now()
            });
            // ...while another task must still get to run.
            let other = tokio::spawn(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Instant::now()
            });
            (other.await.unwrap(), waiter.await.unwrap())
        });
        let released = holder.join().unwrap();
        assert!(
            other_done < released,
            "the worker was frozen by the waiting writer"
        );
        assert!(waiter_done >= released);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
