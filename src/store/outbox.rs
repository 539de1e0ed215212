//! SQL of the `mail_outbox` table: mail is queued in the same transaction as the event that
//! causes it, and delivered later by the responder or `accounthub mail flush`.

use rusqlite::{Connection, params};

use super::Result;
use crate::clock;

/// A message to queue. Addresses are plain `user@host`; names are display names.
#[derive(Debug, Clone, Default)]
pub struct OutgoingMail {
    /// Recipient address.
    pub to_addr: String,
    /// Recipient display name.
    pub to_name: String,
    /// Sender address.
    pub from_addr: String,
    /// Sender display name.
    pub from_name: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (CRLF line breaks as sent).
    pub body: String,
}

/// Queues a message for immediate delivery; returns its id.
pub fn enqueue(conn: &Connection, mail: &OutgoingMail) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO mail_outbox (to_addr, to_name, from_addr, from_name, subject, body, created, next_attempt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        mail.to_addr,
        mail.to_name,
        mail.from_addr,
        mail.from_name,
        mail.subject,
        mail.body,
        clock::utc_now_text(),
        clock::unix_now(),
    ])?;
    Ok(conn.last_insert_rowid())
}

/// A queued message as the delivery worker sees it.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    /// Row id.
    pub id: i64,
    /// Delivery attempts made before this one.
    pub attempts: u32,
    /// The message itself.
    pub mail: OutgoingMail,
}

/// Where a row stands, for `accounthub mail list`.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    /// Row id.
    pub id: i64,
    /// Recipient address.
    pub to_addr: String,
    /// Subject line.
    pub subject: String,
    /// When it was queued (UTC text).
    pub created: String,
    /// Delivery attempts made.
    pub attempts: u32,
    /// Unix time of the next attempt.
    pub next_attempt: i64,
    /// Error of the last failed attempt.
    pub last_error: Option<String>,
    /// When the server accepted it (UTC text), if it did.
    pub sent: Option<String>,
    /// True once it was given up after the last attempt.
    pub failed: bool,
}

/// Takes up to `limit` messages due by `due_by` for delivery: their next attempt moves to
/// `lease_until`, so a concurrent sender skips them, and a sender that dies mid-way only
/// delays them (they are resent after the lease, never dropped). Call inside a write
/// transaction.
pub fn claim_due(
    conn: &Connection,
    due_by: i64,
    lease_until: i64,
    limit: usize,
) -> Result<Vec<QueuedMail>> {
    let due: Vec<QueuedMail> = conn
        .prepare_cached(
            "SELECT id, attempts, to_addr, to_name, from_addr, from_name, subject, body
             FROM mail_outbox WHERE sent IS NULL AND failed = 0 AND next_attempt <= ?1
             ORDER BY next_attempt, id LIMIT ?2",
        )?
        .query_map(params![due_by, limit as i64], |r| {
            Ok(QueuedMail {
                id: r.get(0)?,
                attempts: r.get(1)?,
                mail: OutgoingMail {
                    to_addr: r.get(2)?,
                    to_name: r.get(3)?,
                    from_addr: r.get(4)?,
                    from_name: r.get(5)?,
                    subject: r.get(6)?,
                    body: r.get(7)?,
                },
            })
        })?
        .collect::<Result<_>>()?;
    let mut lease =
        conn.prepare_cached("UPDATE mail_outbox SET next_attempt = ?2 WHERE id = ?1")?;
    for queued in &due {
        lease.execute(params![queued.id, lease_until])?;
    }
    Ok(due)
}

/// Records that the server accepted the message.
pub fn mark_sent(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("UPDATE mail_outbox SET sent = ?2, last_error = NULL WHERE id = ?1")?
        .execute(params![id, clock::utc_now_text()])?;
    Ok(())
}

/// Records a failed attempt: the attempt count, the error, and either the next attempt time
/// or, when `give_up` is set, the failed mark.
pub fn mark_attempt_failed(
    conn: &Connection,
    id: i64,
    error: &str,
    next_attempt: i64,
    give_up: bool,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?2, next_attempt = ?3,
         failed = ?4 WHERE id = ?1",
    )?
    .execute(params![id, error, next_attempt, give_up])?;
    Ok(())
}

/// Unix time of the earliest pending attempt, if any message is waiting.
pub fn next_due(conn: &Connection) -> Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT MIN(next_attempt) FROM mail_outbox WHERE sent IS NULL AND failed = 0",
    )?
    .query_row([], |r| r.get(0))
}

/// The newest `limit` rows, newest first (sent rows only when `include_sent`).
pub fn list(conn: &Connection, include_sent: bool, limit: usize) -> Result<Vec<OutboxEntry>> {
    conn.prepare_cached(
        "SELECT id, to_addr, subject, created, attempts, next_attempt, last_error, sent, failed
         FROM mail_outbox WHERE ?1 OR sent IS NULL ORDER BY id DESC LIMIT ?2",
    )?
    .query_map(params![include_sent, limit as i64], |r| {
        Ok(OutboxEntry {
            id: r.get(0)?,
            to_addr: r.get(1)?,
            subject: r.get(2)?,
            created: r.get(3)?,
            attempts: r.get(4)?,
            next_attempt: r.get(5)?,
            last_error: r.get(6)?,
            sent: r.get(7)?,
            failed: r.get(8)?,
        })
    })?
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    fn mail() -> OutgoingMail {
        OutgoingMail {
            to_addr: "admin@example.org".into(),
            from_addr: "noreply@example.org".into(),
            subject: "s".into(),
            body: "b".into(),
            ..Default::default()
        }
    }

    #[test]
    fn claimed_rows_are_leased_then_retried_or_given_up() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate(&mut conn).unwrap();
        let id = enqueue(&conn, &mail()).unwrap();
        let now = clock::unix_now();
        let claimed = claim_due(&conn, now, now + 60, 10).unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].mail.to_addr, "admin@example.org");
        assert!(
            claim_due(&conn, now, now + 60, 10).unwrap().is_empty(),
            "leased"
        );
        let again = claim_due(&conn, now + 60, now + 120, 10).unwrap();
        assert_eq!(again.len(), 1, "lease over");
        mark_attempt_failed(&conn, id, "451 later", now + 5, false).unwrap();
        assert_eq!(next_due(&conn).unwrap(), Some(now + 5));
        let row = &list(&conn, false, 10).unwrap()[0];
        assert_eq!((row.attempts, row.failed), (1, false));
        assert_eq!(row.last_error.as_deref(), Some("451 later"));
        mark_attempt_failed(&conn, id, "550 no", now + 5, true).unwrap();
        assert_eq!(next_due(&conn).unwrap(), None);
        assert!(list(&conn, false, 10).unwrap()[0].failed);
    }

    #[test]
    fn sent_rows_leave_the_queue() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate(&mut conn).unwrap();
        let id = enqueue(&conn, &mail()).unwrap();
        mark_sent(&conn, id).unwrap();
        let later = clock::unix_now() + 1000;
        assert!(claim_due(&conn, later, later, 10).unwrap().is_empty());
        assert!(list(&conn, false, 10).unwrap().is_empty());
        assert!(list(&conn, true, 10).unwrap()[0].sent.is_some());
    }
}
