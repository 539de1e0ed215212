//! The SSO login page through nginx + FastCGI with a real SQLite file, driven the way the
//! BinStack-family apps use it: JSON `getloginkey` → the browser on `<loginurl>?code=…&
//! redirect=…` → `checkloginkey` until OK. The browser here is the raw HTTP client with a
//! cookie jar (tests/common/web.rs); tests/browser.rs walks the same page in Chromium.

mod common;

use accounthub::totp;
use common::web::{
    Browser, app_config, app_redirect, binstack_login_url, checkloginkey, enable_totp, getloginkey,
    path_of,
};
use common::{HttpResponse, Options, Service};

fn service() -> Service {
    service_with("")
}

fn service_with(extra: &str) -> Service {
    Service::start_with(Options {
        extra_config: format!("{}{extra}", app_config()),
        ..Options::default()
    })
}

fn set_status(s: &Service, user: &str, status: &str) {
    s.cli_ok(&["user", "status", user, status]);
}

fn totp_now(key: &[u8]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    totp::code_at_step(key, totp::step_of(now))
}

/// Opens the login page for a fresh key; returns (code, page).
fn open_page(s: &Service, b: &mut Browser) -> (String, HttpResponse) {
    let (code, loginurl) = getloginkey(s, "BinStack");
    let page = b.get(&binstack_login_url(s, &loginurl, &code));
    assert_eq!(page.status, 200, "{}", page.text());
    (code, page)
}

fn location(r: &HttpResponse) -> String {
    assert_eq!(r.status, 303, "{}", r.text());
    r.header("location").expect("Location").to_string()
}

fn audit_types(s: &Service) -> Vec<i64> {
    s.db()
        .prepare("SELECT logtype FROM authlog WHERE logtype IN (1, 2, 3, 6, 11) ORDER BY logid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn plain_user_signs_in_through_the_binstack_flow() {
    let s = service();
    let uid = s.add_user(
        "alice",
        "Alice Smith",
        "alice@example.com",
        "correct horse 1",
    );
    let mut b = Browser::new(&s);
    let (code, loginurl) = getloginkey(&s, "BinStack");
    assert_eq!(code.len(), 43);
    assert!(
        code.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    );
    assert_eq!(
        loginurl,
        format!("http://127.0.0.1:{}/accounthub/login/", s.port)
    );
    assert_eq!(
        checkloginkey(&s, &code),
        serde_json::json!({"msg": "", "status": "ERROR"})
    );

    let page = b.get(&binstack_login_url(&s, &loginurl, &code));
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Login to BinStack"), "{html}");
    assert!(html.contains(&format!(
        "src=\"http://127.0.0.1:{}/binstack/static/img/logo.svg\"",
        s.port
    )));
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    let csrf_cookie = page.header("set-cookie").unwrap();
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Lax"));
    assert!(!csrf_cookie.contains("Secure"), "public_url is http");

    let r = b.submit(
        &page,
        "password",
        &[("username", "Alice"), ("password", "correct horse 1")],
    );
    assert_eq!(location(&r), app_redirect(&s));
    let session_cookie = r
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("ah_session="))
        .map(|(_, v)| v.clone())
        .expect("session cookie");
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));
    assert!(session_cookie.contains("Path=/accounthub/login;"));

    let v = checkloginkey(&s, &code);
    assert_eq!(v["status"], "OK");
    assert_eq!(v["uid"], serde_json::json!(uid), "uid is a JSON number");
    assert_eq!(
        checkloginkey(&s, &code)["status"],
        "ERROR",
        "a key works once"
    );
    assert_eq!(audit_types(&s), [1]);
    let token = b.cookies["ah_session"].clone();
    let stored: String = s
        .db()
        .query_row("SELECT token FROM login_sessions", [], |r| r.get(0))
        .unwrap();
    assert_ne!(stored, token, "only the digest is stored");

    // Signed in: the next app's key needs one click, no password.
    let (code2, page) = open_page(&s, &mut b);
    assert!(page.text().contains("Continue to BinStack"));
    let r = b.submit(&page, "continue", &[]);
    assert_eq!(location(&r), app_redirect(&s));
    assert_eq!(checkloginkey(&s, &code2)["uid"], serde_json::json!(uid));
}

#[test]
fn two_factor_user_gives_the_code_and_a_replayed_code_is_refused() {
    let s = service();
    let uid = s.add_user("tom", "Tom", "tom@example.com", "tom password 1");
    let key = enable_totp(&s, "tom");
    let mut b = Browser::new(&s);
    let (code, page) = open_page(&s, &mut b);
    let r = b.submit(
        &page,
        "password",
        &[("username", "tom"), ("password", "tom password 1")],
    );
    assert_eq!(
        session_max_age(&r).as_deref(),
        Some("600"),
        "until the code"
    );
    let step = b.get(&location(&r));
    assert!(
        step.text().contains("Authentication code"),
        "{}",
        step.text()
    );
    assert_eq!(
        checkloginkey(&s, &code)["status"],
        "ERROR",
        "not approved before the code"
    );
    let wrong = b.submit(&step, "totp", &[("totp", "000000")]);
    assert_eq!(wrong.status, 401);
    assert!(wrong.text().contains("Authentication code incorrect."));
    let otp = totp_now(&key);
    let r = b.submit(&wrong, "totp", &[("totp", &otp)]);
    assert_eq!(location(&r), app_redirect(&s));
    assert_eq!(
        session_max_age(&r).as_deref(),
        Some("28800"),
        "the browser keeps the session as long as it lasts"
    );
    assert_eq!(checkloginkey(&s, &code)["uid"], serde_json::json!(uid));

    // The same code again, from another browser: refused.
    let mut other = Browser::new(&s);
    let (code, page) = open_page(&s, &mut other);
    let r = other.submit(
        &page,
        "password",
        &[("username", "tom"), ("password", "tom password 1")],
    );
    let step = other.get(&location(&r));
    let replay = other.submit(&step, "totp", &[("totp", &otp)]);
    assert_eq!(replay.status, 401, "replayed TOTP code");
    assert_eq!(checkloginkey(&s, &code)["status"], "ERROR");
    assert_eq!(audit_types(&s), [6, 1, 6]);
}

#[test]
fn change_password_user_must_choose_a_good_new_password() {
    let dir = common::TempDir::new("common");
    let list = dir.0.join("common.txt");
    std::fs::write(&list, "Company2026!!\n").unwrap();
    let s = service_with(&format!(
        "[login]\ncommon_passwords_file = \"{}\"\n",
        list.display()
    ));
    let uid = s.add_user("carl", "Carl", "carl@example.com", "old password 1");
    set_status(&s, "carl", "CHANGE_PASSWORD");
    let mut b = Browser::new(&s);
    let (code, page) = open_page(&s, &mut b);
    let r = b.submit(
        &page,
        "password",
        &[("username", "carl"), ("password", "old password 1")],
    );
    let form = b.get(&location(&r));
    assert!(
        form.text().contains("You must choose a new password"),
        "{}",
        form.text()
    );
    for (new, confirm, why) in [
        ("short", "short", "at least 10 characters"),
        ("password123", "password123", "too common"),
        ("company2026!!", "company2026!!", "too common"),
        (
            "old password 1",
            "old password 1",
            "different from your current one",
        ),
        ("a fine new one", "a fine new 0ne", "do not match"),
    ] {
        let r = b.submit(
            &form,
            "newpass",
            &[("new_password", new), ("confirm", confirm)],
        );
        assert_eq!(r.status, 400, "{new}");
        assert!(r.text().contains(why), "{new}: {}", r.text());
    }
    assert_eq!(checkloginkey(&s, &code)["status"], "ERROR");
    let r = b.submit(
        &form,
        "newpass",
        &[
            ("new_password", "a fine new one"),
            ("confirm", "a fine new one"),
        ],
    );
    assert_eq!(location(&r), app_redirect(&s));
    assert_eq!(session_max_age(&r).as_deref(), Some("28800"));
    assert_eq!(checkloginkey(&s, &code)["uid"], serde_json::json!(uid));
    assert_eq!(
        s.call("AUTH", "acctstatus", &[("username", "carl")])["account"],
        "NORMAL"
    );
    assert_eq!(
        s.call(
            "AUTH",
            "auth",
            &[("username", "carl"), ("password", "a fine new one")]
        )["status"],
        "OK"
    );
    assert_eq!(
        s.call(
            "AUTH",
            "auth",
            &[("username", "carl"), ("password", "old password 1")]
        )["status"],
        "ERROR"
    );
    assert_eq!(audit_types(&s), [3, 1]);
}

#[test]
fn without_a_code_any_user_signs_in_and_changes_the_password() {
    let s = service();
    s.add_user("dora", "Dora", "dora@example.com", "dora password 1");
    set_status(&s, "dora", "CHANGE_PASSWORD");
    let mut b = Browser::new(&s);
    let page = b.get(&s.url("login/"));
    assert!(page.text().contains("Sign in to AccountHub"));
    let r = b.submit(
        &page,
        "password",
        &[("username", "dora"), ("password", "dora password 1")],
    );
    let form = b.get(&location(&r));
    let r = b.submit(
        &form,
        "newpass",
        &[
            ("new_password", "dora new secret"),
            ("confirm", "dora new secret"),
        ],
    );
    let account = b.get(&location(&r));
    assert!(
        account
            .text()
            .contains("signed in as <strong>dora</strong>"),
        "{}",
        account.text()
    );
    // A voluntary change asks for the current password.
    let r = b.submit(
        &account,
        "newpass",
        &[
            ("current", "wrong"),
            ("new_password", "another secret 2"),
            ("confirm", "another secret 2"),
        ],
    );
    assert_eq!(r.status, 401);
    let r = b.submit(
        &account,
        "newpass",
        &[
            ("current", "dora new secret"),
            ("new_password", "another secret 2"),
            ("confirm", "another secret 2"),
        ],
    );
    let done = b.get(&location(&r));
    assert!(done.text().contains("Your password was changed."));
    assert_eq!(
        s.call(
            "AUTH",
            "auth",
            &[("username", "dora"), ("password", "another secret 2")]
        )["status"],
        "OK"
    );
    let r = b.submit(&done, "logout", &[]);
    let page = b.get(&location(&r));
    assert!(
        page.text().contains("name=\"step\" value=\"password\""),
        "signed out"
    );
}

#[test]
fn alert_mail_is_queued_only_after_the_password_is_verified() {
    let s = service_with("[mail]\nadmin_email = \"admin@example.com\"\n");
    s.add_user("ann", "Ann", "ann@example.com", "ann password 1");
    set_status(&s, "ann", "ALERT_ON_ACCESS");
    let outbox = || -> Vec<String> {
        s.db()
            .prepare("SELECT body FROM mail_outbox")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let mut b = Browser::new(&s);
    let (code, page) = open_page(&s, &mut b);
    assert!(outbox().is_empty(), "nothing queued for the page");
    let r = b.submit(
        &page,
        "password",
        &[("username", "ann"), ("password", "wrong")],
    );
    assert_eq!(r.status, 401);
    assert!(r.text().contains("Login incorrect."));
    assert!(outbox().is_empty(), "nothing queued for a wrong password");
    let r = b.submit(
        &r,
        "password",
        &[("username", "ann"), ("password", "ann password 1")],
    );
    assert_eq!(location(&r), app_redirect(&s));
    let mails = outbox();
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("\"ann\"") && mails[0].contains("BinStack"),
        "{}",
        mails[0]
    );
    assert_eq!(checkloginkey(&s, &code)["status"], "OK");
    // Signed in already, one more app: the admin hears of that sign-in too.
    let (code, page) = open_page(&s, &mut b);
    let r = b.submit(&page, "continue", &[]);
    assert_eq!(location(&r), app_redirect(&s));
    assert_eq!(outbox().len(), 2);
    assert_eq!(checkloginkey(&s, &code)["status"], "OK");
}

#[test]
fn locked_terminated_and_deleted_accounts_never_pass() {
    let s = service();
    s.add_user("lou", "Lou", "lou@example.com", "lou password 1");
    s.add_user("ted", "Ted", "ted@example.com", "ted password 1");
    s.add_user("del", "Del", "del@example.com", "del password 1");
    set_status(&s, "lou", "LOCKED_OR_DISABLED");
    set_status(&s, "ted", "TERMINATED");
    s.cli_ok(&["user", "delete", "del"]);
    for (user, status, text) in [
        ("lou", 403, "This account has been disabled."),
        ("ted", 403, "Account terminated."),
        ("del", 401, "Login incorrect."),
    ] {
        let mut b = Browser::new(&s);
        let (code, page) = open_page(&s, &mut b);
        let password = format!("{user} password 1");
        let r = b.submit(
            &page,
            "password",
            &[("username", user), ("password", &password)],
        );
        assert_eq!(r.status, status, "{user}");
        assert!(r.text().contains(text), "{user}: {}", r.text());
        assert!(!b.cookies.contains_key("ah_session"), "{user}");
        assert_eq!(checkloginkey(&s, &code)["status"], "ERROR", "{user}");
    }
    // A key approved before the account was locked does not pass either.
    s.add_user("amy", "Amy", "amy@example.com", "amy password 1");
    let mut b = Browser::new(&s);
    let (code, page) = open_page(&s, &mut b);
    let r = b.submit(
        &page,
        "password",
        &[("username", "amy"), ("password", "amy password 1")],
    );
    assert_eq!(r.status, 303);
    set_status(&s, "amy", "LOCKED_OR_DISABLED");
    assert_eq!(checkloginkey(&s, &code)["status"], "ERROR");
}

#[test]
fn expired_reused_and_unknown_keys_and_foreign_redirects_are_refused() {
    let s = service();
    s.add_user("eve", "Eve", "eve@example.com", "eve password 1");
    let mut b = Browser::new(&s);
    let (code, loginurl) = getloginkey(&s, "BinStack");
    s.db()
        .execute(
            "UPDATE userloginkeys SET expires = '2000-01-01 00:00:00'",
            [],
        )
        .unwrap();
    let r = b.get(&binstack_login_url(&s, &loginurl, &code));
    assert_eq!(r.status, 400);
    assert!(r.text().contains("invalid or has expired"));
    assert_eq!(checkloginkey(&s, &code)["status"], "ERROR");
    let r = b.get(&binstack_login_url(&s, &loginurl, "no-such-code"));
    assert_eq!(r.status, 400);

    // A foreign redirect: an error page, no redirect, whatever the form says.
    let (code, loginurl) = getloginkey(&s, "BinStack");
    for evil in [
        "https://evil.example/",
        "//evil.example/",
        "http://127.0.0.1.evil.example/",
        "javascript:alert(1)",
    ] {
        let r = b.get(&format!("{loginurl}?code={code}&redirect={evil}"));
        assert_eq!(r.status, 400, "{evil}");
        assert!(r.header("location").is_none());
        assert!(r.text().contains("not allowed"), "{evil}");
    }
    let page = b.get(&binstack_login_url(&s, &loginurl, &code));
    let csrf = common::web::hidden(&page.text(), "csrf");
    let r = b.post(&[
        ("step", "password"),
        ("csrf", &csrf),
        ("code", &code),
        ("redirect", "https://evil.example/"),
        ("username", "eve"),
        ("password", "eve password 1"),
    ]);
    assert_eq!(r.status, 400);
    assert!(r.header("location").is_none());
    assert_eq!(checkloginkey(&s, &code)["status"], "ERROR");

    // Reused: approved and taken once, the same key cannot be approved again.
    let r = b.submit(
        &page,
        "password",
        &[("username", "eve"), ("password", "eve password 1")],
    );
    assert_eq!(location(&r), app_redirect(&s));
    assert_eq!(checkloginkey(&s, &code)["status"], "OK");
    let again = b.get(&binstack_login_url(&s, &loginurl, &code));
    assert_eq!(again.status, 400, "a used key opens no page");
    assert_eq!(checkloginkey(&s, &code)["status"], "ERROR");
}

#[test]
fn forms_without_the_csrf_token_change_nothing() {
    let s = service();
    s.add_user("fin", "Fin", "fin@example.com", "fin password 1");
    let mut b = Browser::new(&s);
    let (code, page) = open_page(&s, &mut b);
    let redirect = app_redirect(&s);
    let base = [
        ("step", "password"),
        ("code", code.as_str()),
        ("redirect", redirect.as_str()),
        ("username", "fin"),
        ("password", "fin password 1"),
    ];
    let r = b.post(&base);
    assert_eq!(r.status, 403, "missing token");
    let mut forged = base.to_vec();
    forged.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_eq!(b.post(&forged).status, 403, "wrong token");
    // Another browser's token is no good either (it has no matching cookie).
    let mut other = Browser::new(&s);
    let csrf = common::web::hidden(&page.text(), "csrf");
    let mut stolen = base.to_vec();
    stolen.push(("csrf", &csrf));
    assert_eq!(other.post(&stolen).status, 403, "token without its cookie");
    assert!(!b.cookies.contains_key("ah_session"));
    assert_eq!(checkloginkey(&s, &code)["status"], "ERROR");
    assert!(audit_types(&s).is_empty(), "no password was checked");
    let r = b.submit(
        &page,
        "password",
        &[("username", "fin"), ("password", "fin password 1")],
    );
    assert_eq!(r.status, 303);
}

#[test]
fn repeated_wrong_passwords_are_throttled_per_ip_and_user() {
    let s = service();
    s.add_user("gus", "Gus", "gus@example.com", "gus password 1");
    s.add_user("hal", "Hal", "hal@example.com", "hal password 1");
    let mut b = Browser::new(&s);
    let (_, mut page) = open_page(&s, &mut b);
    for _ in 0..5 {
        page = b.submit(
            &page,
            "password",
            &[("username", "gus"), ("password", "nope")],
        );
        assert_eq!(page.status, 401);
    }
    let r = b.submit(
        &page,
        "password",
        &[("username", "gus"), ("password", "gus password 1")],
    );
    assert_eq!(r.status, 429, "blocked even with the right password");
    assert!(r.header("retry-after").is_some());
    assert!(r.text().contains("Too many failed attempts"));
    let r = b.submit(
        &page,
        "password",
        &[("username", "hal"), ("password", "hal password 1")],
    );
    assert_eq!(
        r.status, 303,
        "another user from the same IP is not blocked"
    );
    assert_eq!(audit_types(&s), [2, 2, 2, 2, 2, 1]);
}

#[test]
fn getloginkey_bounds_its_input() {
    let s = service();
    let long = "x".repeat(101);
    let v = s.call("AUTH", "getloginkey", &[("appname", &long)]);
    assert_eq!(v["status"], "ERROR");
    let v = s.call(
        "AUTH",
        "getloginkey",
        &[("appname", "App"), ("appicon", &"i".repeat(8193))],
    );
    assert_eq!(v["status"], "ERROR");
    let rows: i64 = s
        .db()
        .query_row("SELECT count(*) FROM userloginkeys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0);
    let r = s.form("getloginkey", &s.keys["NONE"], &[("appname", "App")]);
    assert_eq!(r.status, 403, "needs an AUTH key");
    // A hostile app name and icon are shown escaped, and the icon only if it is a plain URL.
    let v = s.call(
        "AUTH",
        "getloginkey",
        &[
            ("appname", "<script>alert(1)</script>"),
            ("appicon", "javascript:alert(1)"),
        ],
    );
    let mut b = Browser::new(&s);
    let page = b.get(&format!(
        "{}?code={}",
        v["loginurl"].as_str().unwrap(),
        v["code"].as_str().unwrap()
    ));
    let html = page.text();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(
        html.contains("Login to &#60;script&#62;") || html.contains("Login to &lt;script&gt;"),
        "{html}"
    );
    assert!(!html.contains("javascript:"));
}

#[test]
fn admin_lists_and_revokes_sessions_and_login_keys() {
    let s = service();
    s.add_user("ivy", "Ivy", "ivy@example.com", "ivy password 1");
    let mut b = Browser::new(&s);
    let (code, page) = open_page(&s, &mut b);
    let r = b.submit(
        &page,
        "password",
        &[("username", "ivy"), ("password", "ivy password 1")],
    );
    assert_eq!(r.status, 303);
    let listing = s.cli_ok(&["session", "list", "ivy"]);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 2, "{listing}");
    assert!(
        lines[0].starts_with("session\t") && lines[0].ends_with("\tsigned-in"),
        "{listing}"
    );
    assert!(
        lines[1].starts_with("loginkey\t") && lines[1].contains("\tBinStack\t"),
        "{listing}"
    );
    let session_id = lines[0].split('\t').nth(1).unwrap();
    let key_id = lines[1].split('\t').nth(1).unwrap();

    s.cli_ok(&["session", "revoke", "ivy", "--key", key_id]);
    assert_eq!(checkloginkey(&s, &code)["status"], "ERROR", "revoked key");
    s.cli_ok(&["session", "revoke", "ivy", session_id]);
    assert!(s.cli_ok(&["session", "list", "ivy"]).is_empty());
    let (_, page) = open_page(&s, &mut b);
    assert!(
        page.text().contains("name=\"step\" value=\"password\""),
        "signed out"
    );
    let out = s.cli(&["session", "revoke", "ivy", session_id], None);
    assert!(!out.status.success(), "already revoked");
    assert!(
        s.cli_ok(&["session", "revoke", "ivy", "--all"])
            .contains("revoked 0")
    );
}

/// A raw request: method, target, headers, body.
type Junk<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a [u8]);

#[test]
fn nothing_a_client_sends_gets_a_server_error() {
    let s = service();
    let page = s.url("login/");
    let junk: &[Junk] = &[
        ("PUT", &page, &[], b"x"),
        ("DELETE", &page, &[], b""),
        (
            "POST",
            &page,
            &[("Content-Type", "application/json")],
            b"{\"step\":\"password\"}",
        ),
        (
            "POST",
            &page,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"step=password&csrf=&username=%ff%fe",
        ),
        (
            "POST",
            &page,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"step=bogus",
        ),
        (
            "POST",
            &page,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", "ah_session=nope; ah_csrf=x"),
            ],
            b"step=totp&csrf=x",
        ),
        (
            "GET",
            "/accounthub/login/?code=%00%ff&redirect=%0d%0aX:y",
            &[],
            b"",
        ),
        ("GET", "/accounthub/login?redirect=https://evil/", &[], b""),
        (
            "GET",
            "/accounthub/login/",
            &[("Cookie", "ah_session=\u{1}; ah_csrf=;;;")],
            b"",
        ),
    ];
    for (method, target, headers, body) in junk {
        let r = s.request(method, target, headers, body);
        assert!(
            (200..500).contains(&r.status),
            "{method} {target}: {} {}",
            r.status,
            r.text()
        );
    }
    let big = vec![b'a'; 70 * 1024];
    let r = s.request(
        "POST",
        &page,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &big,
    );
    assert_eq!(r.status, 413);
    assert_eq!(path_of("http://h:1/a/b?c"), "/a/b?c");
}

/// The Max-Age of the session cookie a response sets, if it sets one.
fn session_max_age(r: &HttpResponse) -> Option<String> {
    let cookie = r
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("ah_session="))?;
    cookie
        .1
        .split("; ")
        .find_map(|part| part.strip_prefix("Max-Age="))
        .map(str::to_string)
}
