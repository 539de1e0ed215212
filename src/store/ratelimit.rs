//! SQL of the `rate_limits` table: fixed-window counters keyed by a bucket name, shared by
//! every process that opens the file.

use rusqlite::{Connection, OptionalExtension, params};

use super::Result;

/// A bucket's limit: at most `limit` counted events per `window_secs`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Events allowed in one window.
    pub limit: u32,
    /// Window length in seconds.
    pub window_secs: u64,
}

/// Seconds until the bucket's window ends, if it is already over its limit at `now`.
pub fn blocked_for(conn: &Connection, bucket: &str, limit: Limit, now: i64) -> Result<Option<u64>> {
    let row: Option<(i64, i64)> = conn
        .prepare_cached("SELECT window_start, hits FROM rate_limits WHERE bucket = ?1")?
        .query_row([bucket], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(start, hits)| over_limit(start, hits, limit, now)))
}

/// Counts one event (call inside a write transaction) and returns the wait if this event
/// put the bucket over its limit.
pub fn record(conn: &Connection, bucket: &str, limit: Limit, now: i64) -> Result<Option<u64>> {
    let window = limit.window_secs as i64;
    conn.prepare_cached(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?1, ?2, 1)
         ON CONFLICT (bucket) DO UPDATE SET
           hits = CASE WHEN window_start + ?3 <= ?2 THEN 1 ELSE hits + 1 END,
           window_start = CASE WHEN window_start + ?3 <= ?2 THEN ?2 ELSE window_start END",
    )?
    .execute(params![bucket, now, window])?;
    blocked_for(conn, bucket, limit, now)
}

/// Forgets a bucket (e.g. after a successful login).
pub fn clear(conn: &Connection, bucket: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM rate_limits WHERE bucket = ?1")?
        .execute([bucket])?;
    Ok(())
}

/// Drops buckets whose window ended long ago, so the table stays small.
pub fn purge_expired(conn: &Connection, older_than: i64) -> Result<usize> {
    conn.execute(
        "DELETE FROM rate_limits WHERE window_start < ?1",
        [older_than],
    )
}

fn over_limit(start: i64, hits: i64, limit: Limit, now: i64) -> Option<u64> {
    let end = start + limit.window_secs as i64;
    (now < end && hits > i64::from(limit.limit)).then(|| (end - now).max(1) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    #[test]
    fn blocks_after_limit_and_reopens_with_the_next_window() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate(&mut conn).unwrap();
        let limit = Limit {
            limit: 2,
            window_secs: 60,
        };
        assert_eq!(record(&conn, "b", limit, 1000).unwrap(), None);
        assert_eq!(record(&conn, "b", limit, 1001).unwrap(), None);
        assert_eq!(record(&conn, "b", limit, 1002).unwrap(), Some(58));
        assert_eq!(blocked_for(&conn, "b", limit, 1030).unwrap(), Some(30));
        assert_eq!(blocked_for(&conn, "other", limit, 1030).unwrap(), None);
        assert_eq!(blocked_for(&conn, "b", limit, 1060).unwrap(), None);
        assert_eq!(record(&conn, "b", limit, 1060).unwrap(), None);
        clear(&conn, "b").unwrap();
        assert_eq!(blocked_for(&conn, "b", limit, 1061).unwrap(), None);
    }
}
