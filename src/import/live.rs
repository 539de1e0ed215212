//! Reads the original's tables from a running MariaDB/MySQL server, all in one consistent
//! snapshot, through the text protocol (values arrive as the same text a dump holds,
//! `0000-00-00` dates included).
//!
//! `mysql://USER:PASS@HOST[:PORT]/DB` connects over TCP; adding `?socket=/run/mysqld/mysqld.sock`
//! uses that unix socket instead. TLS is not built in: run the import on the database host
//! or through an SSH tunnel.

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, Value};

use super::source::{Table, Tables};

/// Reads every base table of the URL's database; `on_table` hears each table's name first.
pub fn read(url: &str, mut on_table: impl FnMut(&str)) -> Result<Tables, String> {
    let opts = Opts::from_url(url).map_err(|e| format!("bad database URL: {e}"))?;
    if opts.get_db_name().is_none() {
        return Err("the database URL names no database (mysql://USER:PASS@HOST/DB)".into());
    }
    let mut conn = Conn::new(opts).map_err(|e| format!("cannot connect to the database: {e}"))?;
    let err = |e: mysql::Error| format!("database error: {e}");
    conn.query_drop("SET NAMES utf8mb4").map_err(err)?;
    // MySQL 8 caches table statistics (AUTO_INCREMENT among them); MariaDB has no such
    // variable and refuses the statement, which is fine.
    let _ = conn.query_drop("SET SESSION information_schema_stats_expiry = 0");
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        .map_err(err)?;
    let names: Vec<(String, Option<i64>)> = conn
        .query(
            "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
        )
        .map_err(err)?;
    let mut tables = Tables::new();
    for (name, next_id) in names {
        on_table(&name);
        let columns: Vec<String> = conn
            .exec(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                (&name,),
            )
            .map_err(err)?;
        let mut rows = Vec::new();
        let select = format!("SELECT * FROM `{}`", name.replace('`', "``"));
        for row in conn.query_iter(select).map_err(err)? {
            let row = row.map_err(err)?;
            let cells = row
                .unwrap()
                .into_iter()
                .map(|v| text(v).map_err(|e| format!("`{name}` row {}: {e}", rows.len() + 1)))
                .collect::<Result<_, _>>()?;
            rows.push(cells);
        }
        tables.insert(
            name.to_lowercase(),
            Table {
                columns,
                rows,
                next_id,
            },
        );
    }
    conn.query_drop("COMMIT").map_err(err)?;
    Ok(tables)
}

/// A text-protocol value as text.
fn text(value: Value) -> Result<Option<String>, String> {
    match value {
        Value::NULL => Ok(None),
        Value::Bytes(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| "a value is not UTF-8".to_string()),
        Value::Int(n) => Ok(Some(n.to_string())),
        Value::UInt(n) => Ok(Some(n.to_string())),
        Value::Float(n) => Ok(Some(n.to_string())),
        Value::Double(n) => Ok(Some(n.to_string())),
        other => Ok(Some(other.as_sql(true).trim_matches('\'').to_string())),
    }
}
