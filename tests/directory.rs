//! Directory and notification actions through nginx + FastCGI + a real SQLite file:
//! managers, permissions, groups, searches, notifications, and their admin commands.

mod common;

use common::{Options, Service};
use serde_json::{Value, json};

/// Adds a live account straight into the database (no password hashing); returns its uid.
fn user(s: &Service, username: &str, realname: &str) -> i64 {
    let db = s.db();
    db.execute(
        "INSERT INTO accounts (username, realname) VALUES (?1, ?2)",
        [username, realname],
    )
    .unwrap();
    db.last_insert_rowid()
}

fn delete_user(s: &Service, uid: i64) {
    s.db()
        .execute("UPDATE accounts SET deleted = 1 WHERE uid = ?1", [uid])
        .unwrap();
}

/// Runs an admin command that must fail; returns its stderr.
fn cli_fails(s: &Service, args: &[&str]) -> String {
    let out = s.cli(args, None);
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The exact body text, so key order is checked too.
fn text(s: &Service, key: &str, action: &str, args: &[(&str, &str)]) -> String {
    let r = s.form(action, &s.keys[key], args);
    assert_eq!(r.status, 200, "{action} {args:?}: {}", r.text());
    serde_json::to_string(&r.json()).unwrap()
}

fn bad_request(s: &Service, key: &str, action: &str, args: &[(&str, &str)], var: &str) {
    let r = s.form(action, &s.keys[key], args);
    assert_eq!(
        (r.status, r.text()),
        (
            400,
            format!("400 Bad request: variable {var} is missing or invalid")
        ),
        "{action} {args:?}"
    );
}

fn forbidden(s: &Service, key: &str, action: &str, args: &[(&str, &str)]) {
    let r = s.form(action, &s.keys[key], args);
    assert_eq!(
        (r.status, r.text()),
        (403, "403 Unauthorized".to_string()),
        "{action}"
    );
}

const NO_USER_RAW: &str = r#"{"status":"ERROR","msg":"User does not exist."}"#;
const NO_USER_RESP: &str = r#"{"msg":"User does not exist.","status":"ERROR"}"#;

#[test]
fn managers() {
    let s = Service::start();
    let alice = user(&s, "alice", "Alice A");
    let bob = user(&s, "bob", "Bob B");
    let carol = user(&s, "carol", "Carol C");
    let dave = user(&s, "dave", "Dave D");
    s.cli_ok(&["manager", "add", "alice", "bob"]);
    s.cli_ok(&["manager", "add", "alice", "dave"]);
    s.cli_ok(&["manager", "add", "carol", "bob"]);
    delete_user(&s, dave);
    let (a, b, c, d) = (
        alice.to_string(),
        bob.to_string(),
        carol.to_string(),
        dave.to_string(),
    );

    // ismanagerof, username mode (case-insensitive names) and uid mode.
    let yes = r#"{"status":"OK","managerof":true}"#;
    let no = r#"{"status":"OK","managerof":false}"#;
    let im = |args: &[(&str, &str)]| text(&s, "READ", "ismanagerof", args);
    assert_eq!(im(&[("manager", "Alice"), ("employee", "bob")]), yes);
    assert_eq!(im(&[("manager", "bob"), ("employee", "alice")]), no);
    assert_eq!(im(&[("manager", &a), ("employee", &b), ("uid", "1")]), yes);
    assert_eq!(im(&[("manager", &c), ("employee", &a), ("uid", "1")]), no);
    // uid other than 1 means username mode: the numeric strings are no user names.
    assert_eq!(
        im(&[("manager", &a), ("employee", &b), ("uid", "2")]),
        format!(r#"{{"status":"ERROR","msg":"User does not exist.","user":"{a}"}}"#)
    );
    // Manager checked first, then the employee; the input is echoed as sent.
    assert_eq!(
        im(&[("manager", "Nobody"), ("employee", "nobody2")]),
        r#"{"status":"ERROR","msg":"User does not exist.","user":"Nobody"}"#
    );
    assert_eq!(
        im(&[("manager", "alice"), ("employee", "dave")]),
        r#"{"status":"ERROR","msg":"User does not exist.","user":"dave"}"#
    );
    assert_eq!(
        im(&[("manager", &a), ("employee", &d), ("uid", "1")]),
        format!(r#"{{"status":"ERROR","msg":"User does not exist.","user":"{d}"}}"#)
    );
    assert_eq!(
        im(&[("manager", "x1"), ("employee", &b), ("uid", "1")]),
        r#"{"status":"ERROR","msg":"User does not exist.","user":"x1"}"#
    );
    bad_request(&s, "READ", "ismanagerof", &[("employee", "bob")], "manager");
    bad_request(
        &s,
        "READ",
        "ismanagerof",
        &[("manager", "alice")],
        "employee",
    );
    bad_request(
        &s,
        "READ",
        "ismanagerof",
        &[("manager", "alice"), ("employee", "bob"), ("uid", "x")],
        "uid",
    );

    // getmanaged: uids as strings, or usernames; the deleted employee is gone.
    assert_eq!(
        text(&s, "READ", "getmanaged", &[("uid", &a)]),
        format!(r#"{{"status":"OK","employees":["{b}"]}}"#)
    );
    assert_eq!(
        text(
            &s,
            "READ",
            "getmanaged",
            &[("username", "ALICE"), ("get", "username")]
        ),
        r#"{"status":"OK","employees":["bob"]}"#
    );
    // uid wins over username.
    assert_eq!(
        text(
            &s,
            "READ",
            "getmanaged",
            &[("uid", &b), ("username", "alice")]
        ),
        r#"{"status":"OK","employees":[]}"#
    );
    assert_eq!(
        text(&s, "READ", "getmanagers", &[("username", "bob")]),
        format!(r#"{{"status":"OK","managers":["{a}","{c}"]}}"#)
    );
    for action in ["getmanaged", "getmanagers"] {
        assert_eq!(text(&s, "READ", action, &[("uid", &d)]), NO_USER_RAW);
        assert_eq!(
            text(&s, "READ", action, &[("username", "zed")]),
            NO_USER_RAW
        );
        bad_request(&s, "READ", action, &[], "uid");
        bad_request(&s, "READ", action, &[("uid", "abc")], "uid");
        forbidden(&s, "AUTH", action, &[("uid", &a)]);
    }
    forbidden(
        &s,
        "AUTH",
        "ismanagerof",
        &[("manager", "a"), ("employee", "b")],
    );

    // CLI listing and errors.
    let listed = s.cli_ok(&["manager", "list", "bob"]);
    assert_eq!(
        listed,
        format!("manager\t{a}\talice\nmanager\t{c}\tcarol\n")
    );
    s.cli_ok(&["manager", "remove", "carol", "bob"]);
    assert_eq!(
        text(&s, "READ", "getmanagers", &[("uid", &b)]),
        format!(r#"{{"status":"OK","managers":["{a}"]}}"#)
    );
    assert!(cli_fails(&s, &["manager", "add", "alice", "dave"]).contains("no user \"dave\""));
    cli_fails(&s, &["manager", "add", "alice", "alice"]);
}

#[test]
fn permissions() {
    let s = Service::start();
    let bob = user(&s, "bob", "Bob B").to_string();
    let carol = user(&s, "carol", "Carol C").to_string();
    let gone = user(&s, "gone", "Gone G");
    s.cli_ok(&["perm", "grant", "bob", "qwikclock"]);
    s.cli_ok(&["perm", "grant", "carol", "ADMIN"]);
    s.cli_ok(&["perm", "grant", "gone", "ADMIN"]);
    delete_user(&s, gone);
    let gone = gone.to_string();

    let yes = r#"{"status":"OK","has_permission":true}"#;
    let no = r#"{"status":"OK","has_permission":false}"#;
    let p = |args: &[(&str, &str)]| text(&s, "READ", "permission", args);
    assert_eq!(p(&[("username", "bob"), ("code", "QWIKCLOCK")]), yes);
    assert_eq!(p(&[("uid", &bob), ("code", "qwikClock")]), yes);
    assert_eq!(p(&[("uid", &bob), ("code", "INV_VIEW")]), no);
    // ADMIN grants every code, even unknown ones.
    assert_eq!(p(&[("uid", &carol), ("code", "NO_SUCH_CODE")]), yes);
    // uid wins over username.
    assert_eq!(
        p(&[("uid", &bob), ("username", "carol"), ("code", "X")]),
        no
    );
    assert_eq!(p(&[("uid", &gone), ("code", "ADMIN")]), NO_USER_RAW);
    assert_eq!(p(&[("username", "nobody"), ("code", "ADMIN")]), NO_USER_RAW);
    bad_request(&s, "READ", "permission", &[("code", "X")], "uid");
    bad_request(&s, "READ", "permission", &[("username", "bob")], "code");
    forbidden(
        &s,
        "AUTH",
        "permission",
        &[("username", "bob"), ("code", "X")],
    );
    // JSON bodies work too.
    let r = s.json(&json!({"action": "permission", "key": s.keys["FULL"],
                           "uid": bob.parse::<i64>().unwrap(), "code": "QWIKCLOCK"}));
    assert_eq!(r.json()["has_permission"], json!(true));

    // CLI.
    s.cli_ok(&["perm", "add", "binstack_view", "--info", "See items"]);
    s.cli_ok(&["perm", "grant", &bob, "BINSTACK_VIEW"]);
    assert_eq!(
        s.cli_ok(&["perm", "list", "bob"]),
        "BINSTACK_VIEW\tSee items\nQWIKCLOCK\tAccess QwikClock and punch in/out\n"
    );
    s.cli_ok(&["perm", "revoke", "bob", "qwikclock"]);
    assert_eq!(p(&[("uid", &bob), ("code", "QWIKCLOCK")]), no);
    assert!(
        s.cli_ok(&["perm", "list"])
            .contains("ADMIN\tSystem administrator\n")
    );
    cli_fails(&s, &["perm", "add", "admin"]);
    assert!(cli_fails(&s, &["perm", "grant", "bob", "NOPE"]).contains("NOPE"));
}

#[test]
fn groups() {
    let s = Service::start();
    let ann = user(&s, "ann", "Zoë Ann");
    let ben = user(&s, "ben", "Ben Aaron");
    let cid = user(&s, "cid", "Cid Mid");
    s.db()
        .execute("UPDATE accounts SET pin = 'hash' WHERE uid = ?1", [ben])
        .unwrap();
    for g in ["Warehouse", "Staff", "100%_Sales\\East"] {
        s.cli_ok(&["group", "add", g]);
    }
    for u in ["cid", "ann", "ben"] {
        s.cli_ok(&["group", "assign", "staff", u]);
    }
    s.cli_ok(&["group", "assign", "Warehouse", "cid"]);
    delete_user(&s, cid);
    let db = s.db();
    let gid = |name: &str| -> String {
        db.query_row(
            "SELECT groupid FROM \"groups\" WHERE groupname = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        .to_string()
    };
    let (staff, wh, sales) = (gid("Staff"), gid("Warehouse"), gid("100%_Sales\\East"));

    let all: Value = s.call("READ", "getgroups", &[]);
    assert_eq!(
        all,
        json!({"status": "OK", "groups": [
            {"id": sales, "name": "100%_Sales\\East"},
            {"id": staff, "name": "Staff"},
            {"id": wh, "name": "Warehouse"}]})
    );
    let gs = |q: &str| s.call("READ", "groupsearch", &[("search", q)])["result"].clone();
    assert_eq!(gs("ar"), json!([{"id": wh, "name": "Warehouse"}]));
    assert_eq!(gs("A"), json!([]));
    assert_eq!(gs("STA"), json!([{"id": staff, "name": "Staff"}]));
    assert_eq!(gs("%_"), json!([{"id": sales, "name": "100%_Sales\\East"}]));
    assert_eq!(
        gs("s\\e"),
        json!([{"id": sales, "name": "100%_Sales\\East"}])
    );
    assert_eq!(gs("%%"), json!([]));
    assert_eq!(gs("a_"), json!([]));
    bad_request(&s, "READ", "groupsearch", &[], "search");

    // getusersbygroup: default uids (deleted cid hidden), usernames, details by realname.
    let (a, b) = (ann.to_string(), ben.to_string());
    assert_eq!(
        text(&s, "READ", "getusersbygroup", &[("gid", &staff)]),
        format!(r#"{{"status":"OK","users":["{a}","{b}"]}}"#)
    );
    assert_eq!(
        text(
            &s,
            "READ",
            "getusersbygroup",
            &[("gid", &staff), ("get", "username")]
        ),
        r#"{"status":"OK","users":["ann","ben"]}"#
    );
    assert_eq!(
        text(
            &s,
            "READ",
            "getusersbygroup",
            &[("gid", &staff), ("get", "detail")]
        ),
        format!(
            r#"{{"status":"OK","users":[{{"username":"ben","name":"Ben Aaron","uid":"{b}","pin":true}},{{"username":"ann","name":"Zoë Ann","uid":"{a}","pin":false}}]}}"#
        )
    );
    assert_eq!(
        text(&s, "READ", "getusersbygroup", &[("gid", &wh)]),
        r#"{"status":"OK","users":[]}"#
    );
    assert_eq!(
        text(&s, "READ", "getusersbygroup", &[("gid", "999")]),
        r#"{"msg":"Group does not exist.","status":"ERROR"}"#
    );
    bad_request(&s, "READ", "getusersbygroup", &[("gid", "x")], "gid");

    // getgroupsbyuser: uid or username, 400 names username, deleted user missing.
    let expect = format!(r#"{{"status":"OK","groups":[{{"id":"{staff}","name":"Staff"}}]}}"#);
    assert_eq!(text(&s, "READ", "getgroupsbyuser", &[("uid", &a)]), expect);
    assert_eq!(
        text(&s, "READ", "getgroupsbyuser", &[("username", "ANN")]),
        expect
    );
    let c = cid.to_string();
    assert_eq!(
        text(&s, "READ", "getgroupsbyuser", &[("uid", &c)]),
        NO_USER_RESP
    );
    bad_request(&s, "READ", "getgroupsbyuser", &[], "username");
    forbidden(&s, "AUTH", "getgroups", &[]);
    forbidden(&s, "NONE", "getgroupsbyuser", &[("uid", &a)]);

    // CLI listing, unassign, remove, errors.
    assert_eq!(
        s.cli_ok(&["group", "members", "staff"]),
        format!("{a}\tann\tZoë Ann\n{b}\tben\tBen Aaron\n")
    );
    s.cli_ok(&["group", "unassign", "staff", "ann"]);
    assert_eq!(
        s.call("READ", "getusersbygroup", &[("gid", &staff)])["users"],
        json!([b])
    );
    s.cli_ok(&["group", "remove", "warehouse"]);
    assert_eq!(
        s.cli_ok(&["group", "list"]),
        format!("{sales}\t100%_Sales\\East\n{staff}\tStaff\n")
    );
    cli_fails(&s, &["group", "add", "STAFF"]);
    cli_fails(&s, &["group", "assign", "nope", "ann"]);
    cli_fails(&s, &["group", "assign", "staff", "cid"]);
}

#[test]
fn usersearch() {
    let s = Service::start();
    let jo = user(&s, "jdoe", "John Doe");
    user(&s, "jane", "Jane Doe");
    let gone = user(&s, "dora", "Dora Doe");
    delete_user(&s, gone);
    let zoe = user(&s, "zoe", "Zoë Ünal");
    let pct = user(&s, "pct", "100% real_name\\x");
    user(&s, "other", "100 percent real name x");
    for i in 0..15 {
        user(
            &s,
            &format!("many{i:02}"),
            &format!("Many Person {:02}", 14 - i),
        );
    }
    let us = |q: &str| s.call("READ", "usersearch", &[("search", q)])["result"].clone();

    assert_eq!(
        text(&s, "READ", "usersearch", &[("search", "DOE")]),
        format!(
            r#"{{"status":"OK","result":[{{"uid":"{}","username":"jane","name":"Jane Doe"}},{{"uid":"{jo}","username":"jdoe","name":"John Doe"}}]}}"#,
            jo + 1
        )
    );
    // Username match, too short, characters not bytes, Unicode case folding.
    assert_eq!(us("jdo")[0]["username"], json!("jdoe"));
    assert_eq!(us("do"), json!([]));
    assert_eq!(
        us("ÜNA"),
        json!([{"uid": zoe.to_string(), "username": "zoe", "name": "Zoë Ünal"}])
    );
    assert_eq!(us("oë"), json!([]));
    assert_eq!(us("zoë")[0]["username"], json!("zoe"));
    // LIKE wildcards and backslash are literal.
    let only_pct =
        json!([{"uid": pct.to_string(), "username": "pct", "name": "100% real_name\\x"}]);
    assert_eq!(us("0% r"), only_pct);
    assert_eq!(us("l_n"), only_pct);
    assert_eq!(us("e\\x"), only_pct);
    assert_eq!(us("%%%"), json!([]));
    assert_eq!(us("___"), json!([]));
    assert_eq!(us("\"x\""), json!([]));
    // At most 10, ordered by name.
    let many = us("many");
    let names: Vec<&str> = many
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..10).map(|i| format!("Many Person {i:02}")).collect();
    assert_eq!(names, expected);
    // Renames and undeletes keep the index in step.
    s.db()
        .execute(
            "UPDATE accounts SET realname = 'Renamed', deleted = 0 WHERE uid = ?1",
            [gone],
        )
        .unwrap();
    assert_eq!(us("dora")[0]["name"], json!("Renamed"));
    assert_eq!(us("renamed")[0]["username"], json!("dora"));
    s.db()
        .execute("DELETE FROM accounts WHERE uid = ?1", [gone])
        .unwrap();
    assert_eq!(us("dora"), json!([]));
    // An empty search is OK with no results (the autocomplete handlers crash on a 400).
    assert_eq!(us(""), json!([]));
    forbidden(&s, "AUTH", "usersearch", &[("search", "doe")]);
}

#[test]
fn notifications() {
    let s = Service::start_with(Options {
        top_config: "timezone = \"America/Denver\"".into(),
        ..Default::default()
    });
    let ann = user(&s, "ann", "Ann").to_string();
    let bob = user(&s, "bob", "Bob").to_string();
    let add = |args: &[(&str, &str)]| text(&s, "FULL", "addnotification", args);
    let id_of = |body: String| -> i64 {
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["status"], json!("OK"), "{body}");
        assert!(body.starts_with(r#"{"status":"OK","id":"#), "{body}");
        v["id"].as_i64().unwrap()
    };
    let old = id_of(add(&[
        ("uid", &ann),
        ("title", "Old"),
        ("content", "c1"),
        ("timestamp", "2020-07-04 15:30:05"),
        ("sensitive", "0"),
    ]));
    let newer = id_of(add(&[
        ("username", "ANN"),
        ("title", "Newer"),
        ("content", "c2"),
        ("timestamp", "2021-01-02 03:04:05"),
        ("url", "https://x/y"),
        ("sensitive", "true"),
    ]));
    let same_time = id_of(add(&[
        ("uid", &ann),
        ("title", "Same time, higher id"),
        ("content", "c3"),
        ("timestamp", "2020-07-04 15:30:05"),
    ]));
    let now = id_of(add(&[("uid", &ann), ("title", "Now"), ("content", "c4")]));
    // JSON bodies: int uid and a JSON boolean.
    let r = s.json(&json!({"action": "addnotification", "key": s.keys["FULL"],
        "uid": bob.parse::<i64>().unwrap(), "title": "For Bob", "content": "x", "sensitive": false}));
    let bobs = r.json()["id"].as_i64().unwrap();
    // Stored as UTC.
    let stored: String = s
        .db()
        .query_row(
            "SELECT timestamp FROM notifications WHERE notificationid = ?1",
            [old],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, "2020-07-04 21:30:05");

    assert_eq!(
        text(
            &s,
            "FULL",
            "readnotification",
            &[("uid", &ann), ("id", &newer.to_string())]
        ),
        r#"{"status":"OK"}"#
    );
    // Reading again still succeeds.
    assert_eq!(
        text(
            &s,
            "FULL",
            "readnotification",
            &[("username", "ann"), ("id", &newer.to_string())]
        ),
        r#"{"status":"OK"}"#
    );
    let list = s.call("READ", "getnotifications", &[("username", "ann")]);
    let ids: Vec<i64> = list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![now, same_time, old, newer]);
    let shown = &list["notifications"][3];
    assert_eq!(
        serde_json::to_string(shown).unwrap(),
        format!(
            r#"{{"id":{newer},"timestamp":"2021-01-02 03:04:05","title":"Newer","content":"c2","url":"https://x/y","seen":true,"sensitive":true}}"#
        )
    );
    assert_eq!(
        list["notifications"][2]["timestamp"],
        json!("2020-07-04 15:30:05")
    );
    assert_eq!(list["notifications"][2]["sensitive"], json!(false));
    assert_eq!(list["notifications"][0]["url"], json!(""));

    // Ownership: ann cannot touch bob's notification.
    let invalid = r#"{"msg":"Invalid request parameters.","status":"ERROR"}"#;
    let b_id = bobs.to_string();
    for action in ["readnotification", "deletenotification"] {
        assert_eq!(
            text(&s, "FULL", action, &[("uid", &ann), ("id", &b_id)]),
            invalid
        );
        assert_eq!(
            text(&s, "FULL", action, &[("username", "zed"), ("id", &b_id)]),
            NO_USER_RESP
        );
        bad_request(&s, "FULL", action, &[("id", &b_id)], "username");
        bad_request(&s, "FULL", action, &[("uid", &ann)], "id");
        forbidden(&s, "READ", action, &[("uid", &ann), ("id", &b_id)]);
    }
    assert_eq!(
        text(
            &s,
            "FULL",
            "deletenotification",
            &[("uid", &bob), ("id", &b_id)]
        ),
        r#"{"status":"OK"}"#
    );
    assert_eq!(
        text(
            &s,
            "FULL",
            "deletenotification",
            &[("uid", &bob), ("id", &b_id)]
        ),
        invalid
    );
    assert_eq!(
        text(&s, "READ", "getnotifications", &[("uid", &bob)]),
        r#"{"status":"OK","notifications":[]}"#
    );
    assert_eq!(
        text(&s, "READ", "getnotifications", &[("uid", "999")]),
        NO_USER_RESP
    );
    bad_request(&s, "READ", "getnotifications", &[], "username");
    forbidden(&s, "AUTH", "getnotifications", &[("uid", &ann)]);

    // addnotification errors.
    assert_eq!(
        add(&[("uid", "999"), ("title", "t"), ("content", "c")]),
        NO_USER_RESP
    );
    let long = "é".repeat(256);
    assert_eq!(
        add(&[("uid", &ann), ("title", &long), ("content", "c")]),
        r#"{"msg":"title is longer than 255 characters.","status":"ERROR"}"#
    );
    assert_eq!(
        add(&[("uid", &ann), ("title", "t"), ("content", &long)]),
        r#"{"msg":"content is longer than 255 characters.","status":"ERROR"}"#
    );
    id_of(add(&[
        ("uid", &ann),
        ("title", &long[..510]),
        ("content", "c"),
    ]));
    // A local time skipped by the DST change does not exist.
    assert_eq!(
        add(&[
            ("uid", &ann),
            ("title", "t"),
            ("content", "c"),
            ("timestamp", "2024-03-10 02:30:00")
        ]),
        r#"{"msg":"timestamp does not exist in the configured timezone.","status":"ERROR"}"#
    );
    let base = [("uid", ann.as_str()), ("title", "t"), ("content", "c")];
    let with = |extra: (&'static str, &'static str)| {
        let mut v = base.to_vec();
        v.push(extra);
        v
    };
    bad_request(
        &s,
        "FULL",
        "addnotification",
        &with(("timestamp", "yesterday")),
        "timestamp",
    );
    bad_request(
        &s,
        "FULL",
        "addnotification",
        &with(("sensitive", "maybe")),
        "sensitive",
    );
    bad_request(
        &s,
        "FULL",
        "addnotification",
        &[("title", "t"), ("content", "c")],
        "username",
    );
    bad_request(
        &s,
        "FULL",
        "addnotification",
        &[("uid", &ann), ("content", "c")],
        "title",
    );
    bad_request(
        &s,
        "FULL",
        "addnotification",
        &[("uid", &ann), ("title", "t")],
        "content",
    );
    forbidden(&s, "READ", "addnotification", &base);
}

#[test]
fn usersearch_common_fragment_is_ordered_and_limited_before_and_after_reindex() {
    let s = Service::start();
    {
        let db = s.db();
        let tx = db.unchecked_transaction().unwrap();
        // 300 matching names in scrambled order, some deleted, plus non-matches.
        for i in 0..300 {
            let n = (i * 7919) % 300;
            tx.execute(
                "INSERT INTO accounts (username, realname, email, deleted) VALUES (?1, ?2, 'x@example.org', ?3)",
                rusqlite::params![format!("user{n:03}"), format!("Mar Tester {n:03}"), i64::from(n < 5)],
            )
            .unwrap();
            tx.execute(
                "INSERT INTO accounts (username, realname) VALUES (?1, 'Zed Other')",
                [format!("other{i:03}")],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let names = || -> Vec<String> {
        s.call("READ", "usersearch", &[("search", "MAR t")])["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    let tester = |n: &str| format!("Mar Tester {n}");
    let expected: Vec<String> = (5..15).map(|n| tester(&format!("{n:03}"))).collect();
    assert_eq!(names(), expected, "first ten live matches in name order");
    let v = s.call("READ", "usersearch", &[("search", "MAR t")]);
    assert_eq!(v["result"][0]["username"], "user005");

    // The same answer once the accounts are in the ranked index...
    let out = s.cli(&["reindex"], None);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(names(), expected, "after reindex");
    // ...and with later changes merged in: a new name between ranked ones, a ranked
    // account deleted, another renamed away.
    user(&s, "late", "Mar Tester 007a");
    s.db()
        .execute(
            "UPDATE accounts SET deleted = 1 WHERE username = 'user006'",
            [],
        )
        .unwrap();
    s.db()
        .execute(
            "UPDATE accounts SET realname = 'Zed Renamed' WHERE username = 'user009'",
            [],
        )
        .unwrap();
    let expected: Vec<String> = [
        "005", "007", "007a", "008", "010", "011", "012", "013", "014", "015",
    ]
    .into_iter()
    .map(tester)
    .collect();
    assert_eq!(names(), expected, "ranked and recent accounts merged");
}

#[test]
fn every_user_argument_takes_a_name_or_a_uid() {
    let s = Service::start();
    let uid = s
        .add_user("numbers", "Num Bers", "num@example.com", "pw")
        .to_string();
    // A uid where the name was expected: the commands that used to want a name.
    s.cli_ok(&["user", "status", &uid, "LOCKED_OR_DISABLED"]);
    let auth = s.call(
        "AUTH",
        "auth",
        &[("username", "numbers"), ("password", "pw")],
    );
    assert_eq!(
        auth["msg"], "This account has been disabled. Contact technical support.",
        "{auth}"
    );
    assert!(s.cli_ok(&["user", "show", &uid]).contains("numbers"));
    s.cli_ok_stdin(&["user", "passwd", &uid, "--password-stdin"], Some("new\n"));
    s.cli_ok(&["user", "status", "numbers", "NORMAL"]);
    let auth = s.call(
        "AUTH",
        "auth",
        &[("username", "numbers"), ("password", "new")],
    );
    assert_eq!(auth["status"], "OK", "{auth}");
    // A user whose name is digits wins over the uid of the same number.
    let other = s.add_user(&uid, "Digits", "digits@example.com", "pw");
    assert!(
        s.cli_ok(&["user", "show", &uid])
            .contains(&format!("uid       {other}"))
    );
    s.cli_ok(&["user", "delete", "numbers"]);
    let refused = cli_fails(&s, &["user", "passwd", "numbers", "--generate"]);
    assert!(refused.contains("no user"), "{refused}");
}
