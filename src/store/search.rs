//! SQL of usersearch and groupsearch: literal, case-insensitive substring matches over live
//! accounts and groups, ordered by name, at most `LIMIT` results (SPEC §4.9).
//!
//! Accounts are searched through the `accounts_search` FTS5 trigram index (see schema.sql):
//! a quoted phrase is matched as a plain substring, so `%`, `_` and `\` in the input mean
//! themselves, and folding is Unicode-aware. Groups are few; they are filtered in memory.

use rusqlite::Connection;

use super::Result;
use super::directory::{self, Group};

/// Most results one search returns.
pub const LIMIT: usize = 10;

/// One usersearch result.
#[derive(Debug, Clone)]
pub struct Found {
    /// Account id.
    pub uid: i64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub realname: String,
}

/// Matches beyond which a fragment counts as common: sorting every match would cost more
/// than walking the name index until `LIMIT` matches turned up.
const COMMON: i64 = 200;

/// Live accounts whose user name or real name contains `fragment` (at least 3 characters,
/// the trigram size; shorter fragments find nothing), ordered by real name then uid.
///
/// Rare fragments: the few trigram-index hits are sorted. Common fragments (a probe finds
/// `COMMON` hits): the `accounts_by_name` index is walked in order and stops at the
/// `LIMIT`th match, which comes early precisely because matches are dense.
pub fn users(conn: &Connection, fragment: &str) -> Result<Vec<Found>> {
    if fragment.chars().count() < 3 {
        return Ok(Vec::new());
    }
    let phrase = format!("\"{}\"", fragment.replace('"', "\"\""));
    let hits: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT rowid FROM accounts_search WHERE accounts_search MATCH ?1 LIMIT ?2)",
        )?
        .query_row(rusqlite::params![phrase, COMMON], |r| r.get(0))?;
    if hits >= COMMON {
        return users_by_name_scan(conn, fragment);
    }
    conn.prepare_cached(
        "SELECT a.uid, a.username, a.realname FROM accounts_search s
         JOIN accounts a ON a.uid = s.rowid
         WHERE accounts_search MATCH ?1 AND a.deleted = 0
         ORDER BY a.realname, a.uid LIMIT ?2",
    )?
    .query_map(rusqlite::params![phrase, LIMIT as i64], found)?
    .collect()
}

/// Walks live accounts in name order, keeping those that contain the fragment
/// (case-insensitively, literally), until `LIMIT` are found.
fn users_by_name_scan(conn: &Connection, fragment: &str) -> Result<Vec<Found>> {
    let needle = fragment.to_lowercase();
    let mut stmt = conn.prepare_cached(
        "SELECT uid, username, realname FROM accounts WHERE deleted = 0 ORDER BY realname, uid",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::with_capacity(LIMIT);
    while let Some(row) = rows.next()? {
        let candidate = found(row)?;
        if candidate.realname.to_lowercase().contains(&needle)
            || candidate.username.to_lowercase().contains(&needle)
        {
            out.push(candidate);
            if out.len() == LIMIT {
                break;
            }
        }
    }
    Ok(out)
}

fn found(r: &rusqlite::Row) -> rusqlite::Result<Found> {
    Ok(Found {
        uid: r.get(0)?,
        username: r.get(1)?,
        realname: r.get(2)?,
    })
}

/// Groups whose name contains `fragment`, case-insensitively, ordered by name.
pub fn groups(conn: &Connection, fragment: &str) -> Result<Vec<Group>> {
    let needle = fragment.to_lowercase();
    Ok(directory::groups(conn)?
        .into_iter()
        .filter(|g| g.name.to_lowercase().contains(&needle))
        .take(LIMIT)
        .collect())
}
