//! Delivery of the outbox: claim one due message, send it, then mark it sent — only after
//! the server accepted it, so a crash in between resends rather than drops. Failures are
//! retried with exponential backoff until `mail.max_attempts`, then marked failed.
//! Used by the responder's background task and by `accounthub mail flush`.

use std::sync::Arc;
use std::time::Duration;

use super::smtp;
use crate::app::App;
use crate::clock;
use crate::store::outbox::{self, QueuedMail};

/// How often the responder's worker looks for due messages.
const POLL: Duration = Duration::from_secs(1);

/// SMTP steps one attempt may take at most (connect, greeting, EHLO, TLS, AUTH, MAIL, RCPT,
/// DATA...), each bounded by the timeout: a claimed message is leased for that long.
const LEASE_TIMEOUTS: u64 = 10;

/// What one delivery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    /// Messages the server accepted.
    pub sent: usize,
    /// Attempts that failed (the message is retried later or was given up).
    pub failed: usize,
}

/// Delivers every message due now, one at a time; messages that fail in this pass wait
/// for their backoff. Errors are store failures (SMTP failures are counted in the report).
pub async fn deliver_due(app: &Arc<App>) -> Result<PassReport, String> {
    let due_by = clock::unix_now();
    let mut report = PassReport::default();
    while let Some(queued) = claim_one(app, due_by).await? {
        let outcome = smtp::deliver(&app.config.mail, &queued.mail).await;
        if outcome.is_ok() {
            report.sent += 1;
        } else {
            report.failed += 1;
            crate::metrics::mail_failed();
        }
        record(app, queued, outcome).await?;
    }
    Ok(report)
}

/// The responder's background task: delivers due messages, then polls again; never returns.
pub async fn run(app: Arc<App>) {
    loop {
        if let Err(e) = deliver_if_due(&app).await {
            crate::log::error(&format!("mail delivery: {e}"));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Checks with a cheap read first, so an idle queue never takes the write lock.
async fn deliver_if_due(app: &Arc<App>) -> Result<(), String> {
    let next = blocking(app, |app| app.db.with(outbox::next_due)).await?;
    if next.is_some_and(|t| t <= clock::unix_now()) {
        let report = deliver_due(app).await?;
        crate::log::info(&format!(
            "mail: {} sent, {} failed attempts",
            report.sent, report.failed
        ));
    }
    Ok(())
}

async fn claim_one(app: &Arc<App>, due_by: i64) -> Result<Option<QueuedMail>, String> {
    let lease = app.config.mail.timeout_secs.max(1) * LEASE_TIMEOUTS;
    let lease_until = clock::unix_now().saturating_add(lease as i64);
    let claimed = blocking(app, move |app| {
        app.db
            .write(|tx| outbox::claim_due(tx, due_by, lease_until, 1))
    })
    .await?;
    Ok(claimed.into_iter().next())
}

async fn record(
    app: &Arc<App>,
    queued: QueuedMail,
    outcome: Result<(), String>,
) -> Result<(), String> {
    let id = queued.id;
    match outcome {
        Ok(()) => blocking(app, move |app| app.db.with(|c| outbox::mark_sent(c, id))).await,
        Err(error) => {
            let mail = &app.config.mail;
            let attempts = queued.attempts.saturating_add(1);
            let give_up = attempts >= mail.max_attempts;
            let next = clock::unix_now().saturating_add(backoff(mail.retry_base_secs, attempts));
            let level = if give_up { "given up" } else { "will retry" };
            crate::log::warn(&format!(
                "mail {id} to {} attempt {attempts} failed ({level}): {error}",
                queued.mail.to_addr
            ));
            blocking(app, move |app| {
                app.db
                    .with(|c| outbox::mark_attempt_failed(c, id, &error, next, give_up))
            })
            .await
        }
    }
}

/// Seconds to wait after the `attempts`-th failure: base, 2×base, 4×base, ...
pub fn backoff(base_secs: u64, attempts: u32) -> i64 {
    let factor = 1u64 << attempts.saturating_sub(1).min(30);
    i64::try_from(base_secs.max(1).saturating_mul(factor)).unwrap_or(i64::MAX)
}

/// Runs store work on the blocking pool (the responder's other background task, the
/// limiter sweep, uses it too).
pub(crate) async fn blocking<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&App) -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, String> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .map_err(|e| format!("store task: {e}"))?
        .map_err(|e| format!("store: {e}"))
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_from_the_base() {
        assert_eq!(backoff(60, 1), 60);
        assert_eq!(backoff(60, 2), 120);
        assert_eq!(backoff(60, 4), 480);
        assert_eq!(backoff(0, 1), 1);
        assert!(backoff(u64::MAX, 40) > 0);
    }
}
