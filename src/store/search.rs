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

/// Live accounts whose user name or real name contains `fragment` (at least 3 characters,
/// the trigram size; shorter fragments find nothing), ordered by real name then uid.
pub fn users(conn: &Connection, fragment: &str) -> Result<Vec<Found>> {
    if fragment.chars().count() < 3 {
        return Ok(Vec::new());
    }
    let phrase = format!("\"{}\"", fragment.replace('"', "\"\""));
    conn.prepare_cached(
        "SELECT a.uid, a.username, a.realname FROM accounts_search s
         JOIN accounts a ON a.uid = s.rowid
         WHERE accounts_search MATCH ?1 AND a.deleted = 0
         ORDER BY a.realname, a.uid LIMIT ?2",
    )?
    .query_map(rusqlite::params![phrase, LIMIT as i64], |r| {
        Ok(Found {
            uid: r.get(0)?,
            username: r.get(1)?,
            realname: r.get(2)?,
        })
    })?
    .collect()
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
