//! Logging to stderr, which spawn-fcgi, systemd, Apache and nginx all capture: one line per
//! request at `info`, problems at `error`/`warn`. The level is set once at start-up.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

/// Severity, in increasing verbosity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    /// Nothing at all.
    Off = 0,
    /// Failures that lost work or answered 503.
    Error = 1,
    /// Recoverable problems (accept errors, retries).
    Warn = 2,
    /// One line per request.
    Info = 3,
    /// Details for troubleshooting.
    Debug = 4,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// Sets the level from its configured name; unknown names are refused.
pub fn set_level(name: &str) -> Result<(), String> {
    let level = match name.to_ascii_lowercase().as_str() {
        "off" => Level::Off,
        "error" => Level::Error,
        "warn" => Level::Warn,
        "info" => Level::Info,
        "debug" => Level::Debug,
        other => return Err(format!("unknown log level {other:?}")),
    };
    LEVEL.store(level as u8, Ordering::Relaxed);
    Ok(())
}

/// True if messages of `level` are written.
pub fn enabled(level: Level) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

fn emit(level: Level, tag: &str, msg: &str) {
    if enabled(level) {
        let line = format!("accounthub {tag}: {msg}\n");
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// Logs a failure.
pub fn error(msg: &str) {
    emit(Level::Error, "error", msg);
}

/// Logs a recoverable problem.
pub fn warn(msg: &str) {
    emit(Level::Warn, "warn", msg);
}

/// Logs an informational line.
pub fn info(msg: &str) {
    emit(Level::Info, "info", msg);
}

/// Characters of an action name kept in a request line: an unknown name comes from the
/// request and must not grow the log at its own length.
const ACTION_CHARS: usize = 64;

/// Logs the request line: client, action, HTTP status, duration and censored key.
pub fn request(ip: &str, action: Option<&str>, status: u16, micros: u128, key: Option<&str>) {
    if enabled(Level::Info) {
        let action: String = action.unwrap_or("-").chars().take(ACTION_CHARS).collect();
        info(&format!(
            "{ip} action={action} status={status} time={:.1}ms key={}",
            micros as f64 / 1000.0,
            key.unwrap_or("-")
        ));
    }
}
