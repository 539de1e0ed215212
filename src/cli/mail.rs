//! `accounthub mail ...`: the outbox from the command line. `flush` delivers due messages
//! now (cron in CGI setups, where no responder runs in the background); `list` shows the
//! queue.

use std::sync::Arc;

use clap::Subcommand;

use crate::app::App;
use crate::clock;
use crate::mail::worker;
use crate::store::outbox;

/// Outbox commands.
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Deliver every message that is due now; exits 1 if an attempt failed.
    Flush,
    /// Show queued and failed messages (newest first).
    List {
        /// Include messages already sent.
        #[arg(long)]
        all: bool,
        /// Show at most this many rows.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

/// Runs one mail command; returns the exit code.
pub fn run(app: App, cmd: MailCommand) -> Result<i32, String> {
    match cmd {
        MailCommand::Flush => flush(Arc::new(app)),
        MailCommand::List { all, limit } => list(&app, all, limit),
    }
}

fn flush(app: Arc<App>) -> Result<i32, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start runtime: {e}"))?;
    let report = runtime.block_on(worker::deliver_due(&app))?;
    println!("{} sent, {} failed", report.sent, report.failed);
    Ok(if report.failed == 0 { 0 } else { 1 })
}

fn list(app: &App, all: bool, limit: usize) -> Result<i32, String> {
    let rows = app
        .db
        .with(|c| outbox::list(c, all, limit))
        .map_err(|e| format!("cannot read the outbox: {e}"))?;
    println!("id\tstate\tattempts\tcreated\tnext attempt\tto\tsubject\tlast error");
    for row in rows {
        let state = match (&row.sent, row.failed) {
            (Some(_), _) => "sent",
            (None, true) => "failed",
            (None, false) => "queued",
        };
        let next = chrono::DateTime::from_timestamp(row.next_attempt, 0)
            .map(|t| t.with_timezone(&app.tz).format(clock::FORMAT).to_string())
            .unwrap_or_default();
        println!(
            "{}\t{state}\t{}\t{}\t{next}\t{}\t{}\t{}",
            row.id,
            row.attempts,
            clock::utc_text_to_local(&row.created, app.tz),
            row.to_addr,
            row.subject,
            row.last_error
                .unwrap_or_default()
                .replace(['\r', '\n'], " "),
        );
    }
    Ok(0)
}
