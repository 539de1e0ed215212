//! What the sysadmin sees: progress bars on stderr while the long parts run (hidden when
//! stderr is not a terminal, so logs and pipes stay clean) and the final summary.

use std::fmt::Write;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Report;

/// A progress bar or spinner on stderr; cleared when dropped.
pub struct Progress(ProgressBar);

impl Progress {
    /// A bar for `total` steps.
    pub fn bar(what: &str, total: usize) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{msg:>20} [{bar:40}] {pos}/{len} {eta}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        Progress(bar)
    }

    /// A spinner for a step of unknown length; `say` updates its message.
    pub fn spinner(what: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Progress(bar)
    }

    /// Replaces the message.
    pub fn say(&self, what: String) {
        self.0.set_message(what);
    }

    /// Advances by `n` steps.
    pub fn inc(&self, n: usize) {
        self.0.inc(n as u64);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// The summary: every problem, API keys with their declared types, one line per source
/// table (rows read / imported / skipped) and the time taken.
pub fn summary(report: &Report, check: bool) -> String {
    let c = &report.converted;
    let mut out = String::new();
    for p in &c.problems {
        let place = [p.table.as_str(), p.row.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let kind = if p.fatal { "error" } else { "note" };
        let place = if place.is_empty() {
            String::new()
        } else {
            format!("{place}: ")
        };
        let _ = writeln!(out, "{kind}: {place}{}", p.message);
    }
    for key in &c.keys {
        let _ = writeln!(out, "api key {key}");
    }
    let _ = writeln!(
        out,
        "\n{:<22} {:>8} {:>9} {:>8}",
        "table", "read", "imported", "skipped"
    );
    for (table, count) in &c.counts {
        let imported = if report.committed || (check && !report.refused()) {
            count.read - count.skipped
        } else {
            0
        };
        let _ = writeln!(
            out,
            "{table:<22} {:>8} {imported:>9} {:>8}  {}",
            count.read, count.skipped, count.note
        );
    }
    let verdict = if report.committed {
        "imported"
    } else if check && !report.refused() {
        "check passed, nothing changed"
    } else if check {
        "check found errors, nothing changed"
    } else {
        "refused, nothing was imported"
    };
    let _ = writeln!(
        out,
        "\n{verdict} in {:.1} s ({:.1} s hashing PINs)",
        report.elapsed.as_secs_f64(),
        report.hashing.as_secs_f64()
    );
    out
}
