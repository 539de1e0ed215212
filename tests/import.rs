//! `accounthub import` against a real MariaDB holding the PHP original's schema, filled the
//! way the original filled it (bcrypt from PHP's password_hash, plaintext PINs, keys and
//! sync codes, local times): imported live and from a mysqldump of the same database,
//! then checked through nginx; refusals; and Debian's own SQLite 3.40 tools writing the
//! imported file while usersearch follows.

mod common;

use std::process::Command;

use accounthub::totp;
use common::mariadb::MariaDb;
use common::{Options, Service};
use serde_json::{Value, json};

const OLD_KEY: &str = "Kq3vTgW8mZrP0aLxY2nB5cHdE7fJ9sUo";
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const SYNC_CODE: &str = "0A1B2C3D4E5F60718293";
const BOB_APP_PASSWORD: &str = "ABCDE-12345-F0A1B-C2D3E";
const ZONE: &str = "America/Denver";

/// A bcrypt hash of `cost` made by PHP itself, as the original stored passwords.
fn php_hash(password: &str, cost: u32) -> String {
    let out = Command::new("php")
        .args([
            "-r",
            "echo password_hash($argv[1], PASSWORD_BCRYPT, ['cost' => (int) $argv[2]]);",
            password,
            &cost.to_string(),
        ])
        .output()
        .expect("run php (is php-cli installed?)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hash = String::from_utf8(out.stdout).unwrap();
    assert!(hash.starts_with(&format!("$2y${cost:02}$")), "{hash}");
    hash
}

/// Fills `database` like a PHP AccountHub in use: four people, groups, managers, custom
/// permissions, an API key declared READ, app passwords, a sync code, notifications and
/// log rows in local time around DST changes, short-lived rows, and the orphans and
/// odd values real installs have.
fn fill(db: &MariaDb, database: &str) {
    db.create_original(database);
    let (alice, bob, carol) = (
        php_hash("alice-pass", 10),
        php_hash("bob-pass", 4),
        php_hash("carol-pass", 4),
    );
    let bob_app = php_hash(BOB_APP_PASSWORD, 4);
    db.sql(
        database,
        &format!(
            "SET SESSION sql_mode = 'ALLOW_INVALID_DATES'; SET FOREIGN_KEY_CHECKS = 0;
             INSERT INTO accounts VALUES
               (1, 'alice', '{alice}', 'Alice Quist', 'alice@example.org', NULL, '0010', '555-1', '', 1, 1, 0),
               (2, 'bob', '{bob}', 'Bob O''Brien \\\\ Sons', NULL, '{TOTP_SECRET}', '1e5', '', '555-2', 1, 1, 0),
               (3, 'carol ', '{carol}', 'Carol Quistgaard', 'carol@example.org', '', NULL, '', '', 5, 2, 0),
               (4, 'dave', '{carol}', 'Dave Gone', NULL, NULL, '0000', '', '', 4, 1, 1),
               (7, 'erin', NULL, 'Erin Nopass', NULL, NULL, NULL, '', '', 1, 1, 0);
             INSERT INTO `groups` VALUES (1, 'Staff'), (2, 'Night Shift ');
             INSERT INTO assigned_groups VALUES (1, 1), (1, 2), (2, 3), (1, 99);
             INSERT INTO managers VALUES (1, 2), (1, 3), (99, 1);
             INSERT INTO permissions VALUES (500, 'CUSTOM_PERM', 'Made by ManagePanel');
             INSERT INTO assigned_permissions VALUES (1, 1), (2, 500), (3, 100), (2, 999);
             INSERT INTO apikeys VALUES ('{OLD_KEY}', 'station kiosk', 'READ');
             INSERT INTO apppasswords VALUES (1, '{bob_app}', 2, 'phone mail');
             INSERT INTO mobile_codes VALUES (1, 2, '{SYNC_CODE}', 'phone'), (2, 99, 'FFFF', 'gone');
             INSERT INTO notifications VALUES
               (10, 1, '2021-07-04 15:30:05', 'Summer', 'Hello', '', 0, 0, NULL),
               (11, 1, '2021-11-07 01:30:00', 'Fall back', 'Twice', 'https://example.org/n', 1, 1, NULL),
               (12, 1, '0000-00-00 00:00:00', 'Zero date', 'Never', '', 0, 0, NULL),
               (13, 1, '2021-02-30 08:00:00', 'Impossible', 'Day', '', 1, 0, NULL),
               (20, 1, '2021-01-01 00:00:00', 'Deleted later', 'x', '', 0, 0, NULL);
             DELETE FROM notifications WHERE notificationid = 20;
             INSERT INTO authlog VALUES
               (1, '2021-03-14 02:30:00', 1, 1, '192.0.2.1', ''),
               (2, '2021-06-01 12:00:00', 12, 99, '192.0.2.2', 'Key: '),
               (3, '2021-06-01 12:00:01', 77, 1, '192.0.2.3', '');
             INSERT INTO userkeys VALUES (1, 'feedkeyfeedkeyfeedkeyfeedkeyfeedkeyfeedkeyfeedkey12', '2021-05-05 05:05:05', 1);
             INSERT INTO onetimekeys VALUES ('123456', 1, '2021-01-01 00:00:00');
             INSERT INTO userloginkeys VALUES (1, 'loginkey=', '2021-01-01 00:00:00', NULL, 'App', NULL);
             INSERT INTO rate_limit VALUES ('192.0.2.1', '2021-01-01 00:00:00');"
        ),
    );
}

/// A service whose database holds only what `init` creates, in the original's zone.
fn target() -> Service {
    Service::prepare_bare(Options {
        top_config: format!("timezone = \"{ZONE}\""),
        ..Options::default()
    })
}

/// Imports into `s`, which must succeed, and returns the summary.
fn import(s: &Service, args: &[&str]) -> String {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    s.cli_ok(&all)
}

/// `text` of a JSON answer, compact.
fn call(s: &Service, action: &str, args: &[(&str, &str)]) -> Value {
    let r = s.form(action, OLD_KEY, args);
    assert_eq!(r.status, 200, "{action} {args:?}: {}", r.text());
    r.json()
}

/// Everything a migrated install's apps rely on, through nginx with the old API key.
fn assert_migrated(s: &Service) {
    let auth = |u: &str, p: &str, app: &str| {
        call(
            s,
            "auth",
            &[("username", u), ("password", p), ("apppass", app)],
        )["status"]
            .clone()
    };
    assert_eq!(auth("alice", "alice-pass", ""), "OK");
    assert_eq!(auth("alice", "wrong", ""), "ERROR");
    assert_eq!(
        auth("carol", "carol-pass", ""),
        "OK",
        "trailing space trimmed"
    );
    assert_eq!(
        auth("dave", "carol-pass", ""),
        "ERROR",
        "deleted stays deleted"
    );
    // bob has 2FA: with apppass set, only his app password is accepted.
    assert_eq!(auth("bob", BOB_APP_PASSWORD, "1"), "OK");
    assert_eq!(auth("bob", "bob-pass", "1"), "ERROR");
    assert_eq!(auth("bob", "bob-pass", ""), "OK");

    let key = totp::decode_secret(TOTP_SECRET).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let code = totp::code_at_step(&key, totp::step_of(now));
    assert_eq!(
        call(s, "verifytotp", &[("username", "bob"), ("code", &code)])["valid"],
        true
    );
    assert_eq!(call(s, "hastotp", &[("username", "carol")])["otp"], false);

    let pin = |u: &str, p: &str| call(s, "checkpin", &[("username", u), ("pin", p)]);
    assert_eq!(pin("alice", "0010")["pinvalid"], true, "leading zeros kept");
    assert_eq!(pin("alice", "10")["pinvalid"], false);
    assert_eq!(
        pin("bob", "1e5")["nopinset"],
        true,
        "a PIN accounthub cannot take"
    );

    assert_eq!(
        call(
            s,
            "mobilevalid",
            &[("username", "bob"), ("code", SYNC_CODE)]
        )["valid"],
        true
    );

    assert_eq!(
        call(s, "getgroupsbyuser", &[("username", "carol")])["groups"],
        json!([{"id": "2", "name": "Night Shift"}])
    );
    let groups = call(s, "getgroups", &[]);
    assert_eq!(
        serde_json::to_string(&groups["groups"]).unwrap(),
        r#"[{"id":"2","name":"Night Shift"},{"id":"1","name":"Staff"}]"#
    );
    assert_eq!(
        call(s, "getusersbygroup", &[("gid", "1"), ("get", "username")])["users"],
        json!(["alice", "bob"])
    );
    assert_eq!(
        call(
            s,
            "getmanaged",
            &[("username", "alice"), ("get", "username")]
        )["employees"],
        json!(["bob", "carol"])
    );
    assert_eq!(
        call(s, "getmanagers", &[("username", "carol")])["managers"],
        json!(["1"])
    );
    let perm = |u: &str, c: &str| call(s, "permission", &[("username", u), ("code", c)]);
    assert_eq!(perm("alice", "ANYTHING")["has_permission"], true, "ADMIN");
    assert_eq!(perm("bob", "CUSTOM_PERM")["has_permission"], true);
    assert_eq!(perm("bob", "INV_VIEW")["has_permission"], false);
    assert_eq!(perm("carol", "INV_VIEW")["has_permission"], true);

    // Local times come back exactly as the rows say, DST and zero dates included.
    let list = call(s, "getnotifications", &[("username", "alice")]);
    let shown: Vec<(i64, String, bool, bool)> = list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["id"].as_i64().unwrap(),
                n["timestamp"].as_str().unwrap().to_string(),
                n["seen"].as_bool().unwrap(),
                n["sensitive"].as_bool().unwrap(),
            )
        })
        .collect();
    let row = |id, t: &str, seen, sensitive| (id, t.to_string(), seen, sensitive);
    assert_eq!(
        shown,
        [
            row(10, "2021-07-04 15:30:05", false, false),
            row(12, "0000-00-00 00:00:00", false, false),
            row(11, "2021-11-07 01:30:00", true, true),
            row(13, "2021-02-30 08:00:00", true, false),
        ]
    );
    // The old key was READ but is FULL now (the original never enforced types); the next
    // notification id continues after the source's rows.
    let added = call(
        s,
        "addnotification",
        &[
            ("username", "alice"),
            ("title", "New"),
            ("content", "After the move"),
        ],
    );
    assert_eq!(added["status"], "OK", "{added}");
    assert!(added["id"].as_i64().unwrap() > 13, "{added}");

    let found = call(s, "usersearch", &[("search", "quist")]);
    assert_eq!(
        serde_json::to_string(&found["result"]).unwrap(),
        r#"[{"uid":"1","username":"alice","name":"Alice Quist"},{"uid":"3","username":"carol","name":"Carol Quistgaard"}]"#
    );
}

#[test]
fn live_and_dump_imports_carry_every_credential_over() {
    let db = MariaDb::start();
    fill(&db, "ah");

    let mut live = target();
    let checked = import(&live, &[&db.url("ah"), "--check", "--timezone", ZONE]);
    assert!(
        checked.contains("check passed, nothing changed"),
        "{checked}"
    );
    let count = |s: &Service| -> i64 {
        s.db()
            .query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(&live), 0, "--check changes nothing");
    let summary = import(&live, &[&db.url("ah"), "--timezone", ZONE]);
    for expected in [
        "note: accounts row 3 (uid 3): username \"carol \": trailing spaces removed",
        "note: accounts row 2 (uid 2): PIN of 3 characters is not 1 to 8 digits",
        "note: accounts row 5 (uid 7): no password",
        "note: notifications row 2 (notificationid 11): timestamp 2021-11-07 01:30:00 occurs twice",
        "note: notifications: the source's next id was 21 but its highest row is 13",
        "note: authlog row 1 (logid 1): logtime 2021-03-14 02:30:00 does not exist",
        "note: authlog row 2 (logid 2): uid 99: no such account; logged without a user",
        "note: authlog row 3 (logid 3): skipped: logtype 77: no such log type",
        "note: assigned_groups row 3: skipped: uid 99: no such account (orphan row)",
        "note: managers row 3: skipped: managerid 99: no such account (orphan row)",
        "note: assigned_permissions row 3: skipped: permid 999: no such permission",
        "note: mobile_codes row 2 (codeid 2): skipped: uid 99",
        "api key Kq…Uo (≤32): declared READ, imported as FULL",
        "onetimekeys                   1         0        1  skipped: one-time login codes",
        "accounts                      5         5        0",
        "imported in ",
    ] {
        assert!(
            summary.contains(expected),
            "{expected:?} missing from:\n{summary}"
        );
    }

    let dump_path = db.dir.0.join("ah.sql");
    let dump = db.dump("ah");
    assert!(dump.starts_with("/*M!999999\\- enable the sandbox mode */"));
    std::fs::write(&dump_path, dump).unwrap();
    let mut from_dump = target();
    let summary = import(&from_dump, &["--dump", dump_path.to_str().unwrap()]);
    assert!(
        summary.contains("accounts                      5         5        0"),
        "{summary}"
    );

    // Both readers produce the same rows (PIN hashes aside: each has its own salt), and
    // bcrypt hashes are kept verbatim until their first login.
    let rows = |s: &Service, sql: &str| -> Vec<String> {
        let c = s.db();
        let mut stmt = c.prepare(sql).unwrap();
        let width = stmt.column_count();
        stmt.query_map([], |r| {
            Ok((0..width)
                .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                .collect::<Vec<_>>()
                .join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    for sql in [
        "SELECT uid, username, password, realname, email, authsecret, pin IS NULL, phone1, phone2,
                acctstatus, accttype, deleted FROM accounts ORDER BY uid",
        "SELECT * FROM notifications WHERE notificationid < 14 ORDER BY notificationid",
        "SELECT * FROM authlog ORDER BY logid",
        "SELECT * FROM permissions ORDER BY permid",
        "SELECT \"key\", type, censored FROM apikeys",
        "SELECT * FROM userkeys",
    ] {
        assert_eq!(rows(&live, sql), rows(&from_dump, sql), "{sql}");
    }
    assert_eq!(
        rows(&live, "SELECT logtime, uid FROM authlog ORDER BY logid"),
        [
            "Text(\"2021-03-14 09:30:00\")|Integer(1)",
            "Text(\"2021-06-01 18:00:00\")|Null"
        ],
        "UTC, and the orphan uid dropped"
    );
    let hash: String = live
        .db()
        .query_row("SELECT password FROM accounts WHERE uid = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(hash.starts_with("$2y$10$"), "{hash}");
    for s in [&mut live, &mut from_dump] {
        s.start_responder();
        s.start_nginx();
        assert_migrated(s);
    }
}

#[test]
fn non_empty_targets_unknown_schemas_and_broken_rows_are_refused_whole() {
    let db = MariaDb::start();
    fill(&db, "ah");
    let dump_path = db.dir.0.join("ah.sql");
    std::fs::write(&dump_path, db.dump("ah")).unwrap();
    let dump = dump_path.to_str().unwrap();
    let accounts = |s: &Service| -> i64 {
        s.db()
            .query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))
            .unwrap()
    };

    // A target with keys of its own is not empty; --replace overwrites it.
    let used = Service::prepare(Options {
        top_config: format!("timezone = \"{ZONE}\""),
        ..Options::default()
    });
    let out = used.cli(&["import", "--dump", dump], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        text.contains("the target database is not empty (apikeys: 4 rows); use --replace"),
        "{text}"
    );
    assert_eq!(accounts(&used), 0);
    import(&used, &["--dump", dump, "--replace"]);
    assert_eq!(accounts(&used), 5);
    let keys: i64 = used
        .db()
        .query_row("SELECT count(*) FROM apikeys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(keys, 1, "only the original's key is left");

    // A dump of some other application.
    db.sql("", "CREATE DATABASE shop;");
    db.sql(
        "shop",
        "CREATE TABLE accounts (id INT PRIMARY KEY, name VARCHAR(20));
         INSERT INTO accounts VALUES (1, 'x');",
    );
    let shop = db.dir.0.join("shop.sql");
    std::fs::write(&shop, db.dump("shop")).unwrap();
    let empty = target();
    let out = empty.cli(&["import", "--dump", shop.to_str().unwrap()], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        text.contains("error: not a PHP AccountHub 2.x database"),
        "{text}"
    );
    assert!(text.contains("`accounts` has columns (id, name)"), "{text}");
    assert_eq!(accounts(&empty), 0);

    // Rows that break a constraint (loaded with foreign-key checks off, or made equal by
    // trimming): every one is named, and nothing at all is imported.
    fill(&db, "broken");
    db.sql(
        "broken",
        "SET FOREIGN_KEY_CHECKS = 0;
         INSERT INTO accounts VALUES (8, 'frank', NULL, 'Frank', NULL, NULL, NULL, '', '', 9, 1, 0);
         ALTER TABLE `groups` DROP INDEX groupname_UNIQUE;
         INSERT INTO `groups` VALUES (3, 'Night Shift');",
    );
    let broken = db.url("broken");
    for extra in [&["--check"][..], &[]] {
        let mut args = vec!["import", broken.as_str()];
        args.extend_from_slice(extra);
        let out = empty.cli(&args, None);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{text}");
        assert!(
            text.contains("error: accounts row 6 (uid 8): acctstatus 9 does not exist"),
            "{text}"
        );
        assert!(
            text.contains("error: groups row 3 (groupid 3): refused by the database: UNIQUE"),
            "{text}"
        );
        assert!(text.contains("nothing"), "{text}");
        assert_eq!(accounts(&empty), 0);
    }
}

/// Debian 12's sqlite3 and PHP's pdo_sqlite (both SQLite 3.40) insert, rename and delete
/// accounts in an imported file; usersearch through nginx follows at once.
#[test]
fn debian_sqlite_tools_write_accounts_and_usersearch_follows() {
    let db = MariaDb::start();
    fill(&db, "ah");
    let mut s = target();
    import(&s, &[&db.url("ah"), "--timezone", ZONE]);
    s.start_responder();
    s.start_nginx();
    let file = s.path("accounthub.sqlite");
    let version = Command::new("/usr/bin/sqlite3")
        .arg("--version")
        .output()
        .expect("run /usr/bin/sqlite3 (is sqlite3 installed?)");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("3.40."));
    let sqlite3 = |sql: &str| {
        let out = Command::new("/usr/bin/sqlite3")
            .args(["-cmd", ".timeout 10000"])
            .arg(&file)
            .arg(sql)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "sqlite3 {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let php = |sql: &str| {
        let script = format!(
            "$db = new PDO('sqlite:{}'); $db->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
             $db->exec('PRAGMA busy_timeout = 10000'); $db->exec(\"{sql}\");
             echo $db->query('select sqlite_version()')->fetchColumn();",
            file.display()
        );
        let out = Command::new("php").args(["-r", &script]).output().unwrap();
        assert!(
            out.status.success(),
            "php {sql}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("3.40."));
    };
    let names = |q: &str| -> Vec<String> {
        call(&s, "usersearch", &[("search", q)])["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["username"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("quist"), ["alice", "carol"]);

    sqlite3("INSERT INTO accounts (username, realname) VALUES ('zoe', 'Zoe Quistov');");
    assert_eq!(names("quist"), ["alice", "carol", "zoe"]);
    sqlite3("UPDATE accounts SET realname = 'Alice Brand' WHERE username = 'alice';");
    assert_eq!(names("quist"), ["carol", "zoe"]);
    assert_eq!(names("brand"), ["alice"]);
    sqlite3("DELETE FROM accounts WHERE username = 'zoe';");
    assert_eq!(names("quist"), ["carol"]);

    php("INSERT INTO accounts (username, realname) VALUES ('yan', 'Yan Quistor')");
    assert_eq!(names("quist"), ["carol", "yan"]);
    php("UPDATE accounts SET username = 'yannick', realname = 'Yannick Q' WHERE username = 'yan'");
    assert_eq!(names("quist"), ["carol"]);
    assert_eq!(names("yannick"), ["yannick"]);
    php("UPDATE accounts SET deleted = 1 WHERE username = 'carol'");
    php("DELETE FROM accounts WHERE username = 'yannick'");
    assert!(names("quist").is_empty());
    // Other tables too: a group and a notification written by PHP are served.
    php("INSERT INTO \\\"groups\\\" (groupname) VALUES ('From PHP')");
    assert!(
        call(&s, "groupsearch", &[("search", "from php")])
            .to_string()
            .contains("From PHP")
    );

    // After a reindex the answers are the same.
    s.cli_ok(&["reindex"]);
    assert_eq!(names("brand"), ["alice"]);
    assert!(names("quist").is_empty());
}
