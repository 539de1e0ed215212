//! `accounthub import`: the command line of a move from the PHP AccountHub (src/import).

use std::path::PathBuf;

use clap::Args;

use crate::app::App;
use crate::import::{self, Options, Source, report};

/// Arguments of `accounthub import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The original's live database: mysql://USER:PASS@HOST[:PORT]/DB, or over a unix
    /// socket mysql://USER:PASS@localhost/DB?socket=/run/mysqld/mysqld.sock.
    #[arg(
        value_name = "URL",
        required_unless_present = "dump",
        conflicts_with = "dump"
    )]
    pub url: Option<String>,
    /// Read a mysqldump file of the original's database instead.
    #[arg(long, value_name = "FILE.sql")]
    pub dump: Option<PathBuf>,
    /// Dry run: report counts and every problem, change nothing.
    #[arg(long)]
    pub check: bool,
    /// Overwrite a target database that already holds data.
    #[arg(long)]
    pub replace: bool,
    /// IANA zone of the original's local times (default: the config's timezone).
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
    /// Keep each API key's declared type; by default every key becomes FULL, since the
    /// original never enforced key types.
    #[arg(long)]
    pub keep_key_types: bool,
}

/// Runs the import and prints its summary; exit code 1 when it was refused.
pub fn run(app: &App, args: ImportArgs) -> Result<i32, String> {
    let tz = match &args.timezone {
        Some(zone) => zone
            .parse()
            .map_err(|_| format!("--timezone {zone:?} is not an IANA zone name"))?,
        None => app.tz,
    };
    let source = match (args.url, args.dump) {
        (_, Some(path)) => Source::Dump(path),
        (Some(url), None) => Source::Live(url),
        (None, None) => return Err("give a mysql:// URL or --dump FILE".into()),
    };
    let options = Options {
        source,
        tz,
        check: args.check,
        replace: args.replace,
        keep_key_types: args.keep_key_types,
    };
    let outcome = import::run(app, &options)?;
    print!("{}", report::summary(&outcome, options.check));
    Ok(if outcome.refused() { 1 } else { 0 })
}
