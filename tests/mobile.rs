//! The mobile API (`<prefix>/mobile/index.php`, `<prefix>/mobile/`) and `codelogin`, through
//! a real nginx in front of the real responder over FastCGI, with a real SQLite file: the
//! Station kiosk flow (mobile `gencode` → API `codelogin`), every mobile action, and the
//! refusals (bad sync codes, deleted users, missing credentials, unknown actions, expired
//! and reused codes, throttling).

mod common;

use common::web::{Browser, app_config, binstack_login_url, checkloginkey, getloginkey};
use common::{HttpResponse, Options, Service};
use serde_json::{Value, json};

const INVALID_KEY: &str = "Invalid username and/or access key.";
const CODE_INCORRECT: &str = "That code is incorrect or expired.";
const ACCOUNT_PROBLEM: &str = "There is a problem with your account. Visit AccountHub via a web browser for more information.";

/// A form POST to `<prefix>mobile/index.php`, as BusinessMobile's `$.post` sends it.
fn mobile(s: &Service, args: &[(&str, &str)]) -> HttpResponse {
    mobile_to(s, "mobile/index.php", args)
}

fn mobile_to(s: &Service, rest: &str, args: &[(&str, &str)]) -> HttpResponse {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in args {
        ser.append_pair(k, v);
    }
    let r = s.request(
        "POST",
        &s.url(rest),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        ser.finish().as_bytes(),
    );
    assert_json(&r);
    r
}

/// Never a 5xx, never HTML: every mobile answer is JSON.
fn assert_json(r: &HttpResponse) {
    assert!(r.status < 500, "{}: {}", r.status, r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/json"),
        "{}",
        r.text()
    );
    r.json();
}

/// A signed-in mobile call that must answer HTTP 200; returns the JSON.
fn signed(s: &Service, user: &str, key: &str, action: &str, args: &[(&str, &str)]) -> Value {
    let mut all = vec![("action", action), ("username", user), ("key", key)];
    all.extend_from_slice(args);
    let r = mobile(s, &all);
    assert_eq!(r.status, 200, "{action}: {}", r.text());
    r.json()
}

fn sync_code(s: &Service, user: &str) -> String {
    s.cli_ok(&["user", "synccode", "add", user, "--desc", "phone"])
        .trim()
        .to_string()
}

fn audit_count(s: &Service, logtype: i64) -> i64 {
    s.db()
        .query_row(
            "SELECT count(*) FROM authlog WHERE logtype = ?1",
            [logtype],
            |r| r.get(0),
        )
        .unwrap()
}

/// A service with the options, and user `ann` (password `pw-ann`) with a sync code.
fn with_ann(opts: Options) -> (Service, String) {
    let s = Service::start_with(opts);
    s.add_user("ann", "Ann", "ann@example.org", "pw-ann");
    let key = sync_code(&s, "ann");
    (s, key)
}

fn gencode(s: &Service, user: &str, key: &str) -> String {
    let r = signed(s, user, key, "gencode", &[]);
    assert_eq!(r["status"], "OK", "{r}");
    let code = r["code"].as_u64().expect("gencode answers a JSON number");
    assert!((100_000..=999_999).contains(&code), "{code}");
    code.to_string()
}

fn codelogin(s: &Service, code: &str) -> Value {
    s.call("AUTH", "codelogin", &[("code", code)])
}

#[test]
fn station_kiosk_flow_gencode_then_codelogin() {
    let s = Service::start();
    let uid = s.add_user("bob", "Bob Builder", "bob@example.org", "pw-bob");
    let key = sync_code(&s, "bob");

    let code = gencode(&s, "bob", &key);
    let r = codelogin(&s, &code);
    assert_eq!(
        r.to_string(),
        json!({"status": "OK", "user": {"username": "bob", "realname": "Bob Builder", "uid": uid.to_string()}})
            .to_string()
    );
    // Single use.
    let incorrect = json!({"msg": CODE_INCORRECT, "status": "ERROR"});
    assert_eq!(codelogin(&s, &code), incorrect);
    // A new code replaces the user's previous one.
    let first = gencode(&s, "bob", &key);
    let second = gencode(&s, "bob", &key);
    if first != second {
        assert_eq!(codelogin(&s, &first), incorrect);
    }
    assert_eq!(codelogin(&s, &second)["status"], "OK");
    // Expired codes do not pass (the row is aged by hand rather than waiting 60 s).
    let code = gencode(&s, "bob", &key);
    let expires: String = s
        .db()
        .query_row(
            "SELECT expires FROM onetimekeys WHERE \"key\" = ?1",
            [&code],
            |r| r.get(0),
        )
        .unwrap();
    let now: String = s
        .db()
        .query_row("SELECT datetime('now')", [], |r| r.get(0))
        .unwrap();
    assert!(expires > now, "{expires} vs {now}");
    let left: i64 = s
        .db()
        .query_row(
            "SELECT strftime('%s', ?1) - strftime('%s', ?2)",
            [&expires, &now],
            |r| r.get(0),
        )
        .unwrap();
    assert!((58..=61).contains(&left), "code lives {left} s");
    s.db()
        .execute(
            "UPDATE onetimekeys SET expires = datetime('now', '-1 second') WHERE \"key\" = ?1",
            [&code],
        )
        .unwrap();
    assert_eq!(codelogin(&s, &code), incorrect);
    assert_eq!(codelogin(&s, "123"), incorrect);

    // A locked account gets no code, and a code issued before the lock no longer passes.
    let code = gencode(&s, "bob", &key);
    s.cli_ok(&["user", "status", "bob", "LOCKED_OR_DISABLED"]);
    assert_eq!(
        signed(&s, "bob", &key, "gencode", &[]),
        json!({"status": "ERROR", "msg": ACCOUNT_PROBLEM})
    );
    assert_eq!(
        codelogin(&s, &code),
        json!({"msg": "This account has been disabled. Contact technical support.", "status": "ERROR"})
    );
    s.cli_ok(&["user", "status", "bob", "TERMINATED"]);
    assert_eq!(signed(&s, "bob", &key, "gencode", &[])["status"], "ERROR");
    // A deleted account's pending code is refused.
    s.cli_ok(&["user", "status", "bob", "NORMAL"]);
    let code = gencode(&s, "bob", &key);
    s.cli_ok(&["user", "delete", "bob"]);
    assert_eq!(codelogin(&s, &code), incorrect);

    // Audited: API_LOGIN_OK with the uid, API_LOGIN_FAILED for every refusal.
    let ok: Vec<(Option<i64>, String)> = s
        .db()
        .prepare("SELECT uid, otherdata FROM authlog WHERE logtype = 4")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[0].0, Some(uid));
    assert!(
        ok[0].1.starts_with("Code login, Username: bob, Key: "),
        "{}",
        ok[0].1
    );
    let refused = 5 + i64::from(first != second);
    assert_eq!(audit_count(&s, 5), refused);

    // codelogin needs an AUTH key and a code.
    let r = s.form("codelogin", &s.keys["NONE"], &[("code", "123456")]);
    assert_eq!(r.status, 403);
    let r = s.form("codelogin", &s.keys["AUTH"], &[]);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        "400 Bad request: variable code is missing or invalid"
    );
}

#[test]
fn codelogin_failures_are_throttled_per_client_ip() {
    let s = Service::start_with(Options {
        extra_config: "[rate_limit]\ncode_login_limit = 3\n".into(),
        ..Options::default()
    });
    s.add_user("kim", "Kim", "kim@example.org", "pw-kim");
    let key = sync_code(&s, "kim");
    let code = gencode(&s, "kim", &key);
    for guess in ["100000", "100001", "100002"] {
        assert_eq!(codelogin(&s, guess)["msg"], CODE_INCORRECT);
    }
    // Past the limit even the right code waits, and is not used up by the refusal.
    let r = s.form("codelogin", &s.keys["AUTH"], &[("code", &code)]);
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.header("retry-after").is_some());
    assert_eq!(
        r.json(),
        json!({"status": "ERROR", "msg": "You're going too fast.  Slow down, mkay?"})
    );
    s.db().execute("DELETE FROM rate_limits", []).unwrap();
    assert_eq!(codelogin(&s, &code)["status"], "OK");
}

#[test]
fn every_mobile_action_for_the_signed_in_user() {
    let s = Service::start_with(Options {
        extra_config: "[apps.qwikclock]\ntitle = \"QwikClock\"\nurl = \"/qwikclock/\"\n\
                       mobileapi = \"/mobile/index.php\"\nicon = \"static/img/logo.svg\"\n"
            .into(),
        ..Options::default()
    });
    let uid = s.add_user("ann", "Ann Smith", "ann@example.org", "pw-ann");
    let eve = s
        .add_user("eve", "Eve", "eve@example.org", "pw-eve")
        .to_string();
    let key = sync_code(&s, "ann");
    let lower = key.to_lowercase();
    let call = |action: &str, args: &[(&str, &str)]| signed(&s, "ANN", &lower, action, args);

    assert_eq!(call("check_key", &[]).to_string(), r#"{"status":"OK"}"#);
    // The other URL, and GET with a query string, work the same.
    let r = mobile_to(
        &s,
        "mobile/",
        &[("action", "check_key"), ("username", "ann"), ("key", &key)],
    );
    assert_eq!(r.json(), json!({"status": "OK"}));
    let query = format!("mobile/index.php?action=check_key&username=ann&key={key}");
    let r = s.request("GET", &s.url(&query), &[], b"");
    assert_json(&r);
    assert_eq!(r.json(), json!({"status": "OK"}));

    assert_eq!(
        call("check_password", &[("password", "pw-ann")]).to_string(),
        format!(r#"{{"status":"OK","uid":{uid}}}"#)
    );
    let incorrect = json!({"status": "ERROR", "msg": "Login incorrect."});
    assert_eq!(call("check_password", &[("password", "nope")]), incorrect);
    assert_eq!(call("check_password", &[]), incorrect);
    // App passwords are not accepted here.
    let pass = s.call(
        "FULL",
        "addapppassword",
        &[("desc", "x"), ("username", "ann")],
    )["pass"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(call("check_password", &[("password", &pass)]), incorrect);
    assert_eq!(
        call("user_info", &[("password", "pw-ann")]).to_string(),
        json!({"status": "OK", "info": {"uid": uid, "username": "ann", "realname": "Ann Smith", "email": "ann@example.org"}})
            .to_string()
    );
    assert_eq!(call("user_info", &[("password", "nope")]), incorrect);
    s.cli_ok(&["user", "status", "ann", "CHANGE_PASSWORD"]);
    assert_eq!(
        call("check_password", &[("password", "pw-ann")]),
        json!({"status": "ERROR", "msg": ACCOUNT_PROBLEM})
    );
    s.cli_ok(&["user", "status", "ann", "NORMAL"]);
    assert_eq!(audit_count(&s, 19), 2);
    assert_eq!(audit_count(&s, 20), 5);

    assert_eq!(call("hasotp", &[]), json!({"status": "OK", "otp": false}));
    s.cli_ok(&["user", "totp", "enable", "ann"]);
    assert_eq!(call("hasotp", &[]), json!({"status": "OK", "otp": true}));

    let apps = call("listapps", &[]);
    assert_eq!(apps["status"], "OK");
    let qc = &apps["apps"]["qwikclock"];
    assert_eq!(qc["url"], format!("http://127.0.0.1:{}/qwikclock/", s.port));
    assert_eq!(qc["mobileapi"], "/mobile/index.php");
    assert_eq!(qc["title"], "QwikClock");
    assert_eq!(qc["icon"], "static/img/logo.svg");

    // Notifications: only ever the signed-in user's, whatever username/uid the body names.
    let empty = json!({"status": "OK", "notifications": []});
    assert_eq!(call("checknotifications", &[]), empty);
    let added = call(
        "addnotification",
        &[
            ("title", "Hello"),
            ("content", "World"),
            ("timestamp", "2026-01-02 03:04:05"),
            ("uid", "999"),
        ],
    );
    assert_eq!(added["status"], "OK", "{added}");
    let id = added["id"].as_i64().expect("id is a number");
    let owner: i64 = s
        .db()
        .query_row(
            "SELECT uid FROM notifications WHERE notificationid = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(owner, uid);
    let eves = s.call(
        "FULL",
        "addnotification",
        &[("username", "eve"), ("title", "T"), ("content", "C")],
    )["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let listed = call("checknotifications", &[("uid", &eve)]);
    assert_eq!(
        listed,
        json!({"status": "OK", "notifications": [{
            "id": id, "timestamp": "2026-01-02 03:04:05", "title": "Hello", "content": "World",
            "url": "", "seen": false, "sensitive": false,
        }]})
    );
    let id = id.to_string();
    let invalid = json!({"msg": "Invalid request parameters.", "status": "ERROR"});
    assert_eq!(call("readnotification", &[("id", &eves)]), invalid);
    assert_eq!(call("deletenotification", &[("id", &eves)]), invalid);
    assert_eq!(call("readnotification", &[]), invalid);
    assert_eq!(call("addnotification", &[("title", "only")]), invalid);
    assert_eq!(
        call("readnotification", &[("id", &id)]),
        json!({"status": "OK"})
    );
    assert_eq!(call("checknotifications", &[]), empty);
    let all = s.call("READ", "getnotifications", &[("username", "ann")]);
    assert_eq!(all["notifications"][0]["seen"], true);
    assert_eq!(
        call("deletenotification", &[("id", &id)]),
        json!({"status": "OK"})
    );
    assert_eq!(call("deletenotification", &[("id", &id)]), invalid);
    let eve_left = s.call("READ", "getnotifications", &[("username", "eve")]);
    assert_eq!(eve_left["notifications"].as_array().unwrap().len(), 1);
}

#[test]
fn mobile_refusals_answer_json_with_the_original_codes() {
    let (s, key) = with_ann(Options {
        extra_config: "[rate_limit]\ncredential_limit = 3\n".into(),
        top_config: "body_limit = 2000\n".into(),
        ..Options::default()
    });

    assert_eq!(
        mobile(&s, &[("action", "ping")]).json(),
        json!({"status": "OK"})
    );
    let missing = json!({"status": "ERROR", "msg": "Missing username and/or access key."});
    for args in [
        vec![("action", "check_key")],
        vec![("action", "check_key"), ("username", "ann")],
        vec![("action", "check_key"), ("key", key.as_str())],
        vec![("action", "nosuch"), ("username", "ann"), ("key", "")],
    ] {
        let r = mobile(&s, &args);
        assert_eq!(r.status, 401, "{args:?}");
        assert_eq!(r.json(), missing);
    }
    let r = mobile(
        &s,
        &[("action", "nosuch"), ("username", "ann"), ("key", &key)],
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"status": "ERROR", "msg": "The requested action is not available."})
    );
    let r = mobile(&s, &[("username", "ann"), ("key", &key)]);
    assert_eq!(r.status, 404);

    // Wrong sync codes, codes of other users and of deleted users: audited, then throttled.
    let invalid = json!({"status": "ERROR", "msg": INVALID_KEY});
    s.add_user("bob", "Bob", "bob@example.org", "pw-bob");
    let bobs = sync_code(&s, "bob");
    assert_eq!(signed(&s, "ann", &bobs, "check_key", &[]), invalid);
    assert_eq!(signed(&s, "nobody", &key, "check_key", &[]), invalid);
    s.cli_ok(&["user", "delete", "bob"]);
    assert_eq!(signed(&s, "bob", &bobs, "check_key", &[]), invalid);
    assert_eq!(signed(&s, "bob", &bobs, "gencode", &[]), invalid);
    assert_eq!(audit_count(&s, 21), 4);
    assert_eq!(signed(&s, "ann", "WRONG", "check_key", &[]), invalid);
    assert_eq!(signed(&s, "ann", "WRONG2", "check_key", &[]), invalid);
    let r = mobile(
        &s,
        &[("action", "check_key"), ("username", "ann"), ("key", &key)],
    );
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.header("retry-after").is_some());
    // Only that (IP, user) pair: other users still sign in.
    s.add_user("cy", "Cy", "cy@example.org", "pw-cy");
    let cys = sync_code(&s, "cy");
    assert_eq!(signed(&s, "cy", &cys, "check_key", &[])["status"], "OK");
    s.db().execute("DELETE FROM rate_limits", []).unwrap();
    assert_eq!(signed(&s, "ann", &key, "check_key", &[])["status"], "OK");

    // Bodies a client could send: never a 5xx or HTML.
    let odd: &[(&str, &str, &str, &[u8])] = &[
        ("POST", "mobile/index.php", "application/json", b"[1,2]"),
        ("POST", "mobile/index.php", "application/json", b"{nope"),
        (
            "POST",
            "mobile/",
            "multipart/form-data; boundary=x",
            b"--x--",
        ),
        (
            "POST",
            "mobile/index.php",
            "application/x-www-form-urlencoded",
            &[b'a'; 3000],
        ),
        ("PUT", "mobile/index.php?action=ping", "", b""),
        (
            "GET",
            "mobile/index.php?action=check_key&username=%ff&key=%00",
            "",
            b"",
        ),
        (
            "POST",
            "mobile/",
            "application/json",
            br#"{"action":"check_key","username":["ann"],"key":{"a":1}}"#,
        ),
    ];
    for (method, rest, ctype, body) in odd {
        let mut headers = vec![];
        if !ctype.is_empty() {
            headers.push(("Content-Type", *ctype));
        }
        let r = s.request(method, &s.url(rest), &headers, body);
        assert_json(&r);
        assert_eq!(
            r.json()["status"],
            if rest.ends_with("ping") {
                "OK"
            } else {
                "ERROR"
            }
        );
    }
    let r = s.request(
        "POST",
        &s.url("mobile/"),
        &[("Content-Type", "application/json")],
        b"[1]",
    );
    assert_eq!(r.status, 400);
    let big = vec![b'a'; 3000];
    let r = s.request(
        "POST",
        &s.url("mobile/"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &big,
    );
    assert_eq!(r.status, 413);
    // JSON bodies are read too.
    let r = s.request(
        "POST",
        &s.url("mobile/index.php"),
        &[("Content-Type", "application/json")],
        json!({"action": "check_key", "username": "ann", "key": key})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.json(), json!({"status": "OK"}));
}

#[test]
fn mobile_api_switched_off_keeps_only_ping() {
    let (s, key) = with_ann(Options {
        top_config: "mobile_enabled = false\n".into(),
        ..Options::default()
    });
    assert_eq!(
        mobile(&s, &[("action", "ping")]).json(),
        json!({"status": "OK"})
    );
    let r = mobile(
        &s,
        &[("action", "check_key"), ("username", "ann"), ("key", &key)],
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"status": "ERROR", "msg": "Mobile login has been disabled by your system administrator.  Contact technical support for more information."})
    );
}

#[test]
fn generatesynccode_pairs_a_device_by_password_and_is_throttled() {
    let s = Service::start_with(Options {
        extra_config: "[rate_limit]\ncredential_limit = 3\n".into(),
        ..Options::default()
    });
    let uid = s.add_user("ann", "Ann", "ann@example.org", "pw-ann");
    let pair = |user: &str, password: &str, desc: &str| {
        signed(
            &s,
            user,
            "unpaired",
            "generatesynccode",
            &[("password", password), ("desc", desc)],
        )
    };
    let r = pair("ann", "pw-ann", "<b>Phone</b>");
    assert_eq!(r["status"], "OK", "{r}");
    let code = r["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 20);
    assert!(
        code.chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)),
        "{code}"
    );
    assert_ne!(pair("ann", "pw-ann", "")["code"], code.as_str());
    let desc: String = s
        .db()
        .query_row(
            "SELECT description FROM mobile_codes WHERE uid = ?1 AND code = ?2",
            rusqlite::params![uid, code],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(desc, "<b>Phone</b>");
    // The new code signs the device in, on the mobile API and for mobilevalid.
    assert_eq!(
        signed(&s, "ann", &code, "check_key", &[]),
        json!({"status": "OK"})
    );
    assert_eq!(
        s.call(
            "AUTH",
            "mobilevalid",
            &[("username", "ann"), ("code", &code)]
        ),
        json!({"status": "OK", "valid": true})
    );

    let incorrect = json!({"status": "ERROR", "msg": "Login incorrect."});
    assert_eq!(pair("nobody", "pw-ann", ""), incorrect);
    let long = "d".repeat(256);
    assert_eq!(
        pair("ann", "pw-ann", &long)["msg"],
        "desc is longer than 255 characters."
    );
    s.cli_ok(&["user", "status", "ann", "LOCKED_OR_DISABLED"]);
    assert_eq!(
        pair("ann", "pw-ann", ""),
        json!({"status": "ERROR", "msg": ACCOUNT_PROBLEM})
    );
    s.cli_ok(&["user", "status", "ann", "NORMAL"]);
    s.cli_ok(&["user", "totp", "enable", "ann"]);
    assert_eq!(
        pair("ann", "pw-ann", ""),
        json!({"status": "ERROR", "msg": "2-factor is enabled, you need to use the QR code or manual setup for security reasons."})
    );
    s.cli_ok(&["user", "totp", "disable", "ann"]);
    let codes_before: i64 = s
        .db()
        .query_row("SELECT count(*) FROM mobile_codes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(codes_before, 2);

    // A password oracle no more: the per-(IP, user) limiter counts every wrong password.
    for _ in 0..3 {
        assert_eq!(pair("ann", "guess", ""), incorrect);
    }
    let r = mobile(
        &s,
        &[
            ("action", "generatesynccode"),
            ("username", "ann"),
            ("key", "unpaired"),
            ("password", "pw-ann"),
        ],
    );
    assert_eq!(r.status, 429, "{}", r.text());
    // The same count as the API's auth: it is throttled too.
    let r = s.form(
        "auth",
        &s.keys["AUTH"],
        &[("username", "ann"), ("password", "pw-ann")],
    );
    assert_eq!(r.status, 429);
    assert_eq!(audit_count(&s, 19), 2);
    assert!(audit_count(&s, 20) >= 6);
}

#[test]
fn start_session_signs_the_login_page_in() {
    let (s, key) = with_ann(Options {
        extra_config: app_config(),
        ..Options::default()
    });
    let uid: i64 = s
        .db()
        .query_row("SELECT uid FROM accounts WHERE username = 'ann'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let start = |password: &str| {
        mobile(
            &s,
            &[
                ("action", "start_session"),
                ("username", "ann"),
                ("key", &key),
                ("password", password),
            ],
        )
    };
    let r = start("wrong");
    assert_eq!(
        r.json(),
        json!({"status": "ERROR", "msg": "Login incorrect."})
    );
    assert!(r.header("set-cookie").is_none());
    let sessions = |s: &Service| -> i64 {
        s.db()
            .query_row("SELECT count(*) FROM login_sessions", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(sessions(&s), 0);

    let r = start("pw-ann");
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"status": "OK"}));
    let cookie = r
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    assert!(cookie.starts_with("ah_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        cookie.contains(&format!("Path={};", s.url("login"))),
        "{cookie}"
    );
    let pending: Option<String> = s
        .db()
        .query_row(
            "SELECT pending FROM login_sessions WHERE uid = ?1",
            [uid],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pending, None, "signed in, nothing pending");
    assert_eq!(audit_count(&s, 19), 1);

    // That browser is signed in: an app's sign-in link needs one click, no password.
    let mut browser = Browser::new(&s);
    let (name, value) = cookie.split(';').next().unwrap().split_once('=').unwrap();
    browser.cookies.insert(name.to_string(), value.to_string());
    let (code, loginurl) = getloginkey(&s, "BinStack");
    let page = browser.get(&binstack_login_url(&s, &loginurl, &code));
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.text().contains("Continue to BinStack"),
        "{}",
        page.text()
    );
    let r = browser.submit(&page, "continue", &[]);
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        checkloginkey(&s, &code),
        json!({"status": "OK", "uid": uid})
    );

    // Accounts that are not NORMAL get no session.
    s.cli_ok(&["user", "status", "ann", "ALERT_ON_ACCESS"]);
    let r = start("pw-ann");
    assert_eq!(r.json(), json!({"status": "ERROR", "msg": ACCOUNT_PROBLEM}));
    assert!(r.header("set-cookie").is_none());
    assert_eq!(sessions(&s), 1);
}

#[test]
fn wrong_sync_codes_with_900_kb_user_names_store_short_notes() {
    let (s, _) = with_ann(Options::default());
    let long = "n".repeat(900_000);
    for i in 0..20 {
        let user = format!("u{i}{long}");
        refused_check_key(&s, &user);
    }
    assert_eq!(audit_count(&s, 21), 20);
    let longest = scalar(&s, "SELECT max(length(otherdata)) FROM authlog");
    assert!(longest < 160, "an audit note of {longest} characters");
    let bucket = scalar(&s, "SELECT max(length(bucket)) FROM rate_limits");
    assert!(bucket < 120, "a limiter bucket of {bucket} characters");
}

#[test]
fn limiter_buckets_of_ended_windows_are_swept_by_the_responder() {
    let (s, _) = with_ann(Options {
        extra_config: "[rate_limit]\nbad_key_window_secs = 1\ncredential_window_secs = 1\n\
                       code_login_window_secs = 1\n"
            .into(),
        ..Options::default()
    });
    let buckets = || scalar(&s, "SELECT count(*) FROM rate_limits");
    for i in 0..30 {
        let user = format!("nobody{i}");
        refused_check_key(&s, &user);
    }
    assert!(buckets() >= 30, "each name tried has its bucket");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while buckets() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "{} buckets left after their windows ended",
            buckets()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// A `check_key` with a wrong sync code for `user`, refused as the original refuses it.
fn refused_check_key(s: &Service, user: &str) {
    let r = mobile(
        s,
        &[("action", "check_key"), ("username", user), ("key", "0000")],
    );
    assert_eq!(r.json()["msg"], "Invalid username and/or access key.");
}

/// One integer the database answers `sql` with.
fn scalar(s: &Service, sql: &str) -> i64 {
    s.db().query_row(sql, [], |r| r.get(0)).unwrap()
}
