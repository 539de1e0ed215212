//! `accounthub log`: the security log (`authlog`) without SQL, filtered by user, type and
//! time, shown in the configured time zone as a table, JSON or CSV.

use clap::{Args, ValueEnum};
use serde_json::json;

use crate::app::App;
use crate::clock;
use crate::store::authlog::{self, Entry, Filter};

use super::db_err;

/// Output shapes of `accounthub log`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Aligned columns for reading.
    Table,
    /// One JSON array of objects.
    Json,
    /// RFC 4180 CSV with a header row.
    Csv,
}

/// Filters and format of `accounthub log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only rows about this user (user name or uid; deleted users included).
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// Only rows of this type: its name (e.g. API_LOGIN_FAILED) or number.
    #[arg(long = "type", value_name = "TYPE")]
    logtype: Option<String>,
    /// Only rows at or after this time (`YYYY-MM-DD[ HH:MM:SS]`, configured time zone).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only rows before this time (`YYYY-MM-DD[ HH:MM:SS]`, configured time zone).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Show the newest N matching rows (oldest first).
    #[arg(long, value_name = "N", default_value_t = 100)]
    limit: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LogFormat::Table)]
    format: LogFormat,
}

/// Prints the matching rows; an unknown user or type is an error, not an empty list.
pub fn run(app: &App, args: LogArgs) -> Result<i32, String> {
    let filter = app
        .db
        .with(|c| {
            let uid = match &args.user {
                Some(u) => Some(authlog::uid_named(c, u)?.ok_or(u.clone())),
                None => None,
            };
            let logtype = match &args.logtype {
                Some(t) => Some(authlog::logtype_named(c, t)?.ok_or(t.clone())),
                None => None,
            };
            Ok((uid, logtype))
        })
        .map_err(db_err)?;
    let uid = filter.0.transpose().map_err(|u| format!("no user {u:?}"))?;
    let logtype = filter
        .1
        .transpose()
        .map_err(|t| format!("no log type {t:?} (see the logtypes table)"))?;
    let filter = Filter {
        uid,
        logtype,
        since: args
            .since
            .as_deref()
            .map(|t| stored_time(app, t))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|t| stored_time(app, t))
            .transpose()?,
        limit: args.limit,
    };
    let rows = app
        .db
        .with(|c| authlog::query(c, &filter))
        .map_err(db_err)?;
    let out = match args.format {
        LogFormat::Table => table(app, &rows),
        LogFormat::Json => json(app, &rows),
        LogFormat::Csv => csv(app, &rows)?,
    };
    print!("{out}");
    Ok(0)
}

/// A command-line time in the configured zone, as stored (UTC); a bare date is midnight.
fn stored_time(app: &App, text: &str) -> Result<String, String> {
    let text = text.trim();
    let full = if text.len() == 10 {
        format!("{text} 00:00:00")
    } else {
        text.to_string()
    };
    clock::local_text_to_utc(&full, app.tz).ok_or_else(|| {
        format!(
            "time {text:?} is not YYYY-MM-DD or YYYY-MM-DD HH:MM:SS in {}",
            app.config.timezone
        )
    })
}

const HEADER: [&str; 7] = ["id", "time", "type", "uid", "user", "ip", "details"];

/// The columns of one row, time in the configured zone.
fn fields(app: &App, row: &Entry) -> [String; 7] {
    [
        row.logid.to_string(),
        clock::utc_text_to_local(&row.logtime, app.tz),
        row.typename
            .clone()
            .unwrap_or_else(|| row.logtype.to_string()),
        row.uid.map(|u| u.to_string()).unwrap_or_default(),
        row.username.clone().unwrap_or_default(),
        row.ip.clone().unwrap_or_default(),
        row.otherdata.clone().unwrap_or_default(),
    ]
}

fn table(app: &App, rows: &[Entry]) -> String {
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| fields(app, r).map(|f| f.replace(['\r', '\n', '\t'], " ")))
        .collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |row: &[String]| {
        let padded: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(&HEADER.map(String::from));
    for row in &cells {
        out.push_str(&line(row));
    }
    out
}

fn json(app: &App, rows: &[Entry]) -> String {
    let list: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.logid,
                "time": clock::utc_text_to_local(&r.logtime, app.tz),
                "type": r.logtype,
                "typename": r.typename,
                "uid": r.uid,
                "user": r.username,
                "ip": r.ip,
                "details": r.otherdata,
            })
        })
        .collect();
    format!("{}\n", serde_json::Value::Array(list))
}

fn csv(app: &App, rows: &[Entry]) -> Result<String, String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| format!("cannot write CSV: {e}");
    out.write_record(HEADER).map_err(fail)?;
    for row in rows {
        out.write_record(fields(app, row)).map_err(fail)?;
    }
    let bytes = out.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}
