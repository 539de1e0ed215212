//! What both readers (a live server, a mysqldump file) hand to the import step: each table
//! of the PHP original with its column names and its rows as text, which is how MySQL's
//! text protocol and a dump both carry values. Also the original's known table layouts,
//! so an unknown schema is refused before anything is converted.

use std::collections::BTreeMap;

/// One source table.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column names in the source's order.
    pub columns: Vec<String>,
    /// Rows, one text value (or NULL) per column.
    pub rows: Vec<Vec<Option<String>>>,
    /// The table's AUTO_INCREMENT counter: the id the original would have given next.
    pub next_id: Option<i64>,
}

impl Table {
    /// Position of a column, if the table has it.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
    }
}

/// Every table read from the source, by lower-case name.
pub type Tables = BTreeMap<String, Table>;

/// Columns of each table of the original's last schema (2.2), in its order. Tables the
/// original gained in later versions are optional in older installs.
pub const KNOWN: &[(&str, &[&str])] = &[
    ("acctstatus", &["statusid", "statuscode"]),
    ("accttypes", &["typeid", "typecode"]),
    (
        "accounts",
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
    ),
    ("apikeys", &["key", "notes", "type"]),
    ("groups", &["groupid", "groupname"]),
    ("assigned_groups", &["groupid", "uid"]),
    ("managers", &["managerid", "employeeid"]),
    ("logtypes", &["logtype", "typename"]),
    (
        "authlog",
        &["logid", "logtime", "logtype", "uid", "ip", "otherdata"],
    ),
    ("permissions", &["permid", "permcode", "perminfo"]),
    ("assigned_permissions", &["uid", "permid"]),
    ("mobile_codes", &["codeid", "uid", "code", "description"]),
    ("rate_limit", &["ipaddr", "lastaction"]),
    ("onetimekeys", &["key", "uid", "expires"]),
    (
        "notifications",
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
    ),
    ("userkeytypes", &["typeid", "typename"]),
    ("userkeys", &["uid", "key", "created", "typeid"]),
    (
        "userloginkeys",
        &["id", "key", "expires", "uid", "appname", "appicon"],
    ),
    ("apppasswords", &["passid", "hash", "uid", "description"]),
];

/// Tables every supported install has (schema 2.0 and later); the rest arrived in 2.1/2.2.
const REQUIRED: &[&str] = &[
    "acctstatus",
    "accttypes",
    "accounts",
    "apikeys",
    "groups",
    "assigned_groups",
    "managers",
    "logtypes",
    "authlog",
    "permissions",
    "assigned_permissions",
    "mobile_codes",
    "notifications",
];

/// Tables of schemas before 2.2 that 2.2 dropped; they held nothing the API used.
const RETIRED: &[&str] = &["apps", "available_apps"];

/// Why a source is not an original AccountHub database this import understands, if it is
/// not: a required table missing, or a known table whose columns differ (apikeys without
/// `type` is the 2.1 layout and is accepted). Unknown extra tables are left to the caller.
pub fn unknown_schema(tables: &Tables) -> Option<String> {
    let mut faults = Vec::new();
    for required in REQUIRED {
        if !tables.contains_key(*required) {
            faults.push(format!("table `{required}` is missing"));
        }
    }
    for (name, expected) in KNOWN {
        let Some(table) = tables.get(*name) else {
            continue;
        };
        let have: Vec<String> = table.columns.iter().map(|c| c.to_lowercase()).collect();
        let old_apikeys = *name == "apikeys" && have == ["key", "notes"];
        if have != *expected && !old_apikeys {
            faults.push(format!(
                "table `{name}` has columns ({}), expected ({})",
                have.join(", "),
                expected.join(", ")
            ));
        }
    }
    (!faults.is_empty())
        .then(|| format!("not a PHP AccountHub 2.x database: {}", faults.join("; ")))
}

/// Whether a source table is neither known nor a retired one (reported, not imported).
pub fn is_foreign(name: &str) -> bool {
    !KNOWN.iter().any(|(k, _)| *k == name) && !RETIRED.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(columns: &[&str]) -> Table {
        Table {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            ..Table::default()
        }
    }

    #[test]
    fn the_full_layout_passes_and_a_changed_one_is_named() {
        let mut tables: Tables = KNOWN
            .iter()
            .map(|(n, c)| (n.to_string(), table(c)))
            .collect();
        assert_eq!(unknown_schema(&tables), None);
        tables.insert("apikeys".into(), table(&["key", "notes"]));
        assert_eq!(unknown_schema(&tables), None, "2.1 keys had no type");
        tables.insert("accounts".into(), table(&["uid", "username"]));
        tables.remove("groups");
        let why = unknown_schema(&tables).unwrap();
        assert!(why.contains("`groups` is missing"), "{why}");
        assert!(
            why.contains("`accounts` has columns (uid, username)"),
            "{why}"
        );
        assert!(is_foreign("wp_posts") && !is_foreign("apps") && !is_foreign("accounts"));
    }
}
