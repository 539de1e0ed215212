//! `accounthub check`: everything a sysadmin would otherwise find out from a failing
//! service. The config file (every unknown key and bad value, with its line), the database
//! (integrity, foreign keys, schema version), the permissions the service user needs on
//! the database directory and socket, and with `--smtp` the mail server. One line per
//! problem on stdout; exit 1 if there is any.

use std::ffi::CString;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::store::{maintenance, schema};

use super::check_config;

/// Runs every check; `user` is the account the service runs as (default: the caller).
pub fn run(config_path: Option<&Path>, user: Option<&str>, smtp: bool) -> Result<i32, String> {
    let mut problems = Vec::new();
    let config = match Config::locate(config_path) {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => {
                let (found, config) = check_config::problems(&path, &text);
                problems.extend(found);
                config
            }
            Err(e) => {
                problems.push(format!("{}: cannot read: {e}", path.display()));
                None
            }
        },
        None => Some(Config::default()),
    };
    if let Some(config) = &config {
        let who = Who::resolve(user)?;
        problems.extend(database(&config.database));
        problems.extend(permissions(config, &who));
        if smtp {
            problems.extend(mail_server(config));
        }
    }
    for problem in &problems {
        println!("{problem}");
    }
    if problems.is_empty() {
        println!("accounthub check: no problems");
        Ok(0)
    } else {
        eprintln!("accounthub check: {} problem(s)", problems.len());
        Ok(1)
    }
}

/// Integrity, foreign keys and schema version of the database file.
fn database(db: &Path) -> Vec<String> {
    let name = db.display();
    if !db.exists() {
        return vec![format!(
            "{name}: database does not exist (accounthub init creates it)"
        )];
    }
    let conn = match maintenance::open_read_only(db) {
        Ok(conn) => conn,
        Err(e) => return vec![format!("{name}: cannot open: {e}")],
    };
    let mut out = Vec::new();
    match maintenance::integrity_problems(&conn) {
        Ok(found) => out.extend(found.into_iter().map(|p| format!("{name}: integrity: {p}"))),
        Err(e) => return vec![format!("{name}: integrity check failed: {e}")],
    }
    match maintenance::foreign_key_problems(&conn) {
        Ok(found) => out.extend(
            found
                .into_iter()
                .map(|p| format!("{name}: foreign key: {p}")),
        ),
        Err(e) => out.push(format!("{name}: foreign key check failed: {e}")),
    }
    match maintenance::has_accounthub_tables(&conn) {
        Ok(true) => {}
        Ok(false) => out.push(format!("{name}: not an accounthub database")),
        Err(e) => out.push(format!("{name}: {e}")),
    }
    match maintenance::schema_version(&conn) {
        Ok(v) if v == schema::SCHEMA_VERSION => {}
        Ok(v) if v < schema::SCHEMA_VERSION => out.push(format!(
            "{name}: schema version {v}, this binary uses {} (accounthub init upgrades it)",
            schema::SCHEMA_VERSION
        )),
        Ok(v) => out.push(format!(
            "{name}: schema version {v} is newer than this binary's {}",
            schema::SCHEMA_VERSION
        )),
        Err(e) => out.push(format!("{name}: {e}")),
    }
    out
}

/// The account whose access is checked: uid and all its group ids.
struct Who {
    name: String,
    uid: u32,
    gids: Vec<u32>,
}

impl Who {
    /// The named account, or the caller.
    fn resolve(user: Option<&str>) -> Result<Who, String> {
        match user {
            Some(name) => {
                let c = CString::new(name).map_err(|_| format!("bad user name {name:?}"))?;
                // SAFETY: getpwnam reads a NUL-terminated name; the returned record is
                // copied out before any other passwd call.
                let pw = unsafe { libc::getpwnam(c.as_ptr()) };
                if pw.is_null() {
                    return Err(format!("no user {name:?} on this system"));
                }
                // SAFETY: pw is non-null and points to getpwnam's static record.
                let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
                Ok(Who {
                    name: name.to_string(),
                    uid,
                    gids: group_list(&c, gid),
                })
            }
            None => {
                // SAFETY: these calls have no preconditions; getgroups gets a buffer of
                // the size it reported.
                let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
                let mut gids = vec![gid];
                unsafe {
                    let n = libc::getgroups(0, std::ptr::null_mut());
                    let mut more = vec![0; n.max(0) as usize];
                    let n = libc::getgroups(n, more.as_mut_ptr());
                    more.truncate(n.max(0) as usize);
                    gids.extend(more);
                }
                Ok(Who {
                    name: format!("uid {uid}"),
                    uid,
                    gids,
                })
            }
        }
    }

    /// Whether the mode bits of `meta` grant this account every bit of `want` (octal
    /// 4 = read, 2 = write, 1 = search/execute). ACLs are not considered.
    fn may(&self, meta: &std::fs::Metadata, want: u32) -> bool {
        if self.uid == 0 {
            return true;
        }
        let mode = meta.mode();
        let granted = if meta.uid() == self.uid {
            mode >> 6
        } else if self.gids.contains(&meta.gid()) {
            mode >> 3
        } else {
            mode
        } & 0o7;
        granted & want == want
    }
}

fn group_list(name: &CString, gid: u32) -> Vec<u32> {
    let mut n: libc::c_int = 64;
    let mut groups = vec![0 as libc::gid_t; n as usize];
    // SAFETY: the buffer holds `n` entries, as getgrouplist is told.
    let rc = unsafe { libc::getgrouplist(name.as_ptr(), gid, groups.as_mut_ptr(), &mut n) };
    groups.truncate(if rc < 0 { 0 } else { n as usize });
    groups.push(gid);
    groups
}

/// What the service user needs: write and search on the database directory (SQLite makes
/// its -wal and -shm files there), read and write on the database and those files, and
/// write on the unix socket (or its directory, when `serve --listen` creates it).
fn permissions(config: &Config, who: &Who) -> Vec<String> {
    let dir = match config.database.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut out: Vec<String> = need(who, &dir, 0o3, "write and search")
        .into_iter()
        .collect();
    for suffix in ["", "-wal", "-shm"] {
        let mut name = config.database.clone().into_os_string();
        name.push(suffix);
        out.extend(need(who, Path::new(&name), 0o6, "read and write"));
    }
    if let Some(socket) = config.server.listen.strip_prefix("unix:") {
        let socket = Path::new(socket);
        match std::fs::metadata(socket) {
            Ok(meta) if !meta.file_type().is_socket() => {
                out.push(format!("{}: exists and is not a socket", socket.display()));
            }
            Ok(_) => out.extend(need(who, socket, 0o2, "write")),
            // Not there yet: `serve --listen` would create it in its directory (systemd's
            // socket unit makes both itself).
            Err(_) => {
                if let Some(parent) = socket.parent() {
                    out.extend(need(who, parent, 0o3, "write and search"));
                }
            }
        }
    }
    out
}

/// The problem if `who` lacks the `want` bits on an existing `path` (missing is fine).
fn need(who: &Who, path: &Path, want: u32, what: &str) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(meta) if !who.may(&meta, want) => Some(format!(
            "{}: {} needs {what} permission",
            path.display(),
            who.name
        )),
        Ok(_) => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(format!("{}: {e}", path.display())),
    }
}

/// Connects to the configured SMTP server and says EHLO (and STARTTLS / AUTH as set).
fn mail_server(config: &Config) -> Vec<String> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return vec![format!("smtp: cannot start runtime: {e}")],
    };
    match runtime.block_on(crate::mail::smtp::probe(&config.mail)) {
        Ok(()) => Vec::new(),
        Err(e) => vec![format!(
            "smtp {}:{}: {e}",
            config.mail.host, config.mail.port
        )],
    }
}
