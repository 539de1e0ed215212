//! Shared integration-test harness: a private nginx (Debian nginx-light) on a loopback
//! port, configured from the shipped `nginx.conf.example`, in front of the real
//! `accounthub serve` over FastCGI on a unix socket, with a real SQLite file.
//! Each `Service` lives in its own temporary directory and is torn down on drop.

#![allow(dead_code)] // each test binary uses its own subset of the harness

pub mod apache;
pub mod fcgi;
pub mod http;
pub mod web;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub use http::HttpResponse;
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_accounthub");

/// Service prefix used by the shipped nginx.conf.example.
pub const PREFIX: &str = "/accounthub/";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates a unique directory under the system temp dir.
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("ah-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Options for starting a service.
#[derive(Clone)]
pub struct Options {
    /// Extra TOML appended to the generated config (sections allowed).
    pub extra_config: String,
    /// Top-level TOML keys placed before any section.
    pub top_config: String,
    /// Service prefix in nginx (`/accounthub/` as shipped, or `/`).
    pub prefix: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            extra_config: String::new(),
            top_config: String::new(),
            prefix: PREFIX.into(),
        }
    }
}

/// A running nginx + accounthub pair with one key of each type.
pub struct Service {
    /// Working directory (config, database, sockets, logs).
    pub dir: TempDir,
    /// nginx loopback port.
    pub port: u16,
    /// Service prefix.
    pub prefix: String,
    /// Keys by type name: NONE, AUTH, READ, FULL.
    pub keys: HashMap<&'static str, String>,
    responder: Option<Child>,
    nginx: Option<Child>,
    /// Other processes serving this service (web servers, spawn-fcgi), stopped on drop.
    adopted: Vec<Child>,
}

/// A free loopback TCP port (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `check` holds or panics after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Service {
    /// Starts with the shipped defaults (low PBKDF2 rounds so debug builds stay quick).
    pub fn start() -> Service {
        Service::start_with(Options::default())
    }

    /// Starts nginx + responder with the given options.
    pub fn start_with(opts: Options) -> Service {
        let mut service = Service::prepare(opts);
        service.start_responder();
        service.start_nginx();
        service
    }

    /// Writes the config, creates the database and one key of each type, and starts
    /// nothing: the caller puts a responder and a web server (on `port`) in front.
    pub fn prepare(opts: Options) -> Service {
        let dir = TempDir::new("svc");
        let port = free_port();
        let config = format!(
            "database = \"{db}\"\npublic_url = \"http://127.0.0.1:{port}{prefix}\"\n{top}\n\
             [server]\nlog_level = \"warn\"\nsocket_mode = \"0666\"\n\
             [passwords]\npbkdf2_rounds = 1000\n{extra}\n",
            db = dir.0.join("accounthub.sqlite").display(),
            prefix = opts.prefix,
            top = opts.top_config,
            extra = opts.extra_config,
        );
        std::fs::write(dir.0.join("accounthub.toml"), config).unwrap();
        let mut service = Service {
            dir,
            port,
            prefix: opts.prefix.clone(),
            keys: HashMap::new(),
            responder: None,
            nginx: None,
            adopted: Vec::new(),
        };
        service.cli_ok(&["init"]);
        for t in ["NONE", "AUTH", "READ", "FULL"] {
            let out = service.cli_ok(&["key", "add", "--type", t, "--notes", "test"]);
            service.keys.insert(t, out.trim().to_string());
        }
        service
    }

    /// Hands a process serving this service to it: stopped when the service drops.
    pub fn adopt(&mut self, child: Child) {
        self.adopted.push(child);
    }

    /// Path of a file in the service directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.0.join(name)
    }

    /// The responder's unix socket.
    pub fn socket(&self) -> PathBuf {
        self.path("fcgi.sock")
    }

    /// Starts (or restarts) the responder on the unix socket.
    pub fn start_responder(&mut self) {
        let _ = std::fs::remove_file(self.socket());
        let log = std::fs::File::create(self.path("responder.log")).unwrap();
        let child = Command::new(BIN)
            .arg("--config")
            .arg(self.path("accounthub.toml"))
            .arg("serve")
            .arg("--listen")
            .arg(format!("unix:{}", self.socket().display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn responder");
        self.responder = Some(child);
        let sock = self.socket();
        wait_for("responder socket", Duration::from_secs(20), || {
            std::os::unix::net::UnixStream::connect(&sock).is_ok()
        });
    }

    /// The responder's process id.
    pub fn responder_pid(&self) -> u32 {
        self.responder.as_ref().expect("responder running").id()
    }

    /// Takes the responder process out of the service (the test manages it).
    pub fn take_responder(&mut self) -> Child {
        self.responder.take().expect("responder running")
    }

    /// Starts nginx on `port` from the shipped nginx.conf.example, passing to `socket()`.
    pub fn start_nginx(&mut self) {
        let shipped =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/nginx.conf.example"))
                .expect("read nginx.conf.example");
        let site = shipped
            .replace(
                "unix:/run/accounthub/accounthub.sock",
                &format!("unix:{}", self.socket().display()),
            )
            .replace("listen 80;", &format!("listen 127.0.0.1:{};", self.port))
            .replace("/accounthub/", &self.prefix);
        std::fs::write(self.path("site.conf"), site).unwrap();
        let d = self.dir.0.display();
        // SAFETY: geteuid has no preconditions.
        let as_root = unsafe { libc_geteuid() } == 0;
        let main = format!(
            "{user}worker_processes 2;\npid {d}/nginx.pid;\nerror_log {d}/nginx-error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/client_tmp;\n  \
             fastcgi_temp_path {d}/fastcgi_tmp;\n  proxy_temp_path {d}/proxy_tmp;\n  \
             uwsgi_temp_path {d}/uwsgi_tmp;\n  scgi_temp_path {d}/scgi_tmp;\n  \
             include {d}/site.conf;\n}}\n",
            user = if as_root { "user root;\n" } else { "" },
        );
        std::fs::write(self.path("nginx.conf"), main).unwrap();
        let child = Command::new(nginx_binary())
            .arg("-e")
            .arg(self.path("nginx-error.log"))
            .arg("-p")
            .arg(&self.dir.0)
            .arg("-c")
            .arg(self.path("nginx.conf"))
            .arg("-g")
            .arg("daemon off;")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nginx (is nginx-light installed?)");
        self.nginx = Some(child);
        let errlog = self.path("nginx-error.log");
        let nginx = self.nginx.as_mut().unwrap();
        wait_for_port("nginx", nginx, self.port, &errlog);
    }

    /// Runs an admin command against this service's config.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(BIN)
            .arg("--config")
            .arg(self.path("accounthub.toml"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cli");
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    }

    /// Runs an admin command that must succeed; returns its stdout.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        self.cli_ok_stdin(args, None)
    }

    /// Like `cli_ok`, feeding `stdin`.
    pub fn cli_ok_stdin(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.cli(args, stdin);
        assert!(
            out.status.success(),
            "accounthub {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Creates a NORMAL user with the given password; returns its uid.
    pub fn add_user(&self, username: &str, name: &str, email: &str, password: &str) -> i64 {
        let out = self.cli_ok_stdin(
            &[
                "user",
                "add",
                username,
                "--name",
                name,
                "--email",
                email,
                "--password-stdin",
            ],
            Some(&format!("{password}\n")),
        );
        let uid = out
            .split("(uid ")
            .nth(1)
            .and_then(|s| s.split(')').next())
            .expect("uid in output");
        uid.parse().unwrap()
    }

    /// Opens the SQLite file directly (for assertions on stored state).
    pub fn db(&self) -> rusqlite::Connection {
        let c = rusqlite::Connection::open(self.path("accounthub.sqlite")).unwrap();
        c.busy_timeout(Duration::from_secs(10)).unwrap();
        c
    }

    /// A full URL path under the service prefix.
    pub fn url(&self, rest: &str) -> String {
        format!("{}{}", self.prefix, rest)
    }

    /// Raw HTTP request through nginx.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpResponse {
        http::request(self.port, method, path.as_bytes(), headers, body)
    }

    /// Form POST to `<prefix>api/` with `action`, `key` and the args (what Guzzle clients send).
    pub fn form(&self, action: &str, key: &str, args: &[(&str, &str)]) -> HttpResponse {
        self.form_to("api/", action, key, args)
    }

    /// Form POST to `<prefix><rest>` (e.g. `api.php`) with `action`, `key` and the args.
    pub fn form_to(
        &self,
        rest: &str,
        action: &str,
        key: &str,
        args: &[(&str, &str)],
    ) -> HttpResponse {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        ser.append_pair("action", action).append_pair("key", key);
        for (k, v) in args {
            ser.append_pair(k, v);
        }
        let body = ser.finish();
        self.request(
            "POST",
            &self.url(rest),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    }

    /// JSON POST to `<prefix>api/` (what the BinStack-family clients send).
    pub fn json(&self, body: &Value) -> HttpResponse {
        self.request(
            "POST",
            &self.url("api/"),
            &[
                ("Content-Type", "application/json"),
                ("Accept", "application/json"),
            ],
            body.to_string().as_bytes(),
        )
    }

    /// Calls an action with a key of the given type (form POST) and returns the JSON,
    /// asserting HTTP 200.
    pub fn call(&self, key_type: &str, action: &str, args: &[(&str, &str)]) -> Value {
        let r = self.form(action, &self.keys[key_type], args);
        assert_eq!(r.status, 200, "{action} {args:?}: {}", r.text());
        r.json()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let servers = [self.nginx.take(), self.responder.take()];
        for child in servers.into_iter().flatten().chain(self.adopted.drain(..)) {
            stop(child);
        }
    }
}

/// Waits until `server` accepts on the loopback `port`; panics with its error `log` if it
/// exits first.
pub fn wait_for_port(what: &str, server: &mut Child, port: u16, log: &Path) {
    wait_for(&format!("{what} port"), Duration::from_secs(20), || {
        if let Ok(Some(status)) = server.try_wait() {
            panic!(
                "{what} exited {status}: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
}

/// Sends SIGTERM and waits (SIGKILL after 15 s).
pub fn stop(mut child: Child) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc_kill(child.id() as i32, 15) };
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Sends a signal to a process.
pub fn signal(pid: u32, sig: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc_kill(pid as i32, sig) };
}

fn nginx_binary() -> &'static str {
    if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    }
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}
