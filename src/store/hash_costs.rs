//! SQL that tells how expensive the stored slow hashes are, so failed credential checks can
//! all be padded to the time of the slowest (see `password::FailureFloor`).

use rusqlite::Connection;

use super::Result;

/// The distinct cost prefixes of every slow hash stored for a live account: passwords,
/// PINs and imported app passwords (ours are plain digests). A bcrypt hash gives
/// `$2y$12$`, a PBKDF2 PHC string `$pbkdf2-sha256$i=600000`; anything else is left out.
pub fn stored_prefixes(conn: &Connection) -> Result<Vec<String>> {
    conn.prepare(
        "WITH hashes (h) AS (
             SELECT password FROM accounts WHERE deleted = 0
             UNION ALL SELECT pin FROM accounts WHERE deleted = 0
             UNION ALL SELECT hash FROM apppasswords WHERE hash NOT LIKE '$sha256$%')
         SELECT DISTINCT CASE
             WHEN h LIKE '$2_$%' THEN substr(h, 1, 7)
             WHEN h LIKE '$pbkdf2-sha256$i=%,%' THEN substr(h, 1, instr(h, ',') - 1)
         END AS prefix
         FROM hashes WHERE prefix IS NOT NULL",
    )?
    .query_map([], |r| r.get(0))?
    .collect()
}

/// The most slow (imported) app passwords one account has: a failed password check tries
/// each of them after the account password.
pub fn most_slow_app_passwords(conn: &Connection) -> Result<u32> {
    conn.query_row(
        "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM apppasswords
         WHERE hash NOT LIKE '$sha256$%' GROUP BY uid)",
        [],
        |r| r.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    #[test]
    fn finds_the_cost_of_each_kind_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (uid, username, realname, password, pin) VALUES
               (1, 'a', 'A', '$2y$12$abcdefghijklmnopqrstuv', '$pbkdf2-sha256$i=1000,l=32$s$h'),
               (2, 'b', 'B', '$pbkdf2-sha256$i=600000,l=32$s$h', NULL),
               (3, 'c', 'C', '$2y$12$zzzzzzzzzzzzzzzzzzzzzz', 'plain'),
               (4, 'd', 'D', '$2y$14$gone', NULL);
             UPDATE accounts SET deleted = 1 WHERE uid = 4;
             INSERT INTO apppasswords (hash, uid, description) VALUES
               ('$sha256$00', 2, 'ours'), ('$2a$10$imported', 3, 'x'), ('$2a$10$again', 3, 'y');",
        )
        .unwrap();
        let mut found = stored_prefixes(&conn).unwrap();
        found.sort();
        assert_eq!(
            found,
            [
                "$2a$10$",
                "$2y$12$",
                "$pbkdf2-sha256$i=1000",
                "$pbkdf2-sha256$i=600000"
            ]
        );
        assert_eq!(most_slow_app_passwords(&conn).unwrap(), 2);
    }
}
