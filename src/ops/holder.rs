//! Who holds the database: a running responder keeps a shared `flock` on the SQLite file
//! for its whole life, so `restore` can refuse with one exclusive try instead of guessing.
//! SQLite itself uses POSIX record locks, which on Linux are independent of `flock`, so
//! this lock never interferes with SQLite's own locking.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

/// An open descriptor on the database file carrying a `flock`; released when dropped.
/// Drop it only after every SQLite connection of the process to that file is closed:
/// closing any descriptor of a file drops the process's POSIX locks on it.
pub struct FileLock {
    _file: File,
}

/// Takes the responder's shared lock on `db`; fails while a restore holds it exclusively.
pub fn hold_shared(db: &Path) -> Result<FileLock, String> {
    match lock(db, libc::LOCK_SH)? {
        Some(lock) => Ok(lock),
        None => Err(format!(
            "{} is being restored; start the responder again when the restore is done",
            db.display()
        )),
    }
}

/// Takes the exclusive lock on `db` if no responder holds it (`None` if one does).
pub fn try_exclusive(db: &Path) -> Result<Option<FileLock>, String> {
    lock(db, libc::LOCK_EX)
}

fn lock(db: &Path, kind: libc::c_int) -> Result<Option<FileLock>, String> {
    let file = File::open(db).map_err(|e| format!("cannot open {}: {e}", db.display()))?;
    // SAFETY: flock only reads the descriptor, which `file` keeps open.
    let rc = unsafe { libc::flock(file.as_raw_fd(), kind | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(Some(FileLock { _file: file }));
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(None)
    } else {
        Err(format!("cannot lock {}: {err}", db.display()))
    }
}

/// Processes other than this one that have `db` open, as `pid (command line)`, read from
/// /proc (complete when run as root or as the service user).
pub fn processes_using(db: &Path) -> Vec<String> {
    let Ok(target) = std::fs::canonicalize(db) else {
        return Vec::new();
    };
    let me = std::process::id().to_string();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in procs.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|p| p == target));
        if holds {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            found.push(format!("{pid} ({})", cmdline.trim()));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_holder_blocks_the_exclusive_try() {
        let path = std::env::temp_dir().join(format!("ah-holder-{}", std::process::id()));
        std::fs::write(&path, b"x").unwrap();
        let shared = hold_shared(&path).unwrap();
        assert!(try_exclusive(&path).unwrap().is_none());
        drop(shared);
        let exclusive = try_exclusive(&path).unwrap();
        assert!(exclusive.is_some());
        assert!(hold_shared(&path).is_err());
        drop(exclusive);
        std::fs::remove_file(path).unwrap();
    }
}
