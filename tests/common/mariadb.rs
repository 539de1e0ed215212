//! A private MariaDB server (Debian mariadb-server) for the import tests: its own data
//! directory, a unix socket and no network, like the private nginx. Stopped and removed
//! on drop.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{TempDir, stop, wait_for};

/// The original's schema, as the tests and bench/import.sh create it.
pub const ORIGINAL_SCHEMA: &str = include_str!("../fixtures/original_schema.sql");

/// A running mariadbd.
pub struct MariaDb {
    /// Data directory, socket and logs.
    pub dir: TempDir,
    server: Option<Child>,
}

impl MariaDb {
    /// Initialises a data directory and starts the server on a unix socket.
    pub fn start() -> MariaDb {
        let dir = TempDir::new("mariadb");
        let data = dir.0.join("data");
        // Its own temporary directory: two servers sharing /tmp can pick the same
        // temporary-table file names, and bootstrap then fails on the other's files.
        let tmp = dir.0.join("tmp");
        std::fs::create_dir(&tmp).expect("create the MariaDB tmpdir");
        let install = Command::new("mariadb-install-db")
            .args(["--no-defaults", "--auth-root-authentication-method=normal"])
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .args(user_arg())
            .args(["--skip-test-db", "--skip-name-resolve"])
            .output()
            .expect("run mariadb-install-db (is mariadb-server installed?)");
        assert!(
            install.status.success(),
            "mariadb-install-db: {}{}",
            String::from_utf8_lossy(&install.stdout),
            String::from_utf8_lossy(&install.stderr)
        );
        let server = Command::new("mariadbd")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .arg(format!("--socket={}", dir.0.join("sock").display()))
            .arg(format!("--pid-file={}", dir.0.join("pid").display()))
            .arg(format!("--log-error={}", dir.0.join("error.log").display()))
            .args(user_arg())
            .args([
                "--skip-networking",
                "--innodb-buffer-pool-size=32M",
                "--innodb-log-file-size=16M",
                "--skip-log-bin",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn mariadbd");
        let db = MariaDb {
            dir,
            server: Some(server),
        };
        let sock = db.socket();
        wait_for("mariadbd socket", Duration::from_secs(60), || {
            std::os::unix::net::UnixStream::connect(&sock).is_ok()
        });
        db
    }

    /// The server's unix socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.0.join("sock")
    }

    /// Runs SQL as root in `database` (empty: none) through the `mariadb` client.
    pub fn sql(&self, database: &str, sql: &str) -> String {
        let mut child = Command::new("mariadb")
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket().display()))
            .args(["-uroot", "--batch", "--skip-column-names"])
            .args((!database.is_empty()).then_some(database))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mariadb client");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sql.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "mariadb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Creates `database` with the original's schema and seed rows, and a user `ah` with
    /// password `pw` that may read it.
    pub fn create_original(&self, database: &str) {
        self.sql(
            "",
            &format!(
                "CREATE DATABASE `{database}`;
                 CREATE USER IF NOT EXISTS 'ah'@'localhost' IDENTIFIED BY 'pw';
                 GRANT ALL ON `{database}`.* TO 'ah'@'localhost';"
            ),
        );
        self.sql(database, ORIGINAL_SCHEMA);
    }

    /// `mysqldump` of `database`, as a sysadmin would take it.
    pub fn dump(&self, database: &str) -> String {
        let out = Command::new("mysqldump")
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket().display()))
            .args(["-uroot", database])
            .output()
            .expect("run mysqldump");
        assert!(
            out.status.success(),
            "mysqldump: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The URL `accounthub import` takes for `database` over the socket.
    pub fn url(&self, database: &str) -> String {
        format!(
            "mysql://ah:pw@localhost/{database}?socket={}",
            self.socket().display()
        )
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            stop(server);
        }
    }
}

/// mariadbd refuses to run as root unless told to.
fn user_arg() -> Vec<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { super::libc_geteuid() } == 0 {
        vec!["--user=root".into()]
    } else {
        Vec::new()
    }
}
