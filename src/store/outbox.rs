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
