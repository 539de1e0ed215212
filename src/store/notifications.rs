//! SQL of the `notifications` table. Every statement is scoped to the owning uid, so a
//! caller can only read, mark or delete the notifications of the user it names.

use rusqlite::{Connection, params};

use super::Result;

/// One stored notification; `timestamp` is UTC text as stored.
#[derive(Debug, Clone)]
pub struct Notification {
    /// `notificationid`.
    pub id: i64,
    /// Stored UTC time.
    pub timestamp: String,
    /// Title.
    pub title: String,
    /// Body text.
    pub content: String,
    /// Link, `""` when none.
    pub url: String,
    /// Read already.
    pub seen: bool,
    /// Hidden from feeds.
    pub sensitive: bool,
}

/// A user's notifications: unread first, then newest first, then highest id first.
pub fn list(conn: &Connection, uid: i64) -> Result<Vec<Notification>> {
    conn.prepare_cached(
        "SELECT notificationid, timestamp, title, content, url, seen, sensitive
         FROM notifications WHERE uid = ?1
         ORDER BY seen, timestamp DESC, notificationid DESC",
    )?
    .query_map([uid], |r| {
        Ok(Notification {
            id: r.get(0)?,
            timestamp: r.get(1)?,
            title: r.get(2)?,
            content: r.get(3)?,
            url: r.get(4)?,
            seen: r.get(5)?,
            sensitive: r.get(6)?,
        })
    })?
    .collect()
}

/// Stores a new unread notification (`timestamp` in UTC) and returns its id.
pub fn insert(conn: &Connection, uid: i64, n: &Notification) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO notifications (uid, timestamp, title, content, url, seen, sensitive)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        uid,
        n.timestamp,
        n.title,
        n.content,
        n.url,
        n.seen,
        n.sensitive
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Marks one of the user's notifications seen; false if the user has no such notification.
pub fn mark_seen(conn: &Connection, uid: i64, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE notifications SET seen = 1 WHERE notificationid = ?1 AND uid = ?2")?
        .execute([id, uid])?
        > 0)
}

/// Deletes one of the user's notifications; false if the user has no such notification.
pub fn delete(conn: &Connection, uid: i64, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM notifications WHERE notificationid = ?1 AND uid = ?2")?
        .execute([id, uid])?
        > 0)
}
