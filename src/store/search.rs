//! SQL of usersearch and groupsearch: literal, case-insensitive substring matches over live
//! accounts and groups, ordered by name, at most `LIMIT` results.
//!
//! Accounts are searched through FTS5 trigram indexes (see schema.sql): a quoted phrase is
//! matched as a plain substring, so `%`, `_` and `\` in the input mean themselves, and
//! folding is Unicode-aware. The main index is keyed by name rank, so even a fragment that
//! matches half the accounts costs `LIMIT` index reads; accounts changed since the last
//! reindex sit in a small second index whose matches are sorted, then both are merged.
//! Groups are few; they are filtered in memory.

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
    // Both parts from one snapshot: a reindex committed between two separate reads would
    // move accounts from the recent part to the ranked one unseen by either read.
    let snapshot = if conn.is_autocommit() {
        Some(conn.unchecked_transaction()?)
    } else {
        None
    };
    // Rank order is (realname, uid) order, so the first LIMIT ranks are the first matches.
    // `LIMIT 10` is written out (= LIMIT): FTS5 reads a bound limit much more slowly.
    let mut matches: Vec<Found> = conn
        .prepare_cached(
            "SELECT a.uid, a.username, a.realname
             FROM (SELECT rowid AS rank FROM accounts_search WHERE accounts_search MATCH ?1
                   ORDER BY rowid LIMIT 10) AS hit
             JOIN search_rank r ON r.rank = hit.rank
             JOIN accounts a ON a.uid = r.uid
             ORDER BY hit.rank",
        )?
        .query_map([&phrase], found)?
        .collect::<Result<_>>()?;
    let recent = conn
        .prepare_cached(
            "SELECT a.uid, a.username, a.realname FROM accounts_search_recent s
             JOIN accounts a ON a.uid = s.rowid
             WHERE accounts_search_recent MATCH ?1
             ORDER BY a.realname, a.uid LIMIT 10",
        )?
        .query_map([&phrase], found)?
        .collect::<Result<Vec<_>>>()?;
    if let Some(snapshot) = snapshot {
        snapshot.commit()?;
    }
    matches.extend(recent);
    matches.sort_by(|a, b| (&a.realname, a.uid).cmp(&(&b.realname, b.uid)));
    matches.truncate(LIMIT);
    Ok(matches)
}

/// Fewest changed accounts that justify a reindex: below this, sorting their matches on
/// each search is cheaper than rebuilding.
const RECENT_MIN: i64 = 500;

/// Share of the matches accounts (1/N) that the recent part may reach before a reindex, so
/// a big directory is not rebuilt for every few hundred new accounts.
const RECENT_SHARE: i64 = 64;

/// Whether the recent part has grown past max(`RECENT_MIN`, matches / `RECENT_SHARE`): a
/// cheap read, so opening the database can check it without taking the write lock.
pub fn reindex_due(conn: &Connection) -> Result<bool> {
    let (recent, matches): (i64, i64) = conn.query_row(
        "SELECT (SELECT count(*) FROM search_recent),
                (SELECT coalesce(max(rank), 0) FROM search_rank)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(recent > RECENT_MIN.max(matches / RECENT_SHARE))
}

/// Reindexes when `reindex_due`; run inside a write transaction. Called after each new
/// account and when the database is opened (which covers changes made by other tools).
pub fn upkeep(conn: &Connection) -> Result<()> {
    if reindex_due(conn)? {
        reindex(conn)?;
    }
    Ok(())
}

/// Rebuilds the matches index from every live account and empties the recent part. Run it
/// inside a write transaction; it rewrites the whole index (about a second per 100,000
/// accounts), which is why `upkeep` batches changes.
pub fn reindex(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "INSERT INTO accounts_search (accounts_search) VALUES ('delete-all');
         INSERT INTO accounts_search_recent (accounts_search_recent) VALUES ('delete-all');
         DELETE FROM search_rank;
         DELETE FROM search_recent;
         INSERT INTO search_rank (rank, uid)
         SELECT row_number() OVER (ORDER BY realname, uid), uid FROM accounts WHERE deleted = 0;
         INSERT INTO accounts_search (rowid, username, realname)
         SELECT r.rank, a.username, a.realname FROM search_rank r JOIN accounts a ON a.uid = r.uid
         ORDER BY r.rank;
         INSERT INTO accounts_search (accounts_search) VALUES ('optimize');",
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    fn database() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate(&mut conn).unwrap();
        conn
    }

    /// What usersearch must answer, computed the slow way: every live account, in order.
    fn expected(conn: &Connection, fragment: &str) -> Vec<i64> {
        let needle = fragment.to_lowercase();
        let mut stmt = conn
            .prepare(
                "SELECT uid, username, realname FROM accounts WHERE deleted = 0
                 ORDER BY realname, uid",
            )
            .unwrap();
        let rows = stmt.query_map([], found).unwrap();
        rows.map(Result::unwrap)
            .filter(|f| {
                f.username.to_lowercase().contains(&needle)
                    || f.realname.to_lowercase().contains(&needle)
            })
            .map(|f| f.uid)
            .take(LIMIT)
            .collect()
    }

    fn uids(conn: &Connection, fragment: &str) -> Vec<i64> {
        users(conn, fragment)
            .unwrap()
            .iter()
            .map(|f| f.uid)
            .collect()
    }

    const FRAGMENTS: &[&str] = &[
        "mar", "ann", "son", "a m", "tin", "jo ", "xyz", "Ria", "MARTIN",
    ];

    #[test]
    fn ranked_and_recent_parts_agree_with_a_full_scan_through_every_kind_of_change() {
        let conn = database();
        let syllables = [
            "Mar", "tin", "son", "Ann", "el", "Jo", "ria", "a", "Ki", "m",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let name = |next: &mut dyn FnMut(u64) -> u64| {
            let mut s = String::new();
            for part in 0..2 + next(3) {
                if part == 2 {
                    s.push(' ');
                }
                s.push_str(syllables[next(syllables.len() as u64) as usize]);
            }
            s
        };
        for round in 0..12 {
            for op in 0..120 {
                let uid = 1 + next(400) as i64;
                let realname = name(&mut next);
                match next(10) {
                    0 => conn.execute(
                        "UPDATE accounts SET realname = ?2 WHERE uid = ?1",
                        rusqlite::params![uid, realname],
                    ),
                    1 => conn.execute(
                        "UPDATE accounts SET deleted = 1 - deleted WHERE uid = ?1",
                        [uid],
                    ),
                    2 => conn.execute("DELETE FROM accounts WHERE uid = ?1", [uid]),
                    _ => conn.execute(
                        "INSERT INTO accounts (username, realname) VALUES (?1, ?2)",
                        rusqlite::params![format!("u{round}x{op}{}", name(&mut next)), realname],
                    ),
                }
                .unwrap();
            }
            if round % 3 == 1 {
                reindex(&conn).unwrap();
            }
            for fragment in FRAGMENTS {
                assert_eq!(
                    uids(&conn, fragment),
                    expected(&conn, fragment),
                    "{fragment:?} after round {round}"
                );
            }
        }
        let ranked: i64 = conn
            .query_row("SELECT count(*) FROM search_rank", [], |r| r.get(0))
            .unwrap();
        assert!(ranked > 100, "the ranked part was exercised ({ranked})");
    }

    #[test]
    fn upkeep_folds_the_recent_part_only_once_it_is_large() {
        let conn = database();
        let add = |n: usize| {
            for i in 0..n {
                conn.execute(
                    "INSERT INTO accounts (username, realname) VALUES (?1, 'Mar Tin')",
                    [format!("user{i}")],
                )
                .unwrap();
            }
        };
        let counts = || -> (i64, i64) {
            conn.query_row(
                "SELECT (SELECT count(*) FROM search_recent), (SELECT count(*) FROM search_rank)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        add(RECENT_MIN as usize);
        upkeep(&conn).unwrap();
        assert_eq!(counts(), (RECENT_MIN, 0));
        conn.execute(
            "INSERT INTO accounts (username, realname) VALUES ('one_more', 'Mar Tin')",
            [],
        )
        .unwrap();
        upkeep(&conn).unwrap();
        assert_eq!(counts(), (0, RECENT_MIN + 1));
        assert_eq!(uids(&conn, "mar t"), (1..=LIMIT as i64).collect::<Vec<_>>());
    }
}
