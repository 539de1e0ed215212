//! Foundation behaviour through a real nginx in front of the real responder (FastCGI over a
//! unix socket), with a real SQLite file: keys, routing forms, limits, faces, shutdown.

mod common;

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, Options, Service, fcgi, http};
use serde_json::json;

#[test]
fn ping_with_every_key_type() {
    let s = Service::start();
    for t in ["NONE", "AUTH", "READ", "FULL"] {
        let r = s.form("ping", &s.keys[t], &[]);
        assert_eq!(r.status, 200, "{t}: {}", r.text());
        assert_eq!(r.json(), json!({"status": "OK"}));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    }
}

#[test]
fn a_revoked_or_retyped_key_stops_working_with_the_next_request() {
    let s = Service::start();
    let key = s
        .cli_ok(&["key", "add", "--type", "READ"])
        .trim()
        .to_string();
    // Every pooled connection of the responder has seen the key.
    for _ in 0..20 {
        assert_eq!(s.form("ping", &key, &[]).status, 200);
    }
    let listed = s.cli_ok(&["key", "list"]);
    let id = listed
        .lines()
        .last()
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    s.db()
        .execute("UPDATE apikeys SET type = 'NONE' WHERE keyid = ?1", [&id])
        .unwrap();
    let r = s.form("userinfo", &key, &[("username", "nobody")]);
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(s.form("ping", &key, &[]).status, 200);
    s.cli_ok(&["key", "revoke", &id]);
    // (Below the bad-key limit, which would answer 429.)
    for _ in 0..5 {
        let r = s.form("ping", &key, &[]);
        assert_eq!(r.status, 403, "{}", r.text());
    }
}

#[test]
fn missing_and_bad_keys_get_403_then_429_and_are_audited() {
    let s = Service::start_with(Options {
        extra_config: "[rate_limit]\nbad_key_limit = 3\nbad_key_window_secs = 60\n".into(),
        ..Options::default()
    });
    let r = s.form("ping", "", &[]);
    assert_eq!((r.status, r.text().as_str()), (403, "403 Unauthorized"));
    let r = s.form("ping", "wrong-key-123456", &[]);
    assert_eq!((r.status, r.text().as_str()), (403, "403 Unauthorized"));
    let r = s.form("ping", "wrong-key-123456", &[]);
    assert_eq!(r.status, 403);
    let r = s.form("ping", "wrong-key-123456", &[]);
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"status": "ERROR", "msg": "You're going too fast.  Slow down, mkay?"})
    );
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // A valid key from the same IP still works.
    assert_eq!(s.form("ping", &s.keys["NONE"], &[]).status, 200);
    // Audit rows are censored to a fixed-length form and typed 14; the 429 wrote none.
    let rows: Vec<String> = s
        .db()
        .prepare("SELECT otherdata FROM authlog WHERE logtype = 14 ORDER BY logid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], "Key: (none)");
    assert_eq!(rows[1], "Key: wr…56 (≤16)");
    assert!(rows.iter().all(|r| !r.contains("wrong-key")));
}

#[test]
fn bad_key_beats_unknown_action_and_action_errors_are_plain_text() {
    let s = Service::start();
    assert_eq!(s.form("nosuchaction", "bad", &[]).status, 403);
    let r = s.form("nosuchaction", &s.keys["FULL"], &[]);
    assert_eq!(
        (r.status, r.text().as_str()),
        (404, "404 Action not defined")
    );
    let r = s.form("", &s.keys["FULL"], &[]);
    assert_eq!(
        (r.status, r.text().as_str()),
        (404, "404 No action specified")
    );
    let r = s.form("PING", &s.keys["FULL"], &[]);
    assert_eq!(r.status, 404, "action names are case-sensitive");
}

#[test]
fn every_url_form_reaches_the_action() {
    let s = Service::start();
    let k = s.keys["NONE"].clone();
    let forms = [
        ("GET", format!("api.php?action=ping&key={k}"), ""),
        ("POST", format!("api.php?action=ping&key={k}"), ""),
        ("GET", format!("api/?action=ping&key={k}"), ""),
        ("GET", format!("api/ping/{k}"), ""),
        ("GET", format!("api/ping/{k}/"), ""),
        ("GET", format!("api/ping/{k}/?x=1"), ""),
        ("GET", format!("api/ping/{k}/x=1/y=2"), ""),
        ("GET", format!("api/ping/?key={k}"), ""),
    ];
    for (method, path, body) in forms {
        let r = s.request(method, &s.url(&path), &[], body.as_bytes());
        assert_eq!(r.status, 200, "{method} {path}: {}", r.text());
        assert_eq!(r.json()["status"], "OK", "{path}");
    }
    // Legacy form POST to api.php, like QwikClock/TaskFloor/PAM.
    let body = format!("action=ping&key={k}");
    let r = s.request(
        "POST",
        &s.url("api.php"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    );
    assert_eq!(r.json()["status"], "OK");
    // JSON POST to api/, like BinStack/SiteWriter.
    let r = s.json(&json!({"action": "mobileenabled", "key": k}));
    assert_eq!(r.json(), json!({"status": "OK", "mobile": true}));
    // A trailing slash after the action keeps the body key.
    let r = s.request(
        "POST",
        &s.url("api/ping/"),
        &[("Content-Type", "application/json")],
        json!({"key": k}).to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // Percent-encoded key in the path is decoded.
    let encoded: String = k.bytes().map(|b| format!("%{b:02X}")).collect();
    let r = s.request("GET", &s.url(&format!("api/ping/{encoded}/")), &[], b"");
    assert_eq!(r.status, 200);
}

#[test]
fn service_works_at_the_site_root_too() {
    let s = Service::start_with(Options {
        prefix: "/".into(),
        ..Options::default()
    });
    let r = s.form("ping", &s.keys["NONE"], &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.request("GET", &format!("/api/ping/{}/", s.keys["NONE"]), &[], b"");
    assert_eq!(r.json()["status"], "OK");
}

#[test]
fn bodies_json_errors_size_limit_and_preflight() {
    let s = Service::start();
    let k = &s.keys["FULL"];
    let r = s.request(
        "POST",
        &s.url("api/"),
        &[("Content-Type", "application/json")],
        b"[1,2,3]",
    );
    assert_eq!(
        (r.status, r.text().as_str()),
        (400, "400 Bad request: a JSON body must be an object")
    );
    let r = s.request(
        "POST",
        &s.url("api/"),
        &[("Content-Type", "application/json")],
        b"{\"action\":",
    );
    assert_eq!(r.status, 400);
    assert!(!r.text().contains('<'), "no HTML: {}", r.text());
    // 2 MiB body → 413 from accounthub (nginx lets up to 4 MiB through).
    let big = format!("action=ping&key={k}&pad={}", "x".repeat(2 * 1024 * 1024));
    let r = s.request(
        "POST",
        &s.url("api/"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        big.as_bytes(),
    );
    assert_eq!(
        (r.status, r.text().as_str()),
        (413, "413 Request body too large")
    );
    // Beyond nginx's own limit the answer is still plain text, not an HTML page.
    let huge = vec![b'x'; 5 * 1024 * 1024];
    let r = s.request(
        "POST",
        &s.url("api/"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &huge,
    );
    assert_eq!(r.status, 413);
    assert!(!r.text().contains("<html"), "{}", r.text());
    // CORS preflight.
    let r = s.request(
        "OPTIONS",
        &s.url("api/"),
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    );
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(
        r.header("access-control-allow-headers")
            .unwrap()
            .contains("Content-Type")
    );
}

#[test]
fn raw_0xff_in_query_keeps_other_params() {
    let s = Service::start();
    let mut target = format!("{}api.php?action=ping&junk=", s.prefix).into_bytes();
    target.push(0xFF);
    target.extend_from_slice(format!("&key={}", s.keys["NONE"]).as_bytes());
    let r = http::request(s.port, "GET", &target, &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "OK");
}

#[test]
fn listapps_builds_absolute_urls_from_config() {
    let s = Service::start_with(Options {
        extra_config: "[apps.qwikclock]\nurl = \"/qwikclock/\"\ntitle = \"QwikClock\"\nmobileapi = \"/mobile/index.php\"\n\
                       [apps.binstack]\nurl = \"https://inv.example.org/\"\ntitle = \"BinStack\"\n"
            .into(),
        ..Options::default()
    });
    let r = s.request(
        "POST",
        &s.url("api/"),
        &[("Host", "evil.example")],
        format!("action=listapps&key={}", s.keys["NONE"]).as_bytes(),
    );
    let v = r.json();
    assert_eq!(v["status"], "OK");
    let apps = v["apps"].as_object().unwrap();
    assert_eq!(apps.keys().collect::<Vec<_>>(), ["qwikclock", "binstack"]);
    assert_eq!(
        apps["qwikclock"]["url"],
        format!("http://127.0.0.1:{}/qwikclock/", s.port)
    );
    assert_eq!(apps["binstack"]["url"], "https://inv.example.org/");
    assert_eq!(apps["qwikclock"]["mobileapi"], "/mobile/index.php");
}

#[test]
fn cgi_face_answers_like_a_web_server_expects() {
    let s = Service::start();
    let body = format!("action=ping&key={}", s.keys["NONE"]);
    let run = |body: &str, method: &str| {
        let mut child = Command::new(BIN)
            .env_clear()
            .env("GATEWAY_INTERFACE", "CGI/1.1")
            .env("ACCOUNTHUB_CONFIG", s.path("accounthub.toml"))
            .env("REQUEST_METHOD", method)
            .env("REQUEST_URI", "/cgi-bin/accounthub/api/")
            .env("QUERY_STRING", "")
            .env("CONTENT_TYPE", "application/x-www-form-urlencoded")
            .env("CONTENT_LENGTH", body.len().to_string())
            .env("REMOTE_ADDR", "192.0.2.7")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let out = run(&body, "POST");
    assert!(out.starts_with("Status: 200 OK\r\n"), "{out}");
    assert!(out.contains("Content-Type: application/json\r\n"));
    assert!(out.ends_with("\r\n\r\n{\"status\":\"OK\"}"), "{out}");
    let out = run("action=ping&key=nope", "POST");
    assert!(out.starts_with("Status: 403 Forbidden\r\n"), "{out}");
    let logged: i64 = s
        .db()
        .query_row(
            "SELECT count(*) FROM authlog WHERE ip = '192.0.2.7'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(logged, 1);
}

#[test]
fn call_face_runs_the_same_dispatch() {
    let s = Service::start();
    let out = s.cli_ok(&["call", "ping"]);
    assert_eq!(out.trim(), r#"{"status":"OK"}"#);
    let out = s.cli(&["call", "nosuch"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("404 Action not defined"));
}

#[test]
fn sigterm_lets_an_in_flight_request_finish_then_exits_0() {
    let mut s = Service::start();
    let mut conn = UnixStream::connect(s.socket()).unwrap();
    let uri = format!("/accounthub/api/ping/{}/", s.keys["NONE"]);
    let params = fcgi::simple_params(&uri);
    let refs: Vec<(&str, &[u8])> = params.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    // Send the head of the request now, the rest after SIGTERM: the request is in flight.
    conn.write_all(&fcgi::request_head(&refs, false)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut responder = s.take_responder();
    common::signal(responder.id(), 15);
    std::thread::sleep(Duration::from_millis(500));
    // New connections are refused while draining.
    assert!(
        UnixStream::connect(s.socket()).is_err(),
        "listener should be closed"
    );
    conn.write_all(&fcgi::request_body(b"")).unwrap();
    let out = String::from_utf8(fcgi::read_response(&mut conn).unwrap()).unwrap();
    assert!(out.starts_with("Status: 200 OK"), "{out}");
    let started = Instant::now();
    let status = loop {
        if let Some(st) = responder.try_wait().unwrap() {
            break st;
        }
        assert!(
            started.elapsed() < Duration::from_secs(12),
            "responder did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status}");
}

#[test]
fn malformed_records_and_abrupt_closes_do_not_hurt_the_responder() {
    let s = Service::start();
    for garbage in [
        &b"\x09\x09\x09\x09\x09\x09\x09\x09\x09"[..],
        b"\x01\x01\x00\x01\x00\x08\x00",
        b"hello world, not fastcgi\r\n\r\n",
    ] {
        let mut c = UnixStream::connect(s.socket()).unwrap();
        let _ = c.write_all(garbage);
        drop(c);
    }
    // Half a request, then the peer goes away.
    let mut c = UnixStream::connect(s.socket()).unwrap();
    c.write_all(&fcgi::record(1, &[0, 1, 1, 0, 0, 0, 0, 0]))
        .unwrap();
    drop(c);
    let r = s.form("ping", &s.keys["NONE"], &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    // Keep-alive connections through nginx keep working across many requests.
    for _ in 0..50 {
        assert_eq!(s.form("ping", &s.keys["NONE"], &[]).status, 200);
    }
}

#[test]
fn keeps_serving_after_running_out_of_file_descriptors() {
    let dir = common::TempDir::new("emfile");
    let config = dir.0.join("a.toml");
    std::fs::write(
        &config,
        format!(
            "database = \"{}\"\n[server]\nlog_level = \"error\"\n",
            dir.0.join("db.sqlite").display()
        ),
    )
    .unwrap();
    let key = {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .args(["key", "add", "--type", "NONE"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let sock = dir.0.join("s.sock");
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 48; exec {BIN} --config {} serve --listen unix:{}",
            config.display(),
            sock.display()
        ))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    common::wait_for("socket", Duration::from_secs(10), || {
        UnixStream::connect(&sock).is_ok()
    });
    let hogs: Vec<UnixStream> = (0..80)
        .filter_map(|_| UnixStream::connect(&sock).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    drop(hogs);
    std::thread::sleep(Duration::from_millis(300));
    let mut params = fcgi::simple_params(&format!("/api/ping/{key}/"));
    params.push(("SCRIPT_NAME", b"/api".to_vec()));
    let out = fcgi::roundtrip(&sock, &params, b"").expect("responder still serving");
    assert!(String::from_utf8_lossy(&out).starts_with("Status: 200 OK"));
    common::stop(child);
}
