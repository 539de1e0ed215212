//! Turns the original's rows into accounthub's: local times to UTC, TINYINT(1) flags to
//! 0/1, API keys to digests, names to what SQLite's NOCASE finds the way MySQL's `_ci`
//! collation did, orphans (the original loaded data with foreign-key checks off) left
//! out. Every change that is not a plain copy is reported as a problem naming its row;
//! rows that cannot be taken at all are fatal and stop the import.

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::types::Value;

use super::source::{self, Table, Tables};
use crate::clock;
use crate::secrets;
use crate::store::import::{Batch, Merge};

/// Something the import changed, dropped or cannot take, with the row it concerns.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Source table.
    pub table: String,
    /// The row, e.g. "row 17 (uid 17)"; empty for the table as a whole.
    pub row: String,
    /// What happened to it.
    pub message: String,
    /// True when the import cannot go ahead.
    pub fatal: bool,
}

/// Rows of one source table: read, and skipped by design (short-lived, orphans).
#[derive(Debug, Clone, Default)]
pub struct Count {
    /// Rows in the source.
    pub read: usize,
    /// Rows not carried over.
    pub skipped: usize,
    /// Why, when the whole table is skipped.
    pub note: String,
}

/// The import plan: target rows, PINs still to hash, counts and problems.
#[derive(Debug, Default)]
pub struct Converted {
    /// Target rows in insertion order (parents first).
    pub batches: Vec<Batch>,
    /// (row index in the `accounts` batch, plaintext PIN) for every PIN to hash.
    pub pins: Vec<(usize, String)>,
    /// Per source table.
    pub counts: BTreeMap<String, Count>,
    /// Everything worth telling, fatal or not.
    pub problems: Vec<Problem>,
    /// One line per API key: its censored form, declared type and imported type.
    pub keys: Vec<String>,
}

/// Position of the PIN among the `accounts` batch's columns.
pub const PIN_COLUMN: usize = 6;

/// Longest PIN accounthub accepts (its `user pin set` rule: 1 to 8 digits).
const PIN_MAX: usize = 8;

/// Source tables that hold only short-lived state, skipped on purpose.
const SHORT_LIVED: &[(&str, &str)] = &[
    ("onetimekeys", "one-time login codes expire within a minute"),
    ("userloginkeys", "login keys expire within ten minutes"),
    ("rate_limit", "rate-limit slots last seconds"),
];

/// Converts every table. `keep_key_types` keeps each API key's declared type instead of
/// FULL (the original never enforced types, so FULL keeps every app working).
pub fn convert(tables: &Tables, tz: Tz, keep_key_types: bool) -> Converted {
    let mut c = Converter {
        out: Converted::default(),
        tz,
    };
    if let Some(why) = source::unknown_schema(tables) {
        c.problem("", "", why, true);
        return c.out;
    }
    for (name, table) in tables {
        let count = c.out.counts.entry(name.clone()).or_default();
        count.read = table.rows.len();
        if let Some((_, why)) = SHORT_LIVED.iter().find(|(t, _)| t == name) {
            count.skipped = table.rows.len();
            count.note = format!("skipped: {why}");
        } else if source::is_foreign(name) {
            count.skipped = table.rows.len();
            count.note = "skipped: not an AccountHub table".into();
        } else if !source::KNOWN.iter().any(|(k, _)| k == name) {
            count.skipped = table.rows.len();
            count.note = "skipped: dropped by AccountHub 2.2".into();
        }
    }
    let empty = Table::default();
    let t = |name: &str| tables.get(name).unwrap_or(&empty);
    let uids = ids(t("accounts"), "uid");
    let groups = ids(t("groups"), "groupid");
    let perms = ids(t("permissions"), "permid");
    let logtypes = ids(t("logtypes"), "logtype");

    for (name, id, columns) in [
        ("acctstatus", "statusid", &["statusid", "statuscode"][..]),
        ("accttypes", "typeid", &["typeid", "typecode"]),
        ("logtypes", "logtype", &["logtype", "typename"]),
        ("userkeytypes", "typeid", &["typeid", "typename"]),
    ] {
        c.table(t(name), name, id, Merge::OverSeed, columns, |_, r| {
            Ok(Some(vec![
                r.int(columns[0])?.into(),
                r.opt_text(columns[1]).into(),
            ]))
        });
    }
    c.table(
        t("permissions"),
        "permissions",
        "permid",
        Merge::OverSeed,
        &["permid", "permcode", "perminfo"],
        |c, r| {
            let code = c.collation_name(r, "permcode")?;
            Ok(Some(vec![
                r.int("permid")?.into(),
                code.into(),
                r.opt_text("perminfo").into(),
            ]))
        },
    );
    c.accounts(
        t("accounts"),
        &ids(t("acctstatus"), "statusid"),
        &ids(t("accttypes"), "typeid"),
    );
    c.table(
        t("groups"),
        "\"groups\"",
        "groupid",
        Merge::Insert,
        &["groupid", "groupname"],
        |c, r| {
            Ok(Some(vec![
                r.int("groupid")?.into(),
                c.collation_name(r, "groupname")?.into(),
            ]))
        },
    );
    for (name, columns, parents) in [
        (
            "assigned_groups",
            &["groupid", "uid"][..],
            [("groupid", &groups, "group"), ("uid", &uids, "account")],
        ),
        (
            "managers",
            &["managerid", "employeeid"],
            [
                ("managerid", &uids, "account"),
                ("employeeid", &uids, "account"),
            ],
        ),
        (
            "assigned_permissions",
            &["uid", "permid"],
            [("uid", &uids, "account"), ("permid", &perms, "permission")],
        ),
    ] {
        c.table(t(name), name, "", Merge::Insert, columns, |c, r| {
            let mut values = Vec::new();
            for (column, known, what) in &parents {
                let id = r.int(column)?;
                if !known.contains(&id) {
                    return Ok(c.orphan(r, &format!("{column} {id}: no such {what}")));
                }
                values.push(id.into());
            }
            Ok(Some(values))
        });
    }
    c.api_keys(t("apikeys"), keep_key_types);
    c.table(
        t("apppasswords"),
        "apppasswords",
        "passid",
        Merge::Insert,
        &["passid", "hash", "uid", "description"],
        |c, r| {
            let Some(uid) = c.owner(r, &uids)? else {
                return Ok(None);
            };
            Ok(Some(vec![
                r.int("passid")?.into(),
                r.text("hash")?.into(),
                uid.into(),
                r.text("description")?.into(),
            ]))
        },
    );
    c.table(
        t("mobile_codes"),
        "mobile_codes",
        "codeid",
        Merge::Insert,
        &["codeid", "uid", "code", "description"],
        |c, r| {
            let Some(uid) = c.owner(r, &uids)? else {
                return Ok(None);
            };
            Ok(Some(vec![
                r.int("codeid")?.into(),
                uid.into(),
                r.text("code")?.into(),
                r.text("description")?.into(),
            ]))
        },
    );
    c.table(
        t("notifications"),
        "notifications",
        "notificationid",
        Merge::Insert,
        &[
            "notificationid",
            "uid",
            "timestamp",
            "title",
            "content",
            "url",
            "seen",
            "sensitive",
            "appid",
        ],
        |c, r| {
            let Some(uid) = c.owner(r, &uids)? else {
                return Ok(None);
            };
            Ok(Some(vec![
                r.int("notificationid")?.into(),
                uid.into(),
                c.time(r, "timestamp")?.into(),
                r.text("title")?.into(),
                r.text("content")?.into(),
                r.text("url")?.into(),
                r.flag("seen")?.into(),
                r.flag("sensitive")?.into(),
                r.opt_text("appid").into(),
            ]))
        },
    );
    c.table(
        t("userkeys"),
        "userkeys",
        "uid",
        Merge::Insert,
        &["uid", "\"key\"", "created", "typeid"],
        |c, r| {
            let Some(uid) = c.owner(r, &uids)? else {
                return Ok(None);
            };
            let created = match r.opt_text("created") {
                Some(_) => Some(c.time(r, "created")?),
                None => None,
            };
            Ok(Some(vec![
                uid.into(),
                r.text("key")?.into(),
                created.into(),
                r.int("typeid")?.into(),
            ]))
        },
    );
    c.table(
        t("authlog"),
        "authlog",
        "logid",
        Merge::Insert,
        &["logid", "logtime", "logtype", "uid", "ip", "otherdata"],
        |c, r| {
            let logtype = r.int("logtype")?;
            if !logtypes.contains(&logtype) {
                return Ok(c.orphan(r, &format!("logtype {logtype}: no such log type")));
            }
            let uid = match r.opt_int("uid")? {
                Some(uid) if !uids.contains(&uid) => {
                    c.note(
                        r,
                        format!("uid {uid}: no such account; logged without a user"),
                    );
                    None
                }
                uid => uid,
            };
            Ok(Some(vec![
                r.int("logid")?.into(),
                c.time(r, "logtime")?.into(),
                logtype.into(),
                uid.into(),
                r.opt_text("ip").into(),
                r.opt_text("otherdata").into(),
            ]))
        },
    );
    c.out
}

/// The ids in one column of a table (unparseable ones left out; their rows fail later).
fn ids(table: &Table, column: &str) -> HashSet<i64> {
    let Some(at) = table.column(column) else {
        return HashSet::new();
    };
    table
        .rows
        .iter()
        .filter_map(|r| r[at].as_deref()?.trim().parse().ok())
        .collect()
}

/// One source row with typed access to its columns; errors name the column.
struct Row<'a> {
    table: &'a Table,
    cells: &'a [Option<String>],
    /// "row N (id K)", for messages.
    label: String,
}

impl Row<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        self.table
            .column(column)
            .and_then(|at| self.cells[at].as_deref())
    }

    fn text(&self, column: &str) -> Result<String, String> {
        self.get(column)
            .map(str::to_string)
            .ok_or_else(|| format!("{column} is NULL"))
    }

    fn opt_text(&self, column: &str) -> Option<String> {
        self.get(column).map(str::to_string)
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, String> {
        self.get(column)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| format!("{column} {v:?} is not an integer"))
            })
            .transpose()
    }

    fn int(&self, column: &str) -> Result<i64, String> {
        self.opt_int(column)?
            .ok_or_else(|| format!("{column} is NULL"))
    }

    /// A TINYINT(1): 0 is false, any other integer true.
    fn flag(&self, column: &str) -> Result<i64, String> {
        Ok(i64::from(self.int(column)? != 0))
    }
}

struct Converter {
    out: Converted,
    tz: Tz,
}

impl Converter {
    fn problem(&mut self, table: &str, row: &str, message: String, fatal: bool) {
        self.out.problems.push(Problem {
            table: table.to_string(),
            row: row.to_string(),
            message,
            fatal,
        });
    }

    /// A non-fatal change to the row being converted.
    fn note(&mut self, r: &Row, message: String) {
        let table = self.current_table();
        self.problem(&table, &r.label, message, false);
    }

    fn current_table(&self) -> String {
        self.out
            .batches
            .last()
            .map(|b| b.table.trim_matches('"').to_string())
            .unwrap_or_default()
    }

    /// Skips a row whose parent is missing; always `None`, for `return Ok(c.orphan(..))`.
    fn orphan(&mut self, r: &Row, why: &str) -> Option<Vec<Value>> {
        let table = self.current_table();
        self.out.counts.entry(table.clone()).or_default().skipped += 1;
        self.problem(
            &table,
            &r.label,
            format!("skipped: {why} (orphan row)"),
            false,
        );
        None
    }

    /// The row's `uid` if that account exists, else the row is skipped as an orphan.
    fn owner(&mut self, r: &Row, uids: &HashSet<i64>) -> Result<Option<i64>, String> {
        let uid = r.int("uid")?;
        if uids.contains(&uid) {
            Ok(Some(uid))
        } else {
            self.orphan(r, &format!("uid {uid}: no such account"));
            Ok(None)
        }
    }

    /// Converts the rows of one table into a batch; `row` gives the target values, `None`
    /// to skip (it reports why), or an error that makes the row fatal.
    fn table(
        &mut self,
        table: &Table,
        target: &'static str,
        id: &str,
        merge: Merge,
        columns: &'static [&'static str],
        mut row: impl FnMut(&mut Converter, &Row) -> Result<Option<Vec<Value>>, String>,
    ) {
        let name = target.trim_matches('"');
        self.out.batches.push(Batch {
            table: target,
            columns,
            merge,
            rows: Vec::new(),
        });
        for (n, cells) in table.rows.iter().enumerate() {
            let mut label = format!("row {}", n + 1);
            if let Some(Some(v)) = table.column(id).map(|at| &cells[at]) {
                label.push_str(&format!(" ({id} {v})"));
            }
            let r = Row {
                table,
                cells,
                label,
            };
            match row(self, &r) {
                Ok(Some(values)) => {
                    if let Some(batch) = self.out.batches.last_mut() {
                        batch.rows.push((r.label.clone(), values));
                    }
                }
                Ok(None) => {}
                Err(e) => self.problem(name, &r.label, e, true),
            }
        }
        self.counter_gap(table, name, id);
    }

    /// Reports ids the source had handed out to rows since deleted: accounthub continues
    /// after the highest id present, so those may be given again.
    fn counter_gap(&mut self, table: &Table, name: &str, id: &str) {
        let (Some(next), false) = (table.next_id, id.is_empty()) else {
            return;
        };
        let top = ids(table, id).into_iter().max().unwrap_or(0);
        if next > top + 1 {
            self.problem(
                name,
                "",
                format!(
                    "the source's next id was {next} but its highest row is {top}: new rows \
                     continue at {}, so ids {}..{} of rows deleted in the source can come back",
                    top + 1,
                    top + 1,
                    next - 1
                ),
                false,
            );
        }
    }

    /// A name compared with MySQL's `_ci` collation, which ignores trailing spaces: they are
    /// trimmed (SQLite's NOCASE would keep them significant), and non-ASCII letters noted,
    /// because NOCASE folds only ASCII.
    fn collation_name(&mut self, r: &Row, column: &str) -> Result<String, String> {
        let raw = r.text(column)?;
        let name = raw.trim_end_matches(' ').to_string();
        if name != raw {
            self.note(
                r,
                format!("{column} {raw:?}: trailing spaces removed (MySQL ignored them)"),
            );
        }
        if !name.is_ascii() && name.chars().any(char::is_alphabetic) {
            self.note(
                r,
                format!(
                    "{column} {name:?}: non-ASCII letters now match only in the same case \
                     and accents (MySQL's collation folded them)"
                ),
            );
        }
        Ok(name)
    }

    /// A local DATETIME in the original's zone as stored UTC text. Zero and impossible
    /// dates (the schema allowed them) are kept as written, which is also how they are
    /// shown again; times in a DST gap are read with the offset before the gap; times
    /// in the repeated hour take its first pass. Each such case is reported.
    fn time(&mut self, r: &Row, column: &str) -> Result<String, String> {
        let text = r.text(column)?;
        let Ok(naive) = NaiveDateTime::parse_from_str(&text, clock::FORMAT) else {
            self.note(
                r,
                format!("{column} {text:?} is not a valid date; kept as written"),
            );
            return Ok(text);
        };
        let tz = self.tz;
        let utc = match tz.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(first, _) => {
                self.note(
                    r,
                    format!("{column} {text} occurs twice in {tz} (DST ends); took the first"),
                );
                first.with_timezone(&Utc)
            }
            chrono::LocalResult::None => {
                let before = naive - Duration::hours(3);
                let offset = tz
                    .from_local_datetime(&before)
                    .earliest()
                    .map(|t| t.naive_local() - t.naive_utc())
                    .unwrap_or_default();
                self.note(
                    r,
                    format!(
                        "{column} {text} does not exist in {tz} (DST starts); \
                         read with the offset before the change"
                    ),
                );
                Utc.from_utc_datetime(&(naive - offset))
            }
        };
        Ok(utc.format(clock::FORMAT).to_string())
    }

    fn accounts(&mut self, table: &Table, statuses: &HashSet<i64>, types: &HashSet<i64>) {
        self.table(
            table,
            "accounts",
            "uid",
            Merge::Insert,
            &[
                "uid",
                "username",
                "password",
                "realname",
                "email",
                "authsecret",
                "pin",
                "phone1",
                "phone2",
                "acctstatus",
                "accttype",
                "deleted",
            ],
            |c, r| {
                let username = c.collation_name(r, "username")?;
                let password = r.opt_text("password");
                match password.as_deref() {
                    None | Some("") => c.note(
                        r,
                        "no password: this account can log in only after `accounthub user passwd`"
                            .into(),
                    ),
                    Some(h) if !usable_hash(h) => c.note(
                        r,
                        "the password hash is not bcrypt or PBKDF2 and will never verify; \
                         set a new one with `accounthub user passwd`"
                            .into(),
                    ),
                    Some(_) => {}
                }
                let pin = match r.opt_text("pin").filter(|p| !p.is_empty()) {
                    Some(p) if p.len() <= PIN_MAX && p.bytes().all(|b| b.is_ascii_digit()) => {
                        let index = c.out.batches.last().map_or(0, |b| b.rows.len());
                        c.out.pins.push((index, p));
                        Value::Null
                    }
                    Some(p) => {
                        c.note(
                            r,
                            format!(
                                "PIN of {} characters is not 1 to {PIN_MAX} digits: not \
                                 imported, the user needs a new one",
                                p.chars().count()
                            ),
                        );
                        Value::Null
                    }
                    None => Value::Null,
                };
                Ok(Some(vec![
                    r.int("uid")?.into(),
                    username.into(),
                    password.into(),
                    r.text("realname")?.into(),
                    r.opt_text("email").into(),
                    r.opt_text("authsecret").into(),
                    pin,
                    r.text("phone1")?.into(),
                    r.text("phone2")?.into(),
                    known(r.int("acctstatus")?, statuses, "acctstatus")?.into(),
                    known(r.int("accttype")?, types, "accttype")?.into(),
                    r.flag("deleted")?.into(),
                ]))
            },
        );
    }

    fn api_keys(&mut self, table: &Table, keep_types: bool) {
        let mut keys = Vec::new();
        self.table(
            table,
            "apikeys",
            "",
            Merge::Insert,
            &["\"key\"", "notes", "type", "hashed", "censored"],
            |_, r| {
                let key = r.text("key")?;
                let declared = r.opt_text("type").unwrap_or_else(|| "FULL".into());
                let stored = if keep_types {
                    declared.clone()
                } else {
                    "FULL".into()
                };
                keys.push(format!(
                    "{}: declared {declared}, imported as {stored}",
                    secrets::censor(&key)
                ));
                Ok(Some(vec![
                    secrets::sha256_hex(key.as_bytes()).into(),
                    r.opt_text("notes").into(),
                    stored.into(),
                    1.into(),
                    secrets::censor(&key).into(),
                ]))
            },
        );
        self.out.keys = keys;
    }
}

/// `id` if the table it refers to has it (the original's foreign keys were not always on).
fn known(id: i64, ids: &HashSet<i64>, column: &str) -> Result<i64, String> {
    if ids.contains(&id) {
        Ok(id)
    } else {
        Err(format!("{column} {id} does not exist in table `{column}`"))
    }
}

/// Whether accounthub can verify a stored password hash.
fn usable_hash(hash: &str) -> bool {
    ["$2y$", "$2a$", "$2b$", "$pbkdf2-sha256$"]
        .iter()
        .any(|p| hash.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Tables {
        let mut tables: Tables = source::KNOWN
            .iter()
            .map(|(n, c)| {
                let table = Table {
                    columns: c.iter().map(|c| c.to_string()).collect(),
                    ..Table::default()
                };
                (n.to_string(), table)
            })
            .collect();
        let rows = |t: &mut Table, rows: &[&[Option<&str>]]| {
            t.rows = rows
                .iter()
                .map(|r| r.iter().map(|c| c.map(str::to_string)).collect())
                .collect();
        };
        let s = Some;
        rows(
            tables.get_mut("accounts").unwrap(),
            &[
                &[
                    s("1"),
                    s("Ann "),
                    s("$2y$10$x"),
                    s("Ann"),
                    None,
                    None,
                    s("0010"),
                    s(""),
                    s(""),
                    s("1"),
                    s("1"),
                    s("0"),
                ],
                &[
                    s("2"),
                    s("bob"),
                    None,
                    s("Bob"),
                    None,
                    None,
                    s("1e5"),
                    s(""),
                    s(""),
                    s("1"),
                    s("1"),
                    s("1"),
                ],
            ],
        );
        rows(
            tables.get_mut("notifications").unwrap(),
            &[
                &[
                    s("1"),
                    s("1"),
                    s("2021-11-07 01:30:00"),
                    s("t"),
                    s("c"),
                    s(""),
                    s("1"),
                    s("0"),
                    None,
                ],
                &[
                    s("2"),
                    s("1"),
                    s("2021-03-14 02:30:00"),
                    s("t"),
                    s("c"),
                    s(""),
                    s("0"),
                    s("1"),
                    None,
                ],
                &[
                    s("3"),
                    s("1"),
                    s("0000-00-00 00:00:00"),
                    s("t"),
                    s("c"),
                    s(""),
                    s("0"),
                    s("0"),
                    None,
                ],
                &[
                    s("4"),
                    s("9"),
                    s("2021-07-04 15:30:05"),
                    s("t"),
                    s("c"),
                    s(""),
                    s("0"),
                    s("0"),
                    None,
                ],
                &[
                    s("5"),
                    s("1"),
                    s("2021-07-04 15:30:05"),
                    s("t"),
                    s("c"),
                    s(""),
                    s("2"),
                    s("0"),
                    None,
                ],
            ],
        );
        tables.get_mut("notifications").unwrap().next_id = Some(40);
        rows(
            tables.get_mut("acctstatus").unwrap(),
            &[&[s("1"), s("NORMAL")]],
        );
        rows(
            tables.get_mut("accttypes").unwrap(),
            &[&[s("1"), s("LOCAL")]],
        );
        rows(
            tables.get_mut("apikeys").unwrap(),
            &[&[s("abcdefgh"), None, s("READ")]],
        );
        rows(
            tables.get_mut("onetimekeys").unwrap(),
            &[&[s("123456"), s("1"), s("2021-01-01 00:00:00")]],
        );
        tables
    }

    fn batch<'a>(c: &'a Converted, table: &str) -> &'a Batch {
        c.batches.iter().find(|b| b.table == table).unwrap()
    }

    fn said(c: &Converted, needle: &str) -> bool {
        c.problems
            .iter()
            .any(|p| format!("{} {}: {}", p.table, p.row, p.message).contains(needle))
    }

    #[test]
    fn pitfalls_of_real_installs_each_have_a_reported_outcome() {
        let tz: Tz = "America/Denver".parse().unwrap();
        let c = convert(&tables(), tz, false);
        assert!(c.problems.iter().all(|p| !p.fatal), "{:?}", c.problems);
        let accounts = batch(&c, "accounts");
        assert_eq!(accounts.rows[0].1[1], Value::from("Ann".to_string()));
        assert!(said(
            &c,
            "accounts row 1 (uid 1): username \"Ann \": trailing spaces removed"
        ));
        assert_eq!(
            c.pins,
            [(0, "0010".to_string())],
            "leading zeros kept, 1e5 dropped"
        );
        assert!(said(&c, "accounts row 2 (uid 2): PIN of 3 characters"));
        assert!(said(&c, "accounts row 2 (uid 2): no password"));
        assert_eq!(accounts.rows[1].1[11], Value::from(1));
        let times: Vec<Value> = batch(&c, "notifications")
            .rows
            .iter()
            .map(|r| r.1[2].clone())
            .collect();
        let text = |s: &str| Value::from(s.to_string());
        // MDT (-6) for the first pass of the repeated hour, MST (-7) before the gap.
        assert_eq!(times[0], text("2021-11-07 07:30:00"));
        assert_eq!(times[1], text("2021-03-14 09:30:00"));
        assert_eq!(times[2], text("0000-00-00 00:00:00"));
        assert_eq!(times[3], text("2021-07-04 21:30:05"), "summer: MDT");
        assert!(
            said(&c, "occurs twice") && said(&c, "does not exist") && said(&c, "kept as written")
        );
        assert!(said(
            &c,
            "notifications row 4 (notificationid 4): skipped: uid 9"
        ));
        assert_eq!(
            batch(&c, "notifications").rows[3].1[6],
            Value::from(1),
            "seen 2 is true"
        );
        assert!(said(&c, "next id was 40 but its highest row is 5"));
        assert_eq!(c.counts["notifications"].skipped, 1);
        assert_eq!(c.counts["onetimekeys"].skipped, 1);
        let key = &batch(&c, "apikeys").rows[0].1;
        assert_eq!(key[0], text(&secrets::sha256_hex(b"abcdefgh")));
        assert_eq!(key[2], text("FULL"));
        assert_eq!(c.keys, ["ab…gh (≤8): declared READ, imported as FULL"]);
        let kept = convert(&tables(), tz, true);
        assert_eq!(batch(&kept, "apikeys").rows[0].1[2], text("READ"));
    }

    #[test]
    fn rows_that_cannot_be_taken_and_unknown_schemas_are_fatal() {
        let tz: Tz = "UTC".parse().unwrap();
        let mut t = tables();
        t.get_mut("accounts").unwrap().rows[1][3] = None;
        t.get_mut("accounts").unwrap().rows[0][9] = Some("7".into());
        let c = convert(&t, tz, false);
        let fatal: Vec<String> = c
            .problems
            .iter()
            .filter(|p| p.fatal)
            .map(|p| format!("{} {}: {}", p.table, p.row, p.message))
            .collect();
        assert_eq!(
            fatal,
            [
                "accounts row 1 (uid 1): acctstatus 7 does not exist in table `acctstatus`",
                "accounts row 2 (uid 2): realname is NULL"
            ]
        );
        t.remove("accounts");
        let c = convert(&t, tz, false);
        assert!(c.problems[0].fatal && c.problems[0].message.contains("`accounts` is missing"));
        assert!(c.batches.is_empty());
    }
}
