//! Reads a `mysqldump` file of the original's database with sqlparser's MySQL dialect:
//! CREATE TABLE gives each table's columns (mysqldump's INSERTs name none) and its
//! AUTO_INCREMENT counter, INSERT ... VALUES gives the rows. MariaDB's sandbox line and the
//! `/*!40101 ... */` conditional comments are comments to the tokenizer; DROP, LOCK/UNLOCK
//! TABLES and SET carry no data and are passed over.

use sqlparser::ast::{
    CreateTable, CreateTableOptions, Expr, Insert, ObjectName, SetExpr, SqlOption, Statement,
    TableObject, UnaryOperator, Value,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::source::{Table, Tables};

/// Parses the whole dump text into tables. The tokenizer splits it into statements (a `;`
/// inside a string is part of the string token); only CREATE TABLE and INSERT are parsed,
/// the rest (SET, DROP, LOCK, and the `ALTER TABLE ... DISABLE KEYS` of conditional
/// comments) carry no rows and are passed over.
pub fn parse(sql: &str) -> Result<Tables, String> {
    let dialect = MySqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| format!("cannot read the dump: {e}"))?;
    let mut tables = Tables::new();
    let mut statement = Vec::new();
    for token in tokens {
        match token.token {
            Token::SemiColon => statement_into(std::mem::take(&mut statement), &mut tables)?,
            Token::Whitespace(_) => {}
            _ => statement.push(token),
        }
    }
    statement_into(statement, &mut tables)?;
    Ok(tables)
}

/// Parses one statement's tokens if it carries tables or rows.
fn statement_into(tokens: Vec<TokenWithSpan>, tables: &mut Tables) -> Result<(), String> {
    let Some(Token::Word(first)) = tokens.first().map(|t| &t.token) else {
        return Ok(());
    };
    match first.keyword {
        Keyword::CREATE | Keyword::INSERT => {}
        Keyword::UPDATE | Keyword::DELETE | Keyword::REPLACE => {
            return Err(format!(
                "the dump changes rows with {} (line {}); import only reads plain mysqldump output",
                first.value, tokens[0].span.start.line
            ));
        }
        _ => return Ok(()),
    }
    let dialect = MySqlDialect {};
    let statement = Parser::new(&dialect)
        .with_tokens_with_locations(tokens)
        .parse_statement()
        .map_err(|e| format!("cannot read the dump: {e}"))?;
    match statement {
        Statement::CreateTable(create) => {
            let (name, table) = create_table(&create);
            tables.insert(name, table);
        }
        Statement::Insert(insert) => insert_rows(&insert, tables)?,
        _ => {}
    }
    Ok(())
}

/// The unquoted last part of a (possibly schema-qualified) name, lower-cased.
fn plain_name(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .map_or_else(|| name.to_string(), |ident| ident.value.clone())
        .to_lowercase()
}

fn create_table(create: &CreateTable) -> (String, Table) {
    let columns = create
        .columns
        .iter()
        .map(|c| c.name.value.clone())
        .collect();
    let options = match &create.table_options {
        CreateTableOptions::Plain(o)
        | CreateTableOptions::With(o)
        | CreateTableOptions::Options(o)
        | CreateTableOptions::TableProperties(o) => o.as_slice(),
        CreateTableOptions::None => &[],
    };
    let next_id = options.iter().find_map(|o| match o {
        SqlOption::KeyValue { key, value }
            if key.to_string().eq_ignore_ascii_case("AUTO_INCREMENT") =>
        {
            literal(value).ok().flatten().and_then(|v| v.parse().ok())
        }
        _ => None,
    });
    (
        plain_name(&create.name),
        Table {
            columns,
            rows: Vec::new(),
            next_id,
        },
    )
}

fn insert_rows(insert: &Insert, tables: &mut Tables) -> Result<(), String> {
    let TableObject::TableName(name) = &insert.table else {
        return Err("the dump inserts into a table function".into());
    };
    let name = plain_name(name);
    let table = tables
        .get_mut(&name)
        .ok_or_else(|| format!("the dump inserts into `{name}` before (or without) creating it"))?;
    // Named columns (mysqldump --complete-insert) are put in CREATE TABLE order.
    let order: Vec<usize> = if insert.columns.is_empty() {
        (0..table.columns.len()).collect()
    } else {
        insert
            .columns
            .iter()
            .map(|c| {
                let c = plain_name(c);
                table
                    .column(&c)
                    .ok_or_else(|| format!("`{name}` has no column `{c}`"))
            })
            .collect::<Result<_, _>>()?
    };
    let Some(SetExpr::Values(values)) = insert.source.as_ref().map(|q| q.body.as_ref()) else {
        return Err(format!("an INSERT into `{name}` has no VALUES list"));
    };
    for row in &values.rows {
        let number = table.rows.len() + 1;
        if row.content.len() != order.len() {
            return Err(format!(
                "`{name}` row {number}: {} values for {} columns",
                row.content.len(),
                order.len()
            ));
        }
        let mut cells = vec![None; table.columns.len()];
        for (expr, &at) in row.content.iter().zip(&order) {
            cells[at] = literal(expr).map_err(|e| format!("`{name}` row {number}: {e}"))?;
        }
        table.rows.push(cells);
    }
    Ok(())
}

/// A value as MySQL's text protocol would carry it: NULL, or its text.
fn literal(expr: &Expr) -> Result<Option<String>, String> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Null => Ok(None),
            Value::Number(n, _) => Ok(Some(n.to_string())),
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Ok(Some(s.clone())),
            Value::Boolean(b) => Ok(Some(if *b { "1" } else { "0" }.into())),
            other => Err(format!("unsupported value {other}")),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => Ok(literal(expr)?.map(|n| format!("-{n}"))),
        other => Err(format!("unsupported value {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of MariaDB 10.11's mysqldump output, trimmed to two tables.
    const DUMP: &str = r#"/*M!999999\- enable the sandbox mode */
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
DROP TABLE IF EXISTS `accounts`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE `accounts` (
  `uid` int(11) NOT NULL AUTO_INCREMENT,
  `username` varchar(190) NOT NULL,
  `realname` varchar(255) NOT NULL,
  `deleted` tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (`uid`,`username`),
  UNIQUE KEY `uid_UNIQUE` (`uid`),
  KEY `email` (`username`),
  CONSTRAINT `fk_x` FOREIGN KEY (`uid`) REFERENCES `other` (`id`) ON DELETE NO ACTION ON UPDATE NO ACTION
) ENGINE=InnoDB AUTO_INCREMENT=13 DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
LOCK TABLES `accounts` WRITE;
/*!40000 ALTER TABLE `accounts` DISABLE KEYS */;
INSERT INTO `accounts` VALUES
(1,'admin','Ad \\ \"Min\'s',0),
(12,'bob ','Bob\nSmith',-1);
/*!40000 ALTER TABLE `accounts` ENABLE KEYS */;
UNLOCK TABLES;
CREATE TABLE `groups` (`groupid` int(11) NOT NULL, `groupname` varchar(45) NOT NULL);
INSERT INTO `groups` (`groupname`, `groupid`) VALUES ('Staff',3);
"#;

    #[test]
    fn a_mariadb_dump_gives_columns_rows_and_counters() {
        let tables = parse(DUMP).unwrap();
        let accounts = &tables["accounts"];
        assert_eq!(accounts.columns, ["uid", "username", "realname", "deleted"]);
        assert_eq!(accounts.next_id, Some(13));
        let text = |r: usize, c: usize| accounts.rows[r][c].clone().unwrap();
        assert_eq!(text(0, 2), r#"Ad \ "Min's"#);
        assert_eq!(text(1, 1), "bob ");
        assert_eq!(text(1, 2), "Bob\nSmith");
        assert_eq!(text(1, 3), "-1");
        let groups = &tables["groups"];
        assert_eq!(groups.rows, [[Some("3".into()), Some("Staff".into())]]);
    }

    #[test]
    fn broken_or_foreign_dumps_are_refused_with_a_reason() {
        let err = parse("INSERT INTO `x` VALUES (1);").unwrap_err();
        assert!(err.contains("before (or without) creating it"), "{err}");
        let err = parse("CREATE TABLE t (a int); INSERT INTO t VALUES (1,2);").unwrap_err();
        assert!(err.contains("`t` row 1: 2 values for 1 columns"), "{err}");
        let err = parse("CREATE TABLE t (a int);\nUPDATE t SET a = 2;").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("changes rows"), "{err}");
        assert!(parse("CREATE TABLE t (a int").is_err());
    }
}
