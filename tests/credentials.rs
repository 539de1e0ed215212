//! Credential and account actions through a real nginx in front of the real responder over
//! FastCGI, with a real SQLite file: auth, login, userinfo, userexists, hastotp, verifytotp,
//! acctstatus, checkpin, addapppassword, mobilevalid, and the admin commands behind them.

mod common;

use accounthub::totp;
use common::{Options, Service};
use serde_json::{Value, json};

/// `password_hash("secret", PASSWORD_BCRYPT)` from PHP 8.2 CLI.
const PHP_BCRYPT_SECRET: &str = "$2y$10$j1bvmVXnbBgBShGrZXUpa.cOJaDdyANzVEeDosiLPnNW9IxDtZLLu";

fn audit(s: &Service, logtype: i64) -> Vec<(Option<i64>, String)> {
    s.db()
        .prepare("SELECT uid, otherdata FROM authlog WHERE logtype = ?1 ORDER BY logid")
        .unwrap()
        .query_map([logtype], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn stored_password(s: &Service, uid: i64) -> String {
    s.db()
        .query_row("SELECT password FROM accounts WHERE uid = ?1", [uid], |r| {
            r.get(0)
        })
        .unwrap()
}

/// Stores a status id that has no name (as an imported database may hold).
fn force_status(s: &Service, uid: i64, status: i64) {
    let db = s.db();
    db.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    db.execute(
        "UPDATE accounts SET acctstatus = ?2 WHERE uid = ?1",
        [uid, status],
    )
    .unwrap();
}

fn set_status(s: &Service, user: &str, status: &str) {
    s.cli_ok(&["user", "status", user, status]);
}

#[test]
fn auth_and_login_answer_by_status_without_leaking_it() {
    let s = Service::start();
    let uid = s.add_user("bob", "Bob B", "bob@example.org", "pw-bob");
    let auth =
        |u: &str, p: &str| s.form("auth", &s.keys["AUTH"], &[("username", u), ("password", p)]);
    let login = |u: &str, p: &str| s.call("AUTH", "login", &[("username", u), ("password", p)]);

    let r = auth("BOB", "pw-bob");
    assert_eq!(r.text(), r#"{"msg":"Login successful.","status":"OK"}"#);
    assert_eq!(login("bob", "pw-bob").to_string(), r#"{"status":"OK"}"#);
    let incorrect_auth = json!({"msg": "Login incorrect.", "status": "ERROR"});
    let incorrect_login = r#"{"status":"ERROR","msg":"Login incorrect."}"#;
    assert_eq!(auth("bob", "wrong").json(), incorrect_auth);
    assert_eq!(auth("nobody", "pw-bob").json(), incorrect_auth);
    assert_eq!(login("bob", "wrong").to_string(), incorrect_login);

    for (status, msg) in [
        (
            "LOCKED_OR_DISABLED",
            "This account has been disabled. Contact technical support.",
        ),
        ("TERMINATED", "Account terminated.  Access denied."),
        (
            "CHANGE_PASSWORD",
            "You must change your password before continuing.",
        ),
    ] {
        set_status(&s, "bob", status);
        assert_eq!(
            auth("bob", "pw-bob").json(),
            json!({"msg": msg, "status": "ERROR"})
        );
        assert_eq!(
            login("bob", "pw-bob"),
            json!({"status": "ERROR", "msg": msg})
        );
        // A wrong password never reveals the status.
        assert_eq!(auth("bob", "wrong").json(), incorrect_auth);
        assert_eq!(login("bob", "wrong").to_string(), incorrect_login);
    }
    force_status(&s, uid, 0);
    let unstable =
        "Your account state is not stable.  Log out, restart your browser, and try again.";
    assert_eq!(
        login("bob", "pw-bob"),
        json!({"status": "ERROR", "msg": unstable})
    );

    set_status(&s, "bob", "ALERT_ON_ACCESS");
    assert_eq!(auth("bob", "pw-bob").json()["status"], "OK");
    assert_eq!(
        login("bob", "pw-bob").to_string(),
        r#"{"status":"OK","alert":true}"#
    );

    // Audit rows carry the uid where known, and never the password.
    let ok_auth = audit(&s, 12);
    assert_eq!(ok_auth.len(), 2);
    assert_eq!(ok_auth[0].0, Some(uid));
    assert!(ok_auth[0].1.starts_with("Username: bob, Key: "));
    let failed_auth = audit(&s, 13);
    assert_eq!(failed_auth.len(), 8);
    assert!(failed_auth.iter().any(|(u, _)| u.is_none()));
    assert_eq!(audit(&s, 4).len(), 2);
    assert_eq!(audit(&s, 5).len(), 8);
    assert!(audit(&s, 5).iter().all(|(u, _)| *u == Some(uid)));

    set_status(&s, "bob", "NORMAL");
    s.cli_ok(&["user", "delete", "bob"]);
    assert_eq!(auth("bob", "pw-bob").json(), incorrect_auth);
    assert_eq!(login("bob", "pw-bob").to_string(), incorrect_login);
}

#[test]
fn php_bcrypt_hash_verifies_and_is_rehashed_to_pbkdf2() {
    let s = Service::start();
    let uid = s.add_user("carol", "Carol", "c@example.org", "unused");
    s.db()
        .execute(
            "UPDATE accounts SET password = ?2 WHERE uid = ?1",
            rusqlite::params![uid, PHP_BCRYPT_SECRET],
        )
        .unwrap();
    let auth = |p: &str| s.call("AUTH", "auth", &[("username", "carol"), ("password", p)]);
    assert_eq!(auth("wrong")["status"], "ERROR");
    assert_eq!(stored_password(&s, uid), PHP_BCRYPT_SECRET);
    assert_eq!(auth("secret")["status"], "OK");
    let rehashed = stored_password(&s, uid);
    assert!(rehashed.starts_with("$pbkdf2-sha256$i=1000,"), "{rehashed}");
    assert_eq!(auth("secret")["status"], "OK");
    assert_eq!(auth("wrong")["status"], "ERROR");
}

#[test]
fn app_passwords_follow_the_apppass_rule() {
    let s = Service::start();
    let uid = s.add_user("dave", "Dave", "d@example.org", "pw-dave");
    let add = |u: &str| {
        s.call(
            "FULL",
            "addapppassword",
            &[("desc", "phone"), ("username", u)],
        )
    };
    let r = add("DAVE");
    let pass = r["pass"].as_str().unwrap().to_string();
    assert_eq!(r, json!({"pass": pass, "msg": "", "status": "OK"}));
    assert_eq!(pass.len(), 23);
    assert!(pass.split('-').all(|g| {
        g.len() == 5
            && g.chars()
                .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
    }));
    assert_ne!(add("dave")["pass"], pass.as_str());
    assert_eq!(
        add("nobody"),
        json!({"msg": "User does not exist.", "status": "ERROR"})
    );
    let stored: String = s
        .db()
        .query_row(
            "SELECT hash FROM apppasswords WHERE uid = ?1 LIMIT 1",
            [uid],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!stored.contains(&pass));

    let auth = |p: &str, apppass: &str| {
        s.call(
            "AUTH",
            "auth",
            &[("username", "dave"), ("password", p), ("apppass", apppass)],
        )["status"]
            .clone()
    };
    assert_eq!(auth(&pass, ""), "OK");
    assert_eq!(auth(&pass, "1"), "OK");
    assert_eq!(auth("pw-dave", "1"), "OK");
    assert_eq!(auth(&pass.to_lowercase(), "0"), "ERROR");
    // With 2FA, apppass=1 demands an app password; "0" means the same as absent.
    s.cli_ok(&["user", "totp", "enable", "dave"]);
    assert_eq!(auth("pw-dave", "1"), "ERROR");
    assert_eq!(auth("pw-dave", "0"), "OK");
    assert_eq!(auth(&pass, "1"), "OK");
    let r = s.form(
        "auth",
        &s.keys["AUTH"],
        &[
            ("username", "dave"),
            ("password", "x"),
            ("apppass", "maybe"),
        ],
    );
    assert_eq!(r.status, 400);
}

#[test]
fn profile_actions_have_the_exact_shapes() {
    let s = Service::start();
    let uid = s.add_user("erin", "Erin E", "erin@example.org", "pw");
    let uid_s = uid.to_string();
    let info = s.form("userinfo", &s.keys["READ"], &[("username", "Erin")]);
    assert_eq!(
        info.text(),
        format!(
            r#"{{"data":{{"uid":"{uid}","username":"erin","name":"Erin E","email":"erin@example.org","phone":{{"1":"","2":""}},"pin":false}},"status":"OK"}}"#
        )
    );
    assert_eq!(s.call("READ", "userinfo", &[("uid", &uid_s)]), info.json());
    assert_eq!(
        s.call("READ", "userinfo", &[("uid", "999")]),
        json!({"msg": "Login incorrect.", "status": "ERROR"})
    );
    s.cli_ok_stdin(&["user", "pin", "set", "erin"], Some("1234\n"));
    assert_eq!(
        s.call("READ", "userinfo", &[("username", "erin")])["data"]["pin"],
        true
    );

    let exists = |k: &str, v: &str| s.call("AUTH", "userexists", &[(k, v)]);
    assert_eq!(
        exists("username", "erin").to_string(),
        r#"{"exists":true,"status":"OK"}"#
    );
    assert_eq!(exists("uid", &uid_s)["exists"], true);
    assert_eq!(exists("username", "zed")["exists"], false);

    assert_eq!(
        s.call("AUTH", "hastotp", &[("username", "erin")])
            .to_string(),
        r#"{"otp":false,"status":"OK"}"#
    );
    assert_eq!(
        s.call("AUTH", "hastotp", &[("username", "zed")])["otp"],
        false
    );

    let status = |u: &str| s.call("AUTH", "acctstatus", &[("username", u)]);
    assert_eq!(
        status("erin").to_string(),
        r#"{"account":"NORMAL","status":"OK"}"#
    );
    set_status(&s, "erin", "locked_or_disabled");
    assert_eq!(status("erin")["account"], "LOCKED_OR_DISABLED");
    force_status(&s, uid, 7);
    assert_eq!(status("erin")["account"], "OTHER_7");
    assert_eq!(status("zed"), json!({"account": "OTHER_0", "status": "OK"}));

    // Deleted accounts exist for nobody.
    s.cli_ok(&["user", "delete", "erin"]);
    assert_eq!(exists("uid", &uid_s)["exists"], false);
    assert_eq!(
        s.call("READ", "userinfo", &[("uid", &uid_s)])["status"],
        "ERROR"
    );
    assert_eq!(status("erin")["account"], "OTHER_0");
    assert_eq!(
        s.call("AUTH", "hastotp", &[("username", "erin")])["otp"],
        false
    );
}

fn enable_totp(s: &Service, user: &str) -> Vec<u8> {
    let out = s.cli_ok(&["user", "totp", "enable", user]);
    let secret = out
        .lines()
        .next()
        .unwrap()
        .strip_prefix("secret: ")
        .unwrap();
    assert!(out.contains("otpauth://totp/AccountHub:"));
    assert!(out.contains(&format!("?secret={secret}&issuer=AccountHub")));
    totp::decode_secret(secret).unwrap()
}

#[test]
fn totp_code_is_accepted_once_and_failures_are_audited() {
    let s = Service::start();
    let uid = s.add_user("fay", "Fay", "fay@example.org", "pw");
    s.add_user("gus", "Gus", "gus@example.org", "pw");
    let key = enable_totp(&s, "fay");
    assert_eq!(
        s.call("AUTH", "hastotp", &[("username", "fay")])["otp"],
        true
    );
    let verify =
        |u: &str, code: &str| s.call("AUTH", "verifytotp", &[("username", u), ("code", code)]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let code = totp::code_at_step(&key, totp::step_of(now));
    let refused =
        json!({"valid": false, "msg": "Authentication code incorrect.", "status": "ERROR"});
    assert_eq!(
        verify("fay", &code).to_string(),
        r#"{"valid":true,"status":"OK"}"#
    );
    assert_eq!(verify("fay", &code), refused, "replay must be refused");
    let far = totp::code_at_step(&key, totp::step_of(now) + 5);
    assert_eq!(verify("fay", &far), refused);
    assert_eq!(verify("gus", "123456"), refused, "no 2FA → not valid");
    assert_eq!(verify("nobody", "123456"), refused, "unknown → not valid");
    let rows = audit(&s, 7);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].0, Some(uid));
    assert!(rows[0].1.starts_with("Username: fay, Key: "));

    // A stored secret that is not base32 is refused, not a 500.
    s.db()
        .execute(
            "UPDATE accounts SET authsecret = 'not base32!' WHERE uid = ?1",
            [uid],
        )
        .unwrap();
    assert_eq!(verify("fay", &code), refused);
    s.cli_ok(&["user", "totp", "disable", "fay"]);
    assert_eq!(
        s.call("AUTH", "hastotp", &[("username", "fay")])["otp"],
        false
    );
}

#[test]
fn checkpin_compares_exact_strings_against_a_hash() {
    let s = Service::start();
    let uid = s.add_user("hal", "Hal", "hal@example.org", "pw");
    let check = |args: &[(&str, &str)]| s.call("AUTH", "checkpin", args);
    assert_eq!(
        check(&[("pin", "1234"), ("username", "hal")]).to_string(),
        r#"{"status":"ERROR","pinvalid":false,"nopinset":true}"#
    );
    s.cli_ok_stdin(&["user", "pin", "set", "hal"], Some("1234\n"));
    let stored: String = s
        .db()
        .query_row("SELECT pin FROM accounts WHERE uid = ?1", [uid], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(stored.starts_with("$pbkdf2-sha256$"));
    assert_eq!(
        check(&[("pin", "1234"), ("username", "hal")]).to_string(),
        r#"{"status":"OK","pinvalid":true}"#
    );
    assert_eq!(
        check(&[("pin", "1234"), ("uid", &uid.to_string())])["pinvalid"],
        true
    );
    assert_eq!(
        check(&[("pin", "01234"), ("username", "hal")]),
        json!({"status": "OK", "pinvalid": false})
    );
    assert_eq!(
        check(&[("pin", "1234"), ("username", "nobody")]),
        json!({"msg": "Login incorrect.", "status": "ERROR"})
    );
    for bad in ["12a", "123456789", ""] {
        let out = s.cli(&["user", "pin", "set", "hal"], Some(&format!("{bad}\n")));
        assert!(!out.status.success(), "{bad:?} accepted");
    }
    s.cli_ok(&["user", "pin", "clear", "hal"]);
    assert_eq!(
        check(&[("pin", "1234"), ("username", "hal")])["nopinset"],
        true
    );
}

#[test]
fn mobilevalid_checks_sync_codes_of_live_users() {
    let s = Service::start();
    s.add_user("ivy", "Ivy", "ivy@example.org", "pw");
    s.add_user("jon", "Jon", "jon@example.org", "pw");
    let code = s.cli_ok(&["user", "synccode", "add", "ivy", "--desc", "phone"]);
    let code = code.trim();
    assert_eq!(code.len(), 20);
    assert!(
        code.chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
    );
    let valid = |u: &str, c: &str| s.call("AUTH", "mobilevalid", &[("username", u), ("code", c)]);
    assert_eq!(
        valid("IVY", &code.to_lowercase()).to_string(),
        r#"{"status":"OK","valid":true}"#
    );
    assert_eq!(valid("jon", code)["valid"], false);
    assert_eq!(valid("ivy", "0000")["valid"], false);
    assert_eq!(valid("nobody", code)["valid"], false);
    s.cli_ok(&["user", "delete", "ivy"]);
    assert_eq!(valid("ivy", code)["valid"], false);
}

#[test]
fn brute_force_on_one_username_is_throttled_per_ip_and_user() {
    let s = Service::start_with(Options {
        extra_config: "[rate_limit]\ncredential_limit = 3\ncredential_window_secs = 60\n".into(),
        ..Options::default()
    });
    s.add_user("kim", "Kim", "kim@example.org", "pw-kim");
    s.add_user("lee", "Lee", "lee@example.org", "pw-lee");
    let login = |u: &str, p: &str| {
        s.form(
            "login",
            &s.keys["AUTH"],
            &[("username", u), ("password", p)],
        )
    };
    // A success clears the count.
    for _ in 0..2 {
        assert_eq!(login("kim", "guess").status, 200);
    }
    assert_eq!(login("kim", "pw-kim").json(), json!({"status": "OK"}));
    for _ in 0..3 {
        assert_eq!(login("kim", "guess").status, 200);
    }
    let r = login("KIM", "guess");
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"status": "ERROR", "msg": "You're going too fast.  Slow down, mkay?"})
    );
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // Blocked before checking: even the right password waits, on auth too.
    assert_eq!(login("kim", "pw-kim").status, 429);
    assert_eq!(
        s.form(
            "auth",
            &s.keys["AUTH"],
            &[("username", "kim"), ("password", "pw-kim")]
        )
        .status,
        429
    );
    // Another user from the same IP is unaffected.
    assert_eq!(login("lee", "pw-lee").json(), json!({"status": "OK"}));
    // Codes are throttled the same way, each kind on its own count.
    for action in ["verifytotp", "mobilevalid"] {
        let statuses: Vec<u16> = (0..4)
            .map(|_| {
                let args = [("username", "lee"), ("code", "000000")];
                s.form(action, &s.keys["AUTH"], &args).status
            })
            .collect();
        assert_eq!(statuses, [200, 200, 200, 429], "{action}");
    }
}

/// Form arguments of one call.
type Pairs<'a> = &'a [(&'a str, &'a str)];

#[test]
fn key_types_and_arguments_are_enforced() {
    let s = Service::start();
    s.add_user("max", "Max", "max@example.org", "pw");
    let cases: &[(&str, &str, Pairs)] = &[
        ("auth", "NONE", &[("username", "max"), ("password", "pw")]),
        ("login", "NONE", &[("username", "max"), ("password", "pw")]),
        ("userinfo", "AUTH", &[("username", "max")]),
        ("userexists", "NONE", &[("username", "max")]),
        ("hastotp", "NONE", &[("username", "max")]),
        ("verifytotp", "NONE", &[("username", "max"), ("code", "1")]),
        ("acctstatus", "NONE", &[("username", "max")]),
        ("checkpin", "NONE", &[("pin", "1"), ("username", "max")]),
        ("mobilevalid", "NONE", &[("username", "max"), ("code", "1")]),
        (
            "addapppassword",
            "READ",
            &[("desc", "d"), ("username", "max")],
        ),
    ];
    for (action, low, args) in cases {
        let r = s.form(action, &s.keys[*low], args);
        assert_eq!(
            (r.status, r.text()),
            (403, "403 Unauthorized".into()),
            "{action} with {low}"
        );
    }
    let missing: &[(&str, Pairs, &str)] = &[
        ("auth", &[("password", "pw")], "username"),
        ("auth", &[("username", "max")], "password"),
        (
            "login",
            &[("username", "max"), ("password", "")],
            "password",
        ),
        ("userinfo", &[], "uid"),
        ("userinfo", &[("uid", "abc")], "uid"),
        ("userexists", &[], "uid"),
        ("hastotp", &[], "username"),
        ("verifytotp", &[("username", "max")], "code"),
        ("acctstatus", &[], "username"),
        ("checkpin", &[("username", "max")], "pin"),
        ("checkpin", &[("pin", "1")], "username"),
        ("mobilevalid", &[("code", "x")], "username"),
        ("addapppassword", &[("username", "max")], "desc"),
        ("addapppassword", &[("desc", "d")], "username"),
    ];
    for (action, args, var) in missing {
        let r = s.form(action, &s.keys["FULL"], args);
        assert_eq!(
            (r.status, r.text()),
            (
                400,
                format!("400 Bad request: variable {var} is missing or invalid")
            ),
            "{action} {args:?}"
        );
    }
    // JSON bodies work as well (BinStack-family clients).
    let r = s.json(&json!({"action": "userexists", "key": s.keys["AUTH"], "uid": 1}));
    assert_eq!(r.json(), json!({"exists": true, "status": "OK"}));
}

#[test]
fn admin_commands_report_errors_and_exit_non_zero() {
    let s = Service::start();
    s.add_user("ned", "Ned", "ned@example.org", "old");
    for args in [
        vec!["user", "passwd", "ghost", "--generate"],
        vec!["user", "status", "ned", "SLEEPING"],
        vec!["user", "status", "ghost", "NORMAL"],
        vec!["user", "delete", "ghost"],
        vec!["user", "totp", "enable", "ghost"],
        vec!["user", "synccode", "add", "ghost"],
        vec!["user", "passwd", "ned"],
    ] {
        let out = s.cli(&args, None);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(!out.stderr.is_empty(), "{args:?} gave no error");
    }
    for help in [
        &["user", "passwd", "--help"][..],
        &["user", "totp", "--help"],
        &["user", "pin", "set", "--help"],
    ] {
        assert!(s.cli(help, None).status.success());
    }
    let out = s.cli_ok(&["user", "passwd", "ned", "--generate"]);
    let new: &str = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap();
    let auth =
        |p: &str| -> Value { s.call("AUTH", "auth", &[("username", "ned"), ("password", p)]) };
    assert_eq!(auth(new)["status"], "OK");
    assert_eq!(auth("old")["status"], "ERROR");
    s.cli_ok_stdin(
        &["user", "passwd", "ned", "--password-stdin"],
        Some("typed\n"),
    );
    assert_eq!(auth("typed")["status"], "OK");
    s.cli_ok(&["user", "delete", "ned"]);
    assert!(!s.cli(&["user", "delete", "ned"], None).status.success());
}
