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

/// Takes one of the bucket's events at `now`, or returns the seconds until its window ends
/// when all `limit` are taken. Call it inside a write (IMMEDIATE) transaction: the check
/// and the count are then one step for every thread and process, so no burst can slip
/// more than `limit` events into a window. A refused event writes nothing.
pub fn take(conn: &Connection, bucket: &str, limit: Limit, now: i64) -> Result<Option<u64>> {
    let row: Option<(i64, i64)> = conn
        .prepare_cached("SELECT window_start, hits FROM rate_limits WHERE bucket = ?1")?
        .query_row([bucket], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let end = row.map_or(now, |(start, _)| start + limit.window_secs as i64);
    if let Some((_, hits)) = row
        && now < end
    {
        if hits >= i64::from(limit.limit) {
            return Ok(Some((end - now).max(1) as u64));
        }
        conn.prepare_cached("UPDATE rate_limits SET hits = hits + 1 WHERE bucket = ?1")?
            .execute([bucket])?;
        return Ok(None);
    }
    if limit.limit == 0 {
        return Ok(Some(limit.window_secs.max(1)));
    }
    conn.prepare_cached(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?1, ?2, 1)
         ON CONFLICT (bucket) DO UPDATE SET window_start = ?2, hits = 1",
    )?
    .execute(params![bucket, now])?;
    Ok(None)
}

/// Forgets a bucket (e.g. after a successful login).
pub fn clear(conn: &Connection, bucket: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM rate_limits WHERE bucket = ?1")?
        .execute([bucket])?;
    Ok(())
}

/// Returns one taken event of a bucket (e.g. a success where only failures count).
pub fn give_back(conn: &Connection, bucket: &str) -> Result<()> {
    conn.prepare_cached("UPDATE rate_limits SET hits = max(hits - 1, 0) WHERE bucket = ?1")?
        .execute([bucket])?;
    Ok(())
}

/// Drops buckets whose window ended long ago, so the table stays small.
pub fn purge_expired(conn: &Connection, older_than: i64) -> Result<usize> {
    conn.prepare_cached("DELETE FROM rate_limits WHERE window_start < ?1")?
        .execute([older_than])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    fn hits(conn: &Connection, bucket: &str) -> Option<i64> {
        conn.query_row(
            "SELECT hits FROM rate_limits WHERE bucket = ?1",
            [bucket],
            |r| r.get(0),
        )
        .optional()
        .unwrap()
    }

    #[test]
    fn takes_up_to_the_limit_and_reopens_with_the_next_window() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate(&mut conn).unwrap();
        let limit = Limit {
            limit: 2,
            window_secs: 60,
        };
        assert_eq!(take(&conn, "b", limit, 1000).unwrap(), None);
        assert_eq!(take(&conn, "b", limit, 1001).unwrap(), None);
        assert_eq!(take(&conn, "b", limit, 1002).unwrap(), Some(58));
        assert_eq!(take(&conn, "b", limit, 1030).unwrap(), Some(30));
        // Refused events are not counted.
        assert_eq!(hits(&conn, "b"), Some(2));
        assert_eq!(take(&conn, "other", limit, 1030).unwrap(), None);
        assert_eq!(take(&conn, "b", limit, 1060).unwrap(), None);
        assert_eq!(hits(&conn, "b"), Some(1));
        clear(&conn, "b").unwrap();
        assert_eq!(hits(&conn, "b"), None);
        let closed = Limit {
            limit: 0,
            window_secs: 60,
        };
        assert_eq!(take(&conn, "c", closed, 1000).unwrap(), Some(60));
        assert_eq!(hits(&conn, "c"), None);
    }
}
