//! The long-lived FastCGI responder. Listens on fd 0, a systemd socket, a unix socket or
//! TCP; serves at most `server.max_connections` connections (more wait in the backlog);
//! blocking work (SQLite, hashing) runs on tokio's bounded blocking pool; SIGTERM/SIGINT
//! stop accepting and let in-flight requests finish within the grace period, then the
//! process exits 0. The record layer is our own (`decoder`, `conn`): tokio-fastcgi
//! allocated declared lengths before checking them and buffered stdin without limit.

pub mod conn;
pub mod decoder;
pub mod params;
pub mod record;
pub mod slots;

use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::signal::unix::{SignalKind, signal};

use self::conn::{Conn, Timeouts};
use self::decoder::Limits;
use self::slots::{Slot, Slots};
use super::detect;
use crate::actions::Cost;
use crate::app::App;
use crate::pipeline;
use crate::request::Request;
use crate::response::Response;

/// Where the responder listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenSpec {
    /// An inherited listening socket (fd 0 or a systemd fd).
    Inherited(RawFd),
    /// A unix socket path to create.
    Unix(PathBuf),
    /// A TCP address to bind.
    Tcp(String),
}

impl ListenSpec {
    /// Parses `unix:/path` or `tcp:host:port`.
    pub fn parse(text: &str) -> Result<ListenSpec, String> {
        if let Some(path) = text.strip_prefix("unix:") {
            Ok(ListenSpec::Unix(PathBuf::from(path)))
        } else if let Some(addr) = text.strip_prefix("tcp:") {
            Ok(ListenSpec::Tcp(addr.to_string()))
        } else {
            Err(format!(
                "listen address {text:?} must start with unix: or tcp:"
            ))
        }
    }

    /// `--listen` if given, else an inherited socket, else the configured default.
    pub fn choose(explicit: Option<&str>, configured: &str) -> Result<ListenSpec, String> {
        if let Some(text) = explicit {
            return ListenSpec::parse(text);
        }
        if let Some(fd) = detect::systemd_listen_fd() {
            return Ok(ListenSpec::Inherited(fd));
        }
        if detect::fd0_is_listening_socket() {
            return Ok(ListenSpec::Inherited(0));
        }
        ListenSpec::parse(configured)
    }
}

enum Listener {
    Unix(UnixListener, Option<PathBuf>),
    Tcp(TcpListener),
}

/// Runs the responder until SIGTERM/SIGINT; returns after in-flight requests finished.
pub fn serve(mut app: App, spec: ListenSpec) -> Result<(), String> {
    app.db.set_turn_wait(off_async_worker);
    // Before any thread starts: the raised limit then holds for the whole process.
    let nofile = slots::raise_nofile();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(app.config.server.max_blocking_threads.max(2))
        .build()
        .map_err(|e| format!("cannot start runtime: {e}"))?;
    runtime.block_on(run(Arc::new(app), spec, nofile))
}

/// Limits and deadlines of every connection, from the configuration.
#[derive(Clone, Copy)]
struct ConnConfig {
    limits: Limits,
    timeouts: Timeouts,
}

async fn run(app: Arc<App>, spec: ListenSpec, nofile: u64) -> Result<(), String> {
    let listener = bind(&spec, &app)?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let server = &app.config.server;
    let cap = slots::cap_for(server.max_connections, nofile, server.max_blocking_threads);
    if cap < server.max_connections {
        crate::log::warn(&format!(
            "open-file limit {nofile}: serving at most {cap} connections at once"
        ));
    }
    let slots = Slots::new(cap);
    let secs = Duration::from_secs;
    let conn_config = ConnConfig {
        limits: Limits {
            params: server.params_limit,
            stdin: app.config.body_limit,
            connections: cap,
        },
        timeouts: Timeouts {
            idle: secs(server.idle_timeout_secs),
            header: secs(server.header_timeout_secs),
            body: secs(server.body_timeout_secs),
        },
    };
    crate::log::info(&format!("serving FastCGI on {spec:?}"));
    // Mail queued by requests (or left over from a previous run) goes out in the background.
    let mailer = tokio::spawn(crate::mail::worker::run(app.clone()));
    let sweeper = tokio::spawn(sweep_limiter_buckets(app.clone()));
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            accepted = accept(&listener, &slots) => match accepted {
                Ok((conn, slot)) => {
                    let app = app.clone();
                    tokio::spawn(async move { conn.serve(app, slot, conn_config).await });
                }
                Err(e) => {
                    // EMFILE and friends: keep the listener, give descriptors time to free up.
                    crate::log::warn(&format!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop_listener(listener);
    mailer.abort();
    sweeper.abort();
    if !slots
        .drain(Duration::from_secs(app.config.server.shutdown_grace_secs))
        .await
    {
        crate::log::warn("shutdown grace period over with requests still running");
    }
    crate::log::info("stopped");
    Ok(())
}

fn bind(spec: &ListenSpec, app: &App) -> Result<Listener, String> {
    match spec {
        ListenSpec::Inherited(fd) => inherited(*fd),
        ListenSpec::Tcp(addr) => {
            let std = std::net::TcpListener::bind(addr)
                .map_err(|e| format!("cannot bind {addr}: {e}"))?;
            std.set_nonblocking(true).map_err(|e| e.to_string())?;
            TcpListener::from_std(std)
                .map(Listener::Tcp)
                .map_err(|e| e.to_string())
        }
        ListenSpec::Unix(path) => {
            remove_stale_socket(path)?;
            let std = std::os::unix::net::UnixListener::bind(path)
                .map_err(|e| format!("cannot bind {}: {e}", path.display()))?;
            let mode = app.config.server.socket_mode.0;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                .map_err(|e| format!("cannot chmod {}: {e}", path.display()))?;
            std.set_nonblocking(true).map_err(|e| e.to_string())?;
            UnixListener::from_std(std)
                .map(|l| Listener::Unix(l, Some(path.clone())))
                .map_err(|e| e.to_string())
        }
    }
}

fn inherited(fd: RawFd) -> Result<Listener, String> {
    match detect::socket_family(fd) {
        Some(libc::AF_UNIX) => {
            // SAFETY: the fd is an inherited listening socket that nothing else owns.
            let std = unsafe { std::os::unix::net::UnixListener::from_raw_fd(fd) };
            std.set_nonblocking(true).map_err(|e| e.to_string())?;
            UnixListener::from_std(std)
                .map(|l| Listener::Unix(l, None))
                .map_err(|e| e.to_string())
        }
        Some(libc::AF_INET | libc::AF_INET6) => {
            // SAFETY: as above.
            let std = unsafe { std::net::TcpListener::from_raw_fd(fd) };
            std.set_nonblocking(true).map_err(|e| e.to_string())?;
            TcpListener::from_std(std)
                .map(Listener::Tcp)
                .map_err(|e| e.to_string())
        }
        _ => Err(format!("fd {fd} is not a listening socket")),
    }
}

/// A socket file left by a previous run would make bind fail; anything else is kept.
fn remove_stale_socket(path: &std::path::Path) -> Result<(), String> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            std::fs::remove_file(path).map_err(|e| format!("cannot remove {}: {e}", path.display()))
        }
        Ok(_) => Err(format!("{} exists and is not a socket", path.display())),
        Err(_) => Ok(()),
    }
}

fn drop_listener(listener: Listener) {
    if let Listener::Unix(l, Some(path)) = listener {
        drop(l);
        let _ = std::fs::remove_file(path);
    }
}

/// An accepted connection of either kind.
enum Stream {
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
}

/// Accepts one connection and waits for a slot for it: at the cap nothing more is
/// accepted, so further connections wait in the listen backlog.
async fn accept(listener: &Listener, slots: &Arc<Slots>) -> std::io::Result<(Stream, Slot)> {
    let stream = match listener {
        Listener::Unix(l, _) => l.accept().await.map(|(s, _)| Stream::Unix(s))?,
        Listener::Tcp(l) => l.accept().await.map(|(s, _)| {
            let _ = s.set_nodelay(true);
            Stream::Tcp(s)
        })?,
    };
    Ok((stream, slots.claim().await))
}

impl Stream {
    async fn serve(self, app: Arc<App>, slot: Slot, config: ConnConfig) {
        match self {
            Stream::Unix(s) => serve_stream(s, app, slot, config).await,
            Stream::Tcp(s) => serve_stream(s, app, slot, config).await,
        }
    }
}

/// Serves the requests of one connection (several with FCGI_KEEP_CONN) until it closes.
/// Malformed records or a closed peer end the connection, never the process.
async fn serve_stream<S>(stream: S, app: Arc<App>, slot: Slot, config: ConnConfig)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut conn = Conn::new(stream, config.limits, config.timeouts);
    while let Some(incoming) = conn.next_request(&slot).await {
        let (id, keep_conn) = (incoming.id, incoming.keep_conn);
        let answer = match incoming.into_request() {
            Ok(req) => answer(app.clone(), req).await,
            Err(refused) => refused.response().to_cgi_bytes(),
        };
        if !conn.respond(id, keep_conn, &answer).await {
            break;
        }
    }
}

/// Prepares the request inline (cheap checks, one key lookup), then runs the rest inline
/// when it is light, else on the bounded blocking pool (password hashing), and serialises
/// the answer.
async fn answer(app: Arc<App>, req: Request) -> Vec<u8> {
    let started = Instant::now();
    let prepared = pipeline::prepare(&app, &req);
    let response = match prepared.cost() {
        Cost::Light => prepared.run(&app),
        Cost::Hashing => {
            let app = app.clone();
            tokio::task::spawn_blocking(move || prepared.run(&app))
                .await
                .unwrap_or_else(|e| {
                    crate::log::error(&format!("request handler failed: {e}"));
                    Response::unavailable()
                })
        }
    };
    crate::ops::record_request(&response, started);
    if crate::log::enabled(crate::log::Level::Info) {
        crate::log::request(
            &req.client_ip(&app.config.server.trusted_proxies),
            response.action.as_deref(),
            response.status,
            started.elapsed().as_micros(),
            response.key_hint.as_deref(),
        );
    }
    response.to_cgi_bytes()
}

/// Drops ended limiter buckets now and then, off the async workers, so their count stays
/// bounded by what arrives within one window.
async fn sweep_limiter_buckets(app: Arc<App>) {
    let mut ticks = tokio::time::interval(crate::actions::throttle::sweep_interval(&app));
    loop {
        ticks.tick().await;
        let swept = crate::mail::worker::blocking(&app, crate::actions::throttle::sweep).await;
        if let Err(e) = swept {
            crate::log::error(&format!("limiter sweep failed: {e}"));
        }
    }
}

/// How a database writer waits for its turn here: on an async worker of the runtime (light
/// actions run inline there) the worker's other tasks are first handed to another thread;
/// anywhere else the wait simply runs. A long write such as a Maian batch or a reindex then
/// never freezes `ping` and the other inline requests.
fn off_async_worker(wait: &mut dyn FnMut()) {
    let multi_threaded = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_threaded {
        tokio::task::block_in_place(wait)
    } else {
        wait()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Db;
    use std::sync::mpsc;

    #[test]
    fn listen_specs() {
        assert_eq!(
            ListenSpec::parse("unix:/run/a.sock").unwrap(),
            ListenSpec::Unix("/run/a.sock".into())
        );
        assert_eq!(
            ListenSpec::parse("tcp:127.0.0.1:9000").unwrap(),
            ListenSpec::Tcp("127.0.0.1:9000".into())
        );
        assert!(ListenSpec::parse("/run/a.sock").is_err());
    }

    #[test]
    fn a_writer_waiting_for_its_turn_does_not_freeze_the_async_worker() {
        let dir = crate::test_dir("turn");
        let mut db = Db::open(&dir.join("turn.sqlite")).unwrap();
        db.set_turn_wait(off_async_worker);
        let db = Arc::new(db);
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
