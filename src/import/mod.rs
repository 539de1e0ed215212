//! `accounthub import`: moves a PHP AccountHub install over. A reader (a live MariaDB/MySQL
//! server, or a mysqldump file) yields the original's tables; `convert` turns them into
//! accounthub rows and lists every problem; PINs are hashed on the hashing pool; one
//! transaction writes everything or nothing (store::import).

pub mod convert;
pub mod dump;
pub mod live;
pub mod report;
pub mod source;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use rusqlite::types::Value;

use crate::app::App;
use crate::password;
use crate::store::import::{self as writer, Refused};
use convert::{Converted, PIN_COLUMN, Problem};
use report::Progress;

/// Where the original's data comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `mysql://USER:PASS@HOST[:PORT]/DB[?socket=PATH]`.
    Live(String),
    /// A mysqldump file.
    Dump(PathBuf),
}

/// What to do with it.
#[derive(Debug, Clone)]
pub struct Options {
    /// The source.
    pub source: Source,
    /// Zone of the original's local DATETIMEs.
    pub tz: Tz,
    /// Dry run: report, change nothing.
    pub check: bool,
    /// Empty a non-empty target first.
    pub replace: bool,
    /// Keep API keys' declared types instead of FULL.
    pub keep_key_types: bool,
}

/// The outcome, for the summary.
#[derive(Debug)]
pub struct Report {
    /// Counts, problems and key lines.
    pub converted: Converted,
    /// True when the rows were committed.
    pub committed: bool,
    /// Time of the whole run.
    pub elapsed: Duration,
    /// Part of it spent hashing PINs.
    pub hashing: Duration,
}

impl Report {
    /// Whether any problem stops the import.
    pub fn refused(&self) -> bool {
        self.converted.problems.iter().any(|p| p.fatal)
    }
}

/// Errors that end a write transaction without committing it.
enum Abort {
    Db(rusqlite::Error),
    /// A dry run, or rows SQLite refused.
    RolledBack(Vec<Refused>),
}

impl From<rusqlite::Error> for Abort {
    fn from(e: rusqlite::Error) -> Abort {
        Abort::Db(e)
    }
}

/// Runs the import (or the dry run) and reports what happened. `Err` is for failures
/// before any row is considered (unreadable source, database errors).
pub fn run(app: &App, options: &Options) -> Result<Report, String> {
    let started = Instant::now();
    let tables = match &options.source {
        Source::Live(url) => {
            let progress = Progress::spinner("reading the database");
            live::read(url, |table| progress.say(format!("reading `{table}`")))?
        }
        Source::Dump(path) => {
            let _progress = Progress::spinner("parsing the dump");
            let sql = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            dump::parse(&sql)?
        }
    };
    let mut converted = convert::convert(&tables, options.tz, options.keep_key_types);
    drop(tables);
    let occupied = app
        .db
        .with(writer::occupied)
        .map_err(|e| format!("database error: {e}"))?;
    let blocked = !occupied.is_empty() && !options.replace;
    if blocked {
        converted.problems.push(Problem {
            table: String::new(),
            row: String::new(),
            message: format!(
                "the target database is not empty ({}); use --replace to overwrite it",
                occupied.join(", ")
            ),
            fatal: true,
        });
    }
    let mut hashing = Duration::ZERO;
    let fatal = converted.problems.iter().any(|p| p.fatal);
    if !options.check && !fatal {
        let t = Instant::now();
        hash_pins(app, &mut converted);
        hashing = t.elapsed();
    }
    let committed = !blocked && write(app, options, &mut converted)?;
    Ok(Report {
        converted,
        committed,
        elapsed: started.elapsed(),
        hashing,
    })
}

/// Replaces each PIN placeholder of the accounts batch by the PIN's hash, all PINs at once
/// on every hashing thread.
fn hash_pins(app: &App, converted: &mut Converted) {
    let rounds = app.config.passwords.pbkdf2_rounds;
    let pins = std::mem::take(&mut converted.pins);
    let progress = Progress::bar("hashing PINs", pins.len());
    let jobs: Vec<Box<dyn FnOnce() -> Result<String, String> + Send>> = pins
        .iter()
        .map(|(_, pin)| {
            let pin = pin.clone();
            Box::new(move || password::hash(&pin, rounds)) as Box<dyn FnOnce() -> _ + Send>
        })
        .collect();
    let hashes = app.hashing.run_all(jobs, || progress.inc(1));
    let Some(accounts) = converted.batches.iter_mut().find(|b| b.table == "accounts") else {
        return;
    };
    for ((index, _), hash) in pins.iter().zip(hashes) {
        let (origin, values) = &mut accounts.rows[*index];
        match hash {
            Ok(h) => values[PIN_COLUMN] = Value::Text(h),
            Err(e) => converted.problems.push(Problem {
                table: "accounts".into(),
                row: origin.clone(),
                message: format!("cannot hash the PIN: {e}"),
                fatal: true,
            }),
        }
    }
}

/// Writes in one transaction; commits only for a real run without any problem that stops
/// it. Rows SQLite refused become fatal problems. Returns whether it committed.
fn write(app: &App, options: &Options, converted: &mut Converted) -> Result<bool, String> {
    let fatal = converted.problems.iter().any(|p| p.fatal);
    let total = converted.batches.iter().map(|b| b.rows.len()).sum();
    let progress = Progress::bar("writing rows", total);
    let outcome = app.db.write(|tx| {
        if options.replace {
            writer::clear(tx)?;
        }
        let refused = writer::write(tx, &converted.batches, || progress.inc(1))?;
        if options.check || fatal || !refused.is_empty() {
            return Err(Abort::RolledBack(refused));
        }
        Ok(())
    });
    match outcome {
        Ok(()) => Ok(true),
        Err(Abort::Db(e)) => Err(format!("database error: {e}; nothing was imported")),
        Err(Abort::RolledBack(refused)) => {
            converted
                .problems
                .extend(refused.into_iter().map(|r| Problem {
                    table: r.table.trim_matches('"').to_string(),
                    row: r.row,
                    message: format!("refused by the database: {}", r.error),
                    fatal: true,
                }));
            Ok(false)
        }
    }
}
