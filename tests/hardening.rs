//! Hardening (issue 15) through a real nginx in front of the real responder, with a real
//! SQLite file: nothing a request sends fills the disk, the credential limiter cannot be
//! raced (FastCGI and CGI), nginx's own error pages are not HTML, and the smaller input
//! checks (Maian names, search fragments).

mod common;

use std::sync::Barrier;

use common::{Options, Service, apache};
use serde_json::{Value, json};

/// Bytes of the database file and its write-ahead log.
fn db_bytes(s: &Service) -> u64 {
    ["accounthub.sqlite", "accounthub.sqlite-wal"]
        .iter()
        .map(|f| std::fs::metadata(s.path(f)).map_or(0, |m| m.len()))
        .sum()
}

fn count(s: &Service, sql: &str) -> i64 {
    s.db().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A form POST with a body built by hand (values too big for the serializer helpers to be
/// worth it, or raw on purpose).
fn post_form(s: &Service, body: &str) -> common::HttpResponse {
    s.request(
        "POST",
        &s.url("api/"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )
}

#[test]
fn bad_keys_of_900_kb_leave_the_database_small() {
    // A long window: the 200 requests must fall into one (debug builds are slow).
    let s = Service::start_with(Options {
        extra_config: "[rate_limit]\nbad_key_window_secs = 3600\n".into(),
        ..Options::default()
    });
    let before = db_bytes(&s);
    let key = "K".repeat(900_000);
    let mut statuses = Vec::new();
    for _ in 0..200 {
        let r = post_form(&s, &format!("action=ping&key={key}"));
        statuses.push(r.status);
    }
    assert!(statuses.iter().all(|&st| st == 403 || st == 429));
    assert_eq!(statuses.iter().filter(|&&st| st == 403).count(), 10);
    let grown = db_bytes(&s).saturating_sub(before);
    assert!(grown < 1 << 20, "database grew by {grown} bytes");
    // One audit row per counted bad key, none per 429; each a short fixed form.
    assert_eq!(
        count(&s, "SELECT count(*) FROM authlog WHERE logtype = 14"),
        10
    );
    assert_eq!(
        count(
            &s,
            "SELECT max(length(otherdata)) FROM authlog WHERE logtype = 14"
        ) as usize,
        "Key: KK…KK (>64)".chars().count()
    );
    let note: String = s
        .db()
        .query_row("SELECT otherdata FROM authlog LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(note, "Key: KK…KK (>64)");
}

#[test]
fn failed_auth_with_900_kb_user_names_stays_small() {
    let s = Service::start();
    let before = db_bytes(&s);
    let long = "n".repeat(900_000);
    for i in 0..100 {
        let body = format!(
            "action=auth&key={}&username=u{i}{long}&password=guess",
            s.keys["AUTH"]
        );
        let r = post_form(&s, &body);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["msg"], "Login incorrect.");
    }
    let grown = db_bytes(&s).saturating_sub(before);
    assert!(grown < 5 << 20, "database grew by {grown} bytes");
    assert_eq!(
        count(&s, "SELECT count(*) FROM authlog WHERE logtype = 13"),
        100
    );
    assert!(count(&s, "SELECT max(length(otherdata)) FROM authlog") < 160);
    assert!(count(&s, "SELECT max(length(bucket)) FROM rate_limits") < 120);
    let note: String = s
        .db()
        .query_row(
            "SELECT otherdata FROM authlog WHERE logtype = 13 LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        note.starts_with(&format!("Username: u0{}…, Key: ", "n".repeat(62))),
        "{note}"
    );
}

#[test]
fn audit_log_is_pruned_oldest_first_over_max_rows() {
    let s = Service::start_with(Options {
        extra_config: "[rate_limit]\nbad_key_limit = 1000\n[audit]\nmax_rows = 20\n".into(),
        ..Options::default()
    });
    for i in 0..30 {
        let key = format!("{i:02}-not-a-key-at-all-{i:02}");
        assert_eq!(s.form("ping", &key, &[]).status, 403);
    }
    let notes: Vec<String> = s
        .db()
        .prepare("SELECT otherdata FROM authlog ORDER BY logid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(notes.len(), 20);
    assert_eq!(notes[0], "Key: 10…10 (≤32)");
    assert_eq!(notes[19], "Key: 29…29 (≤32)");
}

/// Sends `n` requests at once (all threads released together); returns their statuses.
fn burst(n: usize, send: impl Fn() -> u16 + Sync) -> Vec<u16> {
    let gate = Barrier::new(n);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..n)
            .map(|_| {
                scope.spawn(|| {
                    gate.wait();
                    send()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

fn evaluated(statuses: &[u16]) -> usize {
    assert!(
        statuses.iter().all(|&st| st == 200 || st == 429),
        "{statuses:?}"
    );
    statuses.iter().filter(|&&st| st == 200).count()
}

const LIMIT_5: &str = "[rate_limit]\ncredential_limit = 5\ncredential_window_secs = 300\n";

#[test]
fn a_parallel_burst_of_guesses_is_evaluated_at_most_credential_limit_times() {
    let s = Service::start_with(Options {
        extra_config: LIMIT_5.into(),
        ..Options::default()
    });
    let uid = s.add_user("vic", "Vic", "vic@example.org", "right-pw");
    let auth = |pw: &str| {
        s.form(
            "auth",
            &s.keys["AUTH"],
            &[("username", "vic"), ("password", pw)],
        )
    };
    let statuses = burst(40, || auth("wrong-pw").status);
    assert_eq!(evaluated(&statuses), 5, "{statuses:?}");
    let failed = format!("SELECT count(*) FROM authlog WHERE logtype = 13 AND uid = {uid}");
    assert_eq!(count(&s, &failed), 5);
    // The right password after the limit is refused too.
    assert_eq!(auth("right-pw").status, 429);

    // Every other secret kind: its own count, the same cap.
    s.cli_ok(&["user", "totp", "enable", "vic"]);
    s.cli_ok_stdin(&["user", "pin", "set", "vic"], Some("4321\n"));
    s.cli_ok(&["user", "synccode", "add", "vic", "--desc", "phone"]);
    let kinds: [(&str, &[(&str, &str)]); 4] = [
        ("login", &[("username", "VIC"), ("password", "x")]),
        ("verifytotp", &[("username", "vic"), ("code", "000000")]),
        ("checkpin", &[("username", "vic"), ("pin", "0000")]),
        ("mobilevalid", &[("username", "vic"), ("code", "0000")]),
    ];
    for (action, args) in kinds {
        let statuses = burst(20, || s.form(action, &s.keys["AUTH"], args).status);
        let expected = if action == "login" { 0 } else { 5 };
        assert_eq!(evaluated(&statuses), expected, "{action}: {statuses:?}");
    }
    let right = s.form(
        "checkpin",
        &s.keys["AUTH"],
        &[("username", "vic"), ("pin", "4321")],
    );
    assert_eq!(right.status, 429);
}

#[test]
fn alertemail_buckets_are_bounded_and_capped_in_a_burst() {
    let s = Service::start_with(Options {
        extra_config: format!("{LIMIT_5}[mail]\nadmin_email = \"admin@example.org\"\n"),
        ..Options::default()
    });
    let name = format!("al{}", "x".repeat(500_000));
    let statuses = burst(20, || {
        let body = format!("action=alertemail&key={}&username={name}", s.keys["FULL"]);
        post_form(&s, &body).status
    });
    assert_eq!(evaluated(&statuses), 5, "{statuses:?}");
    assert!(count(&s, "SELECT max(length(bucket)) FROM rate_limits") < 120);
}

#[test]
fn a_parallel_burst_through_cgi_is_capped_too() {
    let mut s = Service::prepare(Options {
        extra_config: LIMIT_5.into(),
        ..Options::default()
    });
    s.add_user("wes", "Wes", "wes@example.org", "right-pw");
    apache::start(
        &mut s,
        "deploy/apache-cgi.conf.example",
        &["alias", "env", "cgid"],
    );
    let auth = |pw: &str| {
        s.form(
            "auth",
            &s.keys["AUTH"],
            &[("username", "wes"), ("password", pw)],
        )
    };
    let statuses = burst(24, || auth("wrong-pw").status);
    assert_eq!(evaluated(&statuses), 5, "{statuses:?}");
    assert_eq!(auth("right-pw").status, 429);
}

/// True if a response is one of nginx's own HTML pages.
fn is_html(r: &common::HttpResponse) -> bool {
    r.text().contains("<html") || r.header("content-type").is_some_and(|t| t.contains("html"))
}

#[test]
fn nginx_errors_reach_api_clients_as_text_not_html() {
    let s = Service::start();
    // 414: a request line longer than nginx's header buffers.
    let long = format!("{}?x={}", s.url("api/"), "a".repeat(20_000));
    let r = s.request("GET", &long, &[], b"");
    assert_eq!(r.status, 414);
    assert!(!is_html(&r), "{}", r.text());
    assert_eq!(r.text(), "414 Request-URI too long");
    // 400: a request nginx refuses (two Host headers).
    let r = s.request("GET", &s.url("api/"), &[("Host", "a"), ("Host", "b")], b"");
    assert_eq!(r.status, 400);
    assert!(!is_html(&r), "{}", r.text());
    assert_eq!(r.text(), "400 Bad request");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

fn maian_post(s: &Service, account: Value) -> Value {
    let body = json!({"api": s.keys["FULL"], "op": "account", "accounts": {"account": account}});
    let r = s.request(
        "POST",
        &s.url("index.php?api"),
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

#[test]
fn maian_refuses_control_characters_in_names() {
    let s = Service::start();
    for name in ["Eve\r\nBcc: x@example.org", "Eve\u{7}", "Eve\u{85}x"] {
        let r = maian_post(&s, json!({"name": name, "email": "eve@example.org"}));
        assert_eq!(r["status"], "ERROR", "{name:?}: {r}");
        assert_eq!(
            r["errors"][0]["message"],
            "The name contains control characters (such as line breaks)."
        );
    }
    assert_eq!(count(&s, "SELECT count(*) FROM accounts"), 0);
    let r = maian_post(&s, json!({"name": "Eve Ávila", "email": "eve@example.org"}));
    assert_eq!(r["status"], "OK", "{r}");
}

#[test]
fn searches_answer_ok_for_empty_and_oversized_fragments() {
    let s = Service::start();
    let long_name = "Q".repeat(300);
    s.add_user("quinn", &long_name, "q@example.org", "pw");
    let search = |action: &str, q: &str| {
        let r = s.form(action, &s.keys["READ"], &[("search", q)]);
        assert_eq!(r.status, 200, "{action} {}: {}", q.len(), r.text());
        r.json()
    };
    let nothing = json!({"status": "OK", "result": []});
    assert_eq!(search("usersearch", ""), nothing);
    // A fragment is at most 255 characters: longer ones find nothing, cheaply.
    assert_eq!(
        search("usersearch", &long_name[..255])["result"][0]["username"],
        "quinn"
    );
    assert_eq!(search("usersearch", &long_name[..256]), nothing);
    let huge = "q".repeat(900_000);
    assert_eq!(search("usersearch", &huge), nothing);
    assert_eq!(search("groupsearch", &huge), nothing);
}
