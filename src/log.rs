//! Logging to stderr, which spawn-fcgi, systemd, Apache and nginx all capture: one line per
//! request at `info`, problems at `error`/`warn`. Lines are plain text, or with
//! `server.log_format = "json"` one JSON object each, so journald and log shippers can
//! read the fields without parsing text. Level and format are set once at start-up.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use serde_json::{Value, json};

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

/// Shape of a log line; read from its name (`text` or `json`) in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub enum Format {
    /// `accounthub info: ...`, for people reading the journal.
    Text,
    /// `{"level":"info",...}`, for programs.
    Json,
}

impl TryFrom<String> for Format {
    type Error = String;

    fn try_from(name: String) -> Result<Format, String> {
        match name.as_str() {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "server.log_format must be text or json, not {other:?}"
            )),
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);
static JSON: AtomicBool = AtomicBool::new(false);

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

/// Sets the line format (once, at start-up).
pub fn set_format(format: Format) {
    JSON.store(format == Format::Json, Ordering::Relaxed);
}

/// True if messages of `level` are written.
pub fn enabled(level: Level) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

fn write_line(line: String) {
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// One JSON line: a UTC timestamp and the level first, then `fields`.
fn json_line(tag: &str, fields: Value) -> String {
    let mut line = json!({
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "level": tag,
    });
    if let (Some(line), Value::Object(fields)) = (line.as_object_mut(), fields) {
        line.extend(fields);
    }
    format!("{line}\n")
}

fn emit(level: Level, tag: &str, msg: &str) {
    if enabled(level) {
        if JSON.load(Ordering::Relaxed) {
            write_line(json_line(tag, json!({ "msg": msg })));
        } else {
            write_line(format!("accounthub {tag}: {msg}\n"));
        }
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
    if !enabled(Level::Info) {
        return;
    }
    let action: String = action.unwrap_or("-").chars().take(ACTION_CHARS).collect();
    let millis = micros as f64 / 1000.0;
    if JSON.load(Ordering::Relaxed) {
        write_line(request_json(ip, Some(&action), status, millis, key));
    } else {
        info(&format!(
            "{ip} action={action} status={status} time={millis:.1}ms key={}",
            key.unwrap_or("-")
        ));
    }
}

fn request_json(
    ip: &str,
    action: Option<&str>,
    status: u16,
    millis: f64,
    key: Option<&str>,
) -> String {
    json_line(
        "info",
        json!({
            "ip": ip,
            "action": action,
            "status": status,
            "duration_ms": (millis * 10.0).round() / 10.0,
            "key": key,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_request_line_is_one_object_with_its_fields() {
        let line = request_json("10.0.0.1", Some("ping"), 200, 1.234, Some("ab***yz"));
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["level"], "info");
        assert_eq!(v["ip"], "10.0.0.1");
        assert_eq!(v["action"], "ping");
        assert_eq!(v["status"], 200);
        assert_eq!(v["duration_ms"], 1.2);
        assert_eq!(v["key"], "ab***yz");
        assert!(v["time"].as_str().unwrap().ends_with('Z'));
        let quoted = request_json("x", Some("a\"\nb"), 404, 0.0, None);
        assert_eq!(
            quoted.matches('\n').count(),
            1,
            "newlines in values are escaped"
        );
    }

    #[test]
    fn formats_and_levels_are_checked() {
        assert_eq!(Format::try_from("json".to_string()).unwrap(), Format::Json);
        assert!(Format::try_from("yaml".to_string()).is_err());
        assert_eq!(Level::try_from("WARN".to_string()).unwrap(), Level::Warn);
        assert!(Level::try_from("loud".to_string()).is_err());
    }
}
