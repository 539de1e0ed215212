//! Logging to stderr, which spawn-fcgi, systemd, Apache and nginx all capture: one line per
//! request at `info`, problems at `error`/`warn`. The level is set once at start-up.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

/// Severity, in increasing verbosity; read from its name (any case) in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(try_from = "String")]
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
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

impl TryFrom<String> for Level {
    type Error = String;

    fn try_from(name: String) -> Result<Level, String> {
        match name.to_ascii_lowercase().as_str() {
            "off" => Ok(Level::Off),
            "error" => Ok(Level::Error),
            "warn" => Ok(Level::Warn),
            "info" => Ok(Level::Info),
            _ => Err(format!(
                "unknown log level {name:?} (use off, error, warn or info)"
            )),
        }
    }
}

/// Sets the level (once, at start-up).
pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
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

/// Logs the request line: client, action, HTTP status, duration and censored key.
pub fn request(ip: &str, action: Option<&str>, status: u16, micros: u128, key: Option<&str>) {
    if enabled(Level::Info) {
        info(&format!(
            "{ip} action={} status={status} time={:.1}ms key={}",
            action.unwrap_or("-"),
            micros as f64 / 1000.0,
            key.unwrap_or("-")
        ));
    }
}
