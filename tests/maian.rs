//! The Maian add-account API through a real nginx in front of the real
//! responder, with a real SQLite file: shapes, per-entry checks, keys, limits, races.

mod common;

use accounthub::password;
use common::Service;
use serde_json::{Value, json};

/// POSTs a raw body to `index.php?<query>`, asserts HTTP 200 and returns the JSON.
fn post_raw(s: &Service, query: &str, body: &[u8]) -> Value {
    let r = s.request(
        "POST",
        &s.url(&format!("index.php?{query}")),
        &[("Content-Type", "application/json")],
        body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json()
}

/// The documented wrapper around `account` with the FULL key.
fn post(s: &Service, account: Value) -> Value {
    let body = json!({"api": s.keys["FULL"], "op": "account", "accounts": {"account": account}});
    post_raw(s, "api", body.to_string().as_bytes())
}

fn count(s: &Service, sql: &str) -> i64 {
    s.db().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn stored_hash(s: &Service, username: &str) -> String {
    s.db()
        .query_row(
            "SELECT password FROM accounts WHERE username = ?1",
            [username],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn single_object_creates_a_normal_account() {
    let s = Service::start();
    let v = post(
        &s,
        json!({"name": " Ann Lee ", "email": " Ann@Example.COM ", "password": "s3cret pw",
               "timezone": "US/Pacific", "ip": "192.0.2.7", "language": "english",
               "notes": "from the shop"}),
    );
    let uid = v["accountID"].as_i64().expect("accountID is a number");
    assert_eq!(
        v,
        json!({"status": "OK", "message": "1 accounts added", "accountID": uid})
    );
    let row: (
        String,
        String,
        String,
        i64,
        i64,
        String,
        String,
        String,
        String,
    ) = s
        .db()
        .query_row(
            "SELECT username, realname, email, acctstatus, accttype, timezone, language, ip, notes
             FROM accounts WHERE uid = ?1",
            [uid],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        row,
        (
            "ann@example.com".into(),
            "Ann Lee".into(),
            "ann@example.com".into(),
            1,
            1,
            "US/Pacific".into(),
            "english".into(),
            "192.0.2.7".into(),
            "from the shop".into()
        )
    );
    let hash = stored_hash(&s, "ann@example.com");
    assert!(password::verify("s3cret pw", &hash, 1000).matched());
    assert_eq!(
        count(&s, "SELECT count(*) FROM mail_outbox"),
        0,
        "supplied passwords are never mailed"
    );
    assert_eq!(
        count(&s, "SELECT count(*) FROM authlog WHERE logtype = 17"),
        1
    );
    let info = s.call("READ", "userinfo", &[("username", "ann@example.com")]);
    assert_eq!(
        (&info["status"], &info["data"]["name"]),
        (&json!("OK"), &json!("Ann Lee")),
        "{info}"
    );
    let found = s.call("READ", "usersearch", &[("search", "ann@exa")]);
    assert_eq!(found["result"][0]["username"], "ann@example.com", "{found}");
    let auth = s.call(
        "AUTH",
        "auth",
        &[("username", "ann@example.com"), ("password", "s3cret pw")],
    );
    assert_eq!(auth["status"], "OK", "{auth}");
    let shown = s.cli_ok(&["user", "show", "ann@example.com"]);
    for expected in [
        "US/Pacific",
        "192.0.2.7",
        "from the shop",
        "english",
        "Ann Lee",
    ] {
        assert!(
            shown.contains(expected),
            "{expected} missing from:\n{shown}"
        );
    }
}

#[test]
fn array_of_three_with_a_generated_password_mailed() {
    let s = Service::start();
    let v = post(
        &s,
        json!([
            {"name": "One", "email": "one@example.com", "password": "pw-one"},
            {"name": "Two", "email": "two@example.com", "password": ""},
            {"name": "Three", "email": "three@example.com", "password": "pw-three"},
        ]),
    );
    assert_eq!(v["status"], "OK", "{v}");
    assert_eq!(v["message"], "3 accounts added");
    assert!(v.get("errors").is_none(), "{v}");
    let ids: Vec<i64> = v["accountID"]
        .as_array()
        .expect("accountID is an array")
        .iter()
        .map(|id| id.as_i64().unwrap())
        .collect();
    let stored: Vec<i64> = s
        .db()
        .prepare("SELECT uid FROM accounts WHERE username IN ('one@example.com','two@example.com','three@example.com') ORDER BY uid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ids, stored);
    let (to, subject, body): (String, String, String) = s
        .db()
        .query_row("SELECT to_addr, subject, body FROM mail_outbox", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(to, "two@example.com");
    assert!(subject.contains("AccountHub"), "{subject}");
    let generated = body
        .lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .expect("password line in the welcome mail");
    assert_eq!(generated.trim().len(), 12);
    assert!(body.contains("Username: two@example.com"), "{body}");
    assert!(
        body.contains(&format!("http://127.0.0.1:{}/accounthub/", s.port)),
        "{body}"
    );
    assert!(
        password::verify(generated.trim(), &stored_hash(&s, "two@example.com"), 1000).matched()
    );
    assert_eq!(count(&s, "SELECT count(*) FROM mail_outbox"), 1);
}

#[test]
fn url_encoded_body_and_p_api_and_api_dir() {
    let s = Service::start();
    let wrapper = json!({"api": s.keys["FULL"], "op": "account",
        "accounts": {"account": {"name": "Enc Oded", "email": "enc@example.com", "password": "a+b c"}}});
    let encoded: String = form_urlencoded::byte_serialize(wrapper.to_string().as_bytes()).collect();
    assert!(encoded.contains('+'), "spaces become +");
    let v = post_raw(&s, "p=api", encoded.as_bytes());
    assert_eq!(v["status"], "OK", "{v}");
    assert!(password::verify("a+b c", &stored_hash(&s, "enc@example.com"), 1000).matched());
    // `.../api/` with `op` and no `action` reaches the same API.
    let body = json!({"api": s.keys["FULL"], "op": "account",
        "accounts": {"account": {"name": "Dir", "email": "dir@example.com", "password": "x"}}});
    let r = s.json(&body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["message"], "1 accounts added");
}

#[test]
fn plus_in_plain_json_password_is_preserved() {
    let s = Service::start();
    let v = post(
        &s,
        json!({"name": "Plus", "email": "plus@example.com", "password": "p+q%2Br s"}),
    );
    assert_eq!(v["status"], "OK", "{v}");
    let hash = stored_hash(&s, "plus@example.com");
    assert!(password::verify("p+q%2Br s", &hash, 1000).matched());
    assert!(!password::verify("p q+r s", &hash, 1000).matched());
    let auth = s.call(
        "AUTH",
        "auth",
        &[("username", "plus@example.com"), ("password", "p+q%2Br s")],
    );
    assert_eq!(auth["status"], "OK", "{auth}");
}

#[test]
fn duplicates_in_database_and_batch_are_skipped() {
    let s = Service::start();
    s.add_user("olduser", "Old", "Taken@Example.com", "pw");
    let v = post(
        &s,
        json!([
            {"name": "A", "email": "TAKEN@example.COM", "password": "x"},
            {"name": "B", "email": "new@example.com", "password": "x"},
            {"name": "C", "email": "NEW@example.com", "password": "x"},
        ]),
    );
    let uid = v["accountID"].as_i64().expect("one created: a number");
    assert_eq!(v["status"], "OK");
    assert_eq!(v["message"], "1 accounts added");
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{v}");
    assert_eq!(
        (errors[0]["index"].as_i64(), errors[1]["index"].as_i64()),
        (Some(0), Some(2))
    );
    assert_eq!(errors[0]["email"], "TAKEN@example.COM");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    assert!(
        errors[1]["message"]
            .as_str()
            .unwrap()
            .contains("earlier in this request")
    );
    assert_eq!(count(&s, "SELECT count(*) FROM accounts"), 2);
    assert_eq!(
        count(
            &s,
            &format!("SELECT count(*) FROM accounts WHERE uid = {uid} AND realname = 'B'")
        ),
        1
    );
    // The username of an existing account counts as taken too.
    s.add_user("someone@example.org", "Someone", "other@example.org", "pw");
    let v = post(&s, json!({"name": "S", "email": "someone@example.org"}));
    assert_eq!(v["status"], "ERROR", "{v}");
}

#[test]
fn invalid_entries_are_reported_and_nothing_is_created() {
    let s = Service::start();
    let v = post(
        &s,
        json!([
            {"name": "Bad", "email": "not an email"},
            {"email": "noname@example.com"},
            {"name": 42, "email": "num@example.com"},
            {"name": "Arr", "email": "arr@example.com", "password": ["x"]},
            "just a string",
        ]),
    );
    assert_eq!(v["status"], "ERROR", "{v}");
    assert_eq!(v["message"], "No accounts added.");
    let messages: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 5, "{v}");
    assert!(messages[0].contains("not valid"));
    assert!(messages[1].contains("required"));
    assert!(messages[2].contains("\"name\" must be a string"));
    assert!(messages[3].contains("\"password\" must be a string"));
    assert!(messages[4].contains("must be a JSON object"));
    assert_eq!(count(&s, "SELECT count(*) FROM accounts"), 0);
}

#[test]
fn invalid_timezone_language_and_ip_fall_back() {
    let s = Service::start_with(common::Options {
        extra_config:
            "[maian]\ndefault_timezone = \"Europe/London\"\nlanguages = [\"english\", \"german\"]\n"
                .into(),
        ..common::Options::default()
    });
    let v = post(
        &s,
        json!([
            {"name": "F", "email": "f@example.com", "password": "x",
             "timezone": "Mars/Olympus", "language": "klingon", "ip": "300.1.2.3"},
            {"name": "G", "email": "g@example.com", "password": "x",
             "timezone": "Asia/Kolkata", "language": "German", "ip": "2001:DB8::1"},
        ]),
    );
    assert_eq!(v["status"], "OK", "{v}");
    let row = |user: &str| -> (String, String, String) {
        s.db()
            .query_row(
                "SELECT timezone, language, ip FROM accounts WHERE username = ?1",
                [user],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
    };
    assert_eq!(
        row("f@example.com"),
        ("Europe/London".into(), "english".into(), String::new())
    );
    assert_eq!(
        row("g@example.com"),
        ("Asia/Kolkata".into(), "german".into(), "2001:db8::1".into())
    );
}

#[test]
fn bad_and_read_keys_are_refused_audited_and_limited() {
    let s = Service::start_with(common::Options {
        extra_config: "[rate_limit]\nbad_key_limit = 3\nbad_key_window_secs = 60\n".into(),
        ..common::Options::default()
    });
    let account = json!({"name": "K", "email": "k@example.com", "password": "x"});
    for key in [json!("wrong-key"), json!(null), json!(s.keys["READ"])] {
        let body = json!({"api": key, "op": "account", "accounts": {"account": account}});
        let v = post_raw(&s, "api", body.to_string().as_bytes());
        assert_eq!(v["status"], "ERROR", "{v}");
        assert!(v["message"].as_str().unwrap().contains("key"), "{v}");
    }
    assert_eq!(count(&s, "SELECT count(*) FROM accounts"), 0);
    assert_eq!(
        count(&s, "SELECT count(*) FROM authlog WHERE logtype = 14"),
        3
    );
    assert_eq!(
        count(
            &s,
            "SELECT hits FROM rate_limits WHERE bucket LIKE 'badkey|%'"
        ),
        2,
        "unknown keys are counted per IP, a valid READ key is not"
    );
    let body = json!({"api": "wrong", "op": "account", "accounts": {"account": account}});
    let statuses: Vec<u16> = (0..3)
        .map(|_| {
            s.request(
                "POST",
                &s.url("index.php?api"),
                &[],
                body.to_string().as_bytes(),
            )
            .status
        })
        .collect();
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

#[test]
fn request_level_errors_answer_json() {
    let s = Service::start();
    let full = &s.keys["FULL"];
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{not json".to_vec(), "not valid JSON"),
        (b"".to_vec(), "empty"),
        (
            json!({"api": full, "op": "ticket", "accounts": {}})
                .to_string()
                .into_bytes(),
            "Unsupported op",
        ),
        (
            json!({"api": full, "accounts": {"account": {}}})
                .to_string()
                .into_bytes(),
            "Unsupported op",
        ),
        (
            json!({"api": full, "op": "account", "accounts": {"account": []}})
                .to_string()
                .into_bytes(),
            "No accounts",
        ),
        (
            json!({"api": full, "op": "account"})
                .to_string()
                .into_bytes(),
            "No accounts",
        ),
        (
            json!({"api": full, "op": "account", "accounts": [1]})
                .to_string()
                .into_bytes(),
            "must be an object",
        ),
    ];
    for (body, expected) in cases {
        let v = post_raw(&s, "api", &body);
        assert_eq!(v["status"], "ERROR", "{v}");
        assert!(
            v["message"].as_str().unwrap().contains(expected),
            "{expected}: {v}"
        );
    }
}

#[test]
fn batch_over_the_limit_creates_nothing() {
    let s = Service::start();
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"name": format!("U{i}"), "email": format!("u{i}@example.com"), "password": "x"}))
        .collect();
    let v = post(&s, Value::Array(many));
    assert_eq!(v["status"], "ERROR", "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("limit is 1000"),
        "{v}"
    );
    assert_eq!(count(&s, "SELECT count(*) FROM accounts"), 0);
}

#[test]
fn body_over_the_limit_is_an_error_reply() {
    let s = Service::start_with(common::Options {
        top_config: "body_limit = 4096\n".into(),
        ..common::Options::default()
    });
    let v = post(
        &s,
        json!({"name": "Big", "email": "big@example.com", "notes": "x".repeat(5000)}),
    );
    assert_eq!(v["status"], "ERROR", "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("larger than 4096"),
        "{v}"
    );
    assert_eq!(count(&s, "SELECT count(*) FROM accounts"), 0);
}

/// Each request also carries an address of its own: a lost race on the shared address must
/// skip only that entry, never roll back the rest of the batch.
#[test]
fn concurrent_requests_for_one_email_create_one_account() {
    let s = Service::start();
    for round in 0..5 {
        let shared = format!("race{round}@example.com");
        let barrier = std::sync::Barrier::new(2);
        let replies: Vec<Value> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2)
                .map(|t| {
                    let (barrier, shared, s) = (&barrier, &shared, &s);
                    scope.spawn(move || {
                        barrier.wait();
                        post(
                            s,
                            json!([
                                {"name": "Racer", "email": shared, "password": "x"},
                                {"name": "Own", "email": format!("own{round}-{t}@example.com"), "password": "x"},
                            ]),
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut messages: Vec<&str> = replies
            .iter()
            .map(|v| v["message"].as_str().unwrap_or(""))
            .collect();
        messages.sort();
        assert_eq!(
            messages,
            ["1 accounts added", "2 accounts added"],
            "{replies:?}"
        );
        let loser = replies.iter().find(|v| v["accountID"].is_number()).unwrap();
        assert_eq!(loser["errors"][0]["index"], 0, "{loser}");
        assert_eq!(
            count(
                &s,
                &format!("SELECT count(*) FROM accounts WHERE email = '{shared}'")
            ),
            1
        );
        assert_eq!(
            count(
                &s,
                &format!("SELECT count(*) FROM accounts WHERE email LIKE 'own{round}-%'")
            ),
            2
        );
    }
}
