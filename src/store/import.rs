//! SQL of `accounthub import`: whether the target still holds only what `init` creates,
//! clearing it for `--replace`, and writing the converted rows of the PHP original's
//! tables. The caller owns the transaction, so the whole import commits or nothing does.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::{Result, schema, search};

/// Tables filled by the schema's seed rows: an install that still holds exactly those rows
/// there counts as empty, and imported rows merge over them by id.
const SEED_TABLES: &[(&str, &str)] = &[
    ("acctstatus", "statusid"),
    ("accttypes", "typeid"),
    ("logtypes", "logtype"),
    ("permissions", "permid"),
    ("userkeytypes", "typeid"),
];

/// Tables that only hold an install's own data, children before parents, so deleting in
/// this order never trips a foreign key.
const DATA_TABLES: &[&str] = &[
    "assigned_groups",
    "assigned_permissions",
    "managers",
    "mobile_codes",
    "onetimekeys",
    "notifications",
    "userkeys",
    "userloginkeys",
    "apppasswords",
    "authlog",
    "login_sessions",
    "accounts",
    "\"groups\"",
    "apikeys",
    "mail_outbox",
    "rate_limits",
];

/// How a batch of rows meets rows already in its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// Plain insert: any clash is an error for that row.
    Insert,
    /// Replace the columns of a row with the same id (the first column): for the seed
    /// tables, where the source's own rows win over the ones `init` wrote.
    OverSeed,
}

/// Rows for one target table, converted and ready to insert.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Target table, quoted where SQLite needs it.
    pub table: &'static str,
    /// Target columns, quoted where SQLite needs it; each row has one value per column.
    pub columns: &'static [&'static str],
    /// How rows meet existing ones.
    pub merge: Merge,
    /// (where the row came from, for error messages; its values).
    pub rows: Vec<(String, Vec<Value>)>,
}

/// A row SQLite refused (a constraint, usually), named by where it came from.
#[derive(Debug, Clone)]
pub struct Refused {
    /// Target table.
    pub table: &'static str,
    /// Where the row came from, as the batch named it.
    pub row: String,
    /// SQLite's message.
    pub error: String,
}

/// What makes the target non-empty: "accounts: 3 rows", "permissions: 2 rows not from
/// init". Empty when the database holds only what `accounthub init` creates.
pub fn occupied(conn: &Connection) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for table in DATA_TABLES {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        // Rate-limit windows are short-lived traces of use, not data.
        if n > 0 && *table != "rate_limits" {
            found.push(format!("{}: {n} rows", table.trim_matches('"')));
        }
    }
    let fresh = fresh_seeds()?;
    for ((table, _), seeds) in SEED_TABLES.iter().zip(&fresh) {
        let extra = rows(conn, table)?
            .into_iter()
            .filter(|r| !seeds.contains(r))
            .count();
        if extra > 0 {
            found.push(format!("{table}: {extra} rows not from init"));
        }
    }
    Ok(found)
}

/// Empties the target for `--replace`: every data table, and the seed tables back to what
/// `init` writes.
pub fn clear(conn: &Connection) -> Result<()> {
    for table in DATA_TABLES {
        conn.execute(&format!("DELETE FROM {table}"), [])?;
    }
    for ((table, _), seeds) in SEED_TABLES.iter().zip(fresh_seeds()?) {
        conn.execute(&format!("DELETE FROM {table}"), [])?;
        for row in seeds {
            let marks = vec!["?"; row.len()].join(", ");
            conn.execute(
                &format!("INSERT INTO {table} VALUES ({marks})"),
                params_from_iter(row),
            )?;
        }
    }
    Ok(())
}

/// Writes every batch in order, then rebuilds the usersearch index. A refused row does not
/// stop the others, so one run reports every refusal; the caller rolls back if any.
/// `progress` is called once per row.
pub fn write(
    conn: &Connection,
    batches: &[Batch],
    mut progress: impl FnMut(),
) -> Result<Vec<Refused>> {
    let mut refused = Vec::new();
    for batch in batches {
        let marks = vec!["?"; batch.columns.len()].join(", ");
        let columns = batch.columns.join(", ");
        let mut sql = format!("INSERT INTO {} ({columns}) VALUES ({marks})", batch.table);
        if batch.merge == Merge::OverSeed {
            let sets: Vec<String> = batch.columns[1..]
                .iter()
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            sql.push_str(&format!(
                " ON CONFLICT ({}) DO UPDATE SET {}",
                batch.columns[0],
                sets.join(", ")
            ));
        }
        let mut stmt = conn.prepare(&sql)?;
        for (origin, values) in &batch.rows {
            if let Err(e) = stmt.execute(params_from_iter(values)) {
                refused.push(Refused {
                    table: batch.table,
                    row: origin.clone(),
                    error: e.to_string(),
                });
            }
            progress();
        }
    }
    search::reindex(conn)?;
    Ok(refused)
}

/// The seed rows of each `SEED_TABLES` entry as a fresh `init` writes them.
fn fresh_seeds() -> Result<Vec<Vec<Vec<Value>>>> {
    let mut fresh = Connection::open_in_memory()?;
    schema::migrate(&mut fresh)?;
    SEED_TABLES.iter().map(|(t, _)| rows(&fresh, t)).collect()
}

/// Every row of `table`, ordered by its id column.
fn rows(conn: &Connection, table: &str) -> Result<Vec<Vec<Value>>> {
    let id = SEED_TABLES
        .iter()
        .find(|(t, _)| *t == table)
        .map_or("rowid", |(_, id)| id);
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY {id}"))?;
    let width = stmt.column_count();
    stmt.query_map([], |r| (0..width).map(|i| r.get::<_, Value>(i)).collect())?
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        schema::migrate(&mut conn).unwrap();
        conn
    }

    #[test]
    fn a_fresh_database_is_empty_and_a_used_one_is_not() {
        let conn = database();
        assert!(occupied(&conn).unwrap().is_empty());
        conn.execute(
            "UPDATE permissions SET perminfo = 'changed' WHERE permid = 1",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO accounts (username, realname) VALUES ('a', 'A')",
            [],
        )
        .unwrap();
        assert_eq!(
            occupied(&conn).unwrap(),
            ["accounts: 1 rows", "permissions: 1 rows not from init"]
        );
        clear(&conn).unwrap();
        assert!(occupied(&conn).unwrap().is_empty());
    }

    #[test]
    fn seeds_merge_and_refused_rows_are_all_named() {
        let conn = database();
        let perms = Batch {
            table: "permissions",
            columns: &["permid", "permcode", "perminfo"],
            merge: Merge::OverSeed,
            rows: vec![
                (
                    "permissions row 1".into(),
                    vec![
                        1.into(),
                        Value::from("ADMIN".to_string()),
                        Value::from("Boss".to_string()),
                    ],
                ),
                (
                    "permissions row 2".into(),
                    vec![900.into(), Value::from("CUSTOM".to_string()), Value::Null],
                ),
            ],
        };
        let grants = Batch {
            table: "assigned_permissions",
            columns: &["uid", "permid"],
            merge: Merge::Insert,
            rows: vec![
                (
                    "assigned_permissions row 1".into(),
                    vec![5.into(), 1.into()],
                ),
                (
                    "assigned_permissions row 2".into(),
                    vec![6.into(), 900.into()],
                ),
            ],
        };
        let refused = write(&conn, &[perms, grants], || {}).unwrap();
        let rows: Vec<&str> = refused.iter().map(|r| r.row.as_str()).collect();
        assert_eq!(
            rows,
            ["assigned_permissions row 1", "assigned_permissions row 2"]
        );
        let info: String = conn
            .query_row(
                "SELECT perminfo FROM permissions WHERE permid = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(info, "Boss");
    }
}
