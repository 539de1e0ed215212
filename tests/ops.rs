//! Operations (issue 14): backup under write load and restore, `check`, `log`, and the
//! health command, each against the real binary, a real nginx and a real SQLite file.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Service, TempDir, stop};
use serde_json::Value;

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn backup_under_write_load_restores_every_acknowledged_write() {
    let mut s = Service::start();
    let uid = s
        .add_user("ann", "Ann", "ann@example.org", "pw")
        .to_string();
    let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
    let running = Arc::new(AtomicBool::new(true));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (acked, running, uid) = (acked.clone(), running.clone(), uid.clone());
            let (port, key) = (s.port, s.keys["FULL"].clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while running.load(Ordering::SeqCst) {
                    let title = format!("w{w}-{n}");
                    let body = form_urlencoded::Serializer::new(String::new())
                        .append_pair("action", "addnotification")
                        .append_pair("key", &key)
                        .append_pair("uid", &uid)
                        .append_pair("title", &title)
                        .append_pair("content", "load")
                        .finish();
                    let r = common::http::request(
                        port,
                        "POST",
                        b"/accounthub/api/",
                        &[("Content-Type", "application/x-www-form-urlencoded")],
                        body.as_bytes(),
                    );
                    assert_eq!(r.status, 200, "{}", r.text());
                    let id = r.json()["id"].as_i64().expect("id");
                    acked.lock().unwrap().push(id);
                    n += 1;
                }
            })
        })
        .collect();
    common::wait_for("writes", Duration::from_secs(30), || {
        acked.lock().unwrap().len() >= 200
    });
    // Everything acknowledged up to here must be in the backup.
    let before: Vec<i64> = acked.lock().unwrap().clone();
    let file = s.path("backup.sqlite");
    let out = s.cli(&["backup", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("integrity ok"), "{}", text(&out));
    let during = acked.lock().unwrap().len();
    std::thread::sleep(Duration::from_millis(200));
    running.store(false, Ordering::SeqCst);
    for w in writers {
        w.join().unwrap();
    }
    assert!(
        acked.lock().unwrap().len() > during,
        "writes went on during and after the backup"
    );

    // The responder holds the database: restore refuses and says what to stop.
    let pid = s.responder_pid();
    let out = s.cli(&["restore", file.to_str().unwrap()], None);
    assert!(!out.status.success());
    let msg = text(&out);
    assert!(
        msg.contains("in use by a running accounthub responder"),
        "{msg}"
    );
    assert!(msg.contains(&format!("pid {pid} ")), "{msg}");
    assert!(msg.contains("systemctl stop accounthub.socket"), "{msg}");

    stop(s.take_responder());
    let out = s.cli(&["restore", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    let db = s.db();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let ids: std::collections::HashSet<i64> = db
        .prepare("SELECT notificationid FROM notifications")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let missing: Vec<_> = before.iter().filter(|id| !ids.contains(id)).collect();
    assert!(missing.is_empty(), "lost acknowledged writes: {missing:?}");
    let all = acked.lock().unwrap().len();
    assert!(ids.len() < all, "writes after the backup are not in it");
    drop(db);
    // The restored file serves again.
    s.start_responder();
    assert_eq!(s.call("NONE", "ping", &[])["status"], "OK");
}

#[test]
fn restore_refuses_a_corrupt_or_foreign_file_and_changes_nothing() {
    let s = Service::prepare(common::Options::default());
    s.add_user("amy", "Amy", "amy@example.org", "pw");
    let garbage = s.path("garbage.sqlite");
    std::fs::write(&garbage, vec![0x41; 4096]).unwrap();
    let out = s.cli(&["restore", garbage.to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(text(&out).contains("garbage.sqlite"), "{}", text(&out));
    let foreign = s.path("foreign.sqlite");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); PRAGMA user_version = 2;")
        .unwrap();
    let out = s.cli(&["restore", foreign.to_str().unwrap()], None);
    assert!(
        text(&out).contains("not an accounthub database"),
        "{}",
        text(&out)
    );
    let n: i64 = s
        .db()
        .query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1, "the database is untouched");
}

/// The account `check --user` tests, and makes the service files belong to: `nobody` when
/// the tests run as root (root may write anywhere), else the caller.
fn service_user(dir: &Path) -> Vec<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Vec::new();
    }
    let nobody = 65534;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        std::os::unix::fs::chown(entry.path(), Some(nobody), Some(nobody)).unwrap();
    }
    std::os::unix::fs::chown(dir, Some(nobody), Some(nobody)).unwrap();
    vec!["--user".into(), "nobody".into()]
}

#[test]
fn check_reports_typos_bad_values_permissions_and_corruption() {
    let s = Service::prepare(common::Options::default());
    let config_path = s.path("accounthub.toml");
    let config = std::fs::read_to_string(&config_path).unwrap().replace(
        "[server]\n",
        &format!("[server]\nlisten = \"unix:{}\"\n", s.socket().display()),
    );
    std::fs::write(&config_path, &config).unwrap();
    let user = service_user(&s.dir.0);
    let check = |extra: &[&str]| {
        let mut args = vec!["check"];
        args.extend(user.iter().map(String::as_str));
        args.extend(extra);
        s.cli(&args, None)
    };
    let out = check(&[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("no problems"));

    // A typo'd key and a bad value, each reported with its line.
    let lines = config.lines().count();
    std::fs::write(
        &config_path,
        format!("{config}databse = \"x\"\n[mail]\nport = \"submission\"\n"),
    )
    .unwrap();
    let out = check(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let name = config_path.display().to_string();
    assert!(
        stdout.contains(&format!("{name}:{}: unknown field `databse`", lines + 1)),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{name}:{}: ", lines + 3)),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 2, "one line per problem: {stdout}");
    std::fs::write(&config_path, &config).unwrap();

    // A database directory the service user cannot write.
    std::fs::set_permissions(&s.dir.0, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = check(&[]);
    std::fs::set_permissions(&s.dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains(&format!("{}: ", s.dir.0.display()))
            && text(&out).contains("needs write and search permission"),
        "{}",
        text(&out)
    );

    // A corrupt file: its header overwritten.
    let db = s.path("accounthub.sqlite");
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[..100].fill(0x7f);
    std::fs::write(&db, bytes).unwrap();
    let out = check(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains(&format!("{}: ", db.display())),
        "{}",
        text(&out)
    );

    // --smtp against a port where nothing listens.
    std::fs::write(&db, b"").unwrap();
    let port = common::free_port();
    std::fs::write(
        &config_path,
        format!("{config}[mail]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"plain\"\ntimeout_secs = 2\n"),
    )
    .unwrap();
    let out = check(&["--smtp"]);
    assert!(
        text(&out).contains(&format!("smtp 127.0.0.1:{port}: ")),
        "{}",
        text(&out)
    );
}

#[test]
fn log_filters_by_user_type_and_time_in_three_formats() {
    let s = Service::start_with(common::Options {
        top_config: "timezone = \"America/Denver\"".into(),
        ..Default::default()
    });
    s.add_user("bob", "Bob", "bob@example.org", "pw-bob");
    s.add_user("cat", "Cat", "cat@example.org", "pw-cat");
    let auth = |u: &str, p: &str| s.call("AUTH", "auth", &[("username", u), ("password", p)]);
    assert_eq!(auth("bob", "wrong")["status"], "ERROR");
    assert_eq!(auth("bob", "pw-bob")["status"], "OK");
    assert_eq!(auth("cat", "pw-cat")["status"], "OK");
    assert_eq!(s.form("ping", "nokey123", &[]).status, 403);

    let json = |args: &[&str]| -> Vec<Value> {
        let mut all = vec!["log", "--format", "json"];
        all.extend(args);
        serde_json::from_str::<Value>(&s.cli_ok(&all))
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let bobs = json(&["--user", "bob"]);
    let types: Vec<&str> = bobs
        .iter()
        .map(|r| r["typename"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["USER_ADDED", "API_AUTH_FAILED", "API_AUTH_OK"],
        "{bobs:?}"
    );
    assert!(bobs.iter().all(|r| r["user"] == "bob"));
    let failed = json(&["--type", "api_auth_failed"]);
    assert_eq!(failed.len(), 1);
    assert_eq!(json(&["--type", "14"]).len(), 1, "the bad key");
    let newest = json(&["--limit", "1"]);
    assert_eq!(newest[0]["typename"], "API_BAD_KEY");

    // Times are shown in the configured zone.
    let stored: String = s
        .db()
        .query_row(
            "SELECT logtime FROM authlog WHERE logid = ?1",
            [newest[0]["id"].as_i64().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    let tz: chrono_tz::Tz = "America/Denver".parse().unwrap();
    let local = accounthub::clock::utc_text_to_local(&stored, tz);
    assert_ne!(local, stored);
    assert_eq!(newest[0]["time"], local.as_str());
    // --since / --until read that zone too: the minute around the row includes it.
    let since = accounthub::clock::utc_text_to_local(&stored, tz);
    assert_eq!(json(&["--since", &since, "--type", "14"]).len(), 1);
    assert_eq!(json(&["--until", &since, "--type", "14"]).len(), 0);
    assert!(json(&["--since", "2999-01-01"]).is_empty());

    let csv = s.cli_ok(&["log", "--format", "csv", "--user", "cat"]);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "id,time,type,uid,user,ip,details");
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows[2].contains(",API_AUTH_OK,") && rows[2].contains(",cat,"),
        "{csv}"
    );
    let table = s.cli_ok(&["log", "--user", "bob"]);
    assert!(
        table.lines().next().unwrap().starts_with("id  time"),
        "{table}"
    );
    assert_eq!(table.lines().count(), 4, "{table}");

    for bad in [
        &["--user", "nobody"][..],
        &["--type", "NOPE"],
        &["--since", "soon"],
    ] {
        let mut args = vec!["log"];
        args.extend(bad);
        let out = s.cli(&args, None);
        assert!(!out.status.success(), "{bad:?} accepted");
    }
}

#[test]
fn healthcheck_command_reports_json_and_exit_code() {
    let dir = TempDir::new("hc");
    let s = Service::prepare(common::Options::default());
    let out = s.cli(&["healthcheck"], None);
    assert!(out.status.success(), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["database"], "ok");
    assert_eq!(v["outbox"]["queued"], 0);
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    std::fs::rename(s.path("accounthub.sqlite"), dir.0.join("moved")).unwrap();
    let out = s.cli(&["healthcheck"], None);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["database"], "unavailable");
    assert!(
        !s.path("accounthub.sqlite").exists(),
        "not created by the probe"
    );
}

#[test]
fn health_through_nginx_is_200_then_503_when_the_database_is_unreadable() {
    let s = Service::start();
    let get = || s.request("GET", &s.url("health"), &[], b"");
    let r = get();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["status", "database", "outbox", "version"],
        "nothing else"
    );
    assert_eq!(v["database"], "ok");
    assert_eq!(v["outbox"], serde_json::json!({"queued": 0, "failed": 0}));
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    // The API's path form with an action named "health" is still an API call.
    assert_eq!(
        s.request("GET", &s.url("api/health/x/"), &[], b"").status,
        403
    );

    // Root can read any file, so the file is replaced: garbage, then a directory.
    let db = s.path("accounthub.sqlite");
    let kept = s.path("kept.sqlite");
    std::fs::rename(&db, &kept).unwrap();
    std::fs::write(&db, vec![0x42; 16384]).unwrap();
    let r = get();
    assert_eq!(r.status, 503, "{}", r.text());
    let v = r.json();
    assert_eq!(v["database"], "unavailable");
    assert_eq!(v["outbox"], Value::Null);
    assert!(
        !r.text().contains(s.dir.0.to_str().unwrap()),
        "no paths leak"
    );
    std::fs::remove_file(&db).unwrap();
    std::fs::create_dir(&db).unwrap();
    assert_eq!(get().status, 503);
    std::fs::remove_dir(&db).unwrap();
    std::fs::rename(&kept, &db).unwrap();
    assert_eq!(get().status, 200, "healthy again once the file is back");
}

#[test]
fn metrics_through_nginx_only_for_listed_addresses_and_count_requests() {
    let mut s = Service::start_with(common::Options {
        extra_config: "[metrics]\nallow = [\"::1\", \"192.0.2.7\"]\n".into(),
        ..Default::default()
    });
    let get =
        |s: &Service, headers: &[(&str, &str)]| s.request("GET", &s.url("metrics"), headers, b"");
    // Loopback is not listed here, and X-Forwarded-For from an untrusted peer is ignored.
    let r = get(&s, &[]);
    assert_eq!((r.status, r.text()), (403, "403 Forbidden".to_string()));
    assert_eq!(get(&s, &[("X-Forwarded-For", "192.0.2.7")]).status, 403);

    stop(s.take_responder());
    let config_path = s.path("accounthub.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(
        &config_path,
        config.replace("[\"::1\", \"192.0.2.7\"]", "[\"127.0.0.1\"]"),
    )
    .unwrap();
    s.start_responder();
    for _ in 0..5 {
        assert_eq!(s.call("NONE", "ping", &[])["status"], "OK");
    }
    // Bad keys: 403, then 429 once the bad-key limiter (10 per window) refuses.
    let statuses: Vec<u16> = (0..13)
        .map(|_| s.form("ping", "not-a-key", &[]).status)
        .collect();
    let refused = statuses.iter().filter(|&&st| st == 429).count();
    let forbidden = statuses.iter().filter(|&&st| st == 403).count();
    assert!(refused >= 1 && forbidden + refused == 13, "{statuses:?}");
    assert_eq!(s.request("GET", &s.url("health"), &[], b"").status, 200);
    let r = get(&s, &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        r.headers
    );
    let page = r.text();
    for line in [
        "accounthub_requests_total{action=\"ping\",status=\"200\"} 5",
        &format!("accounthub_requests_total{{action=\"none\",status=\"403\"}} {forbidden}"),
        &format!("accounthub_requests_total{{action=\"none\",status=\"429\"}} {refused}"),
        &format!("accounthub_rate_limit_refusals_total{{kind=\"bad_key\"}} {refused}"),
        "accounthub_requests_total{action=\"health\",status=\"200\"} 1",
        "accounthub_request_duration_seconds_count{action=\"ping\"} 5",
        "accounthub_outbox_messages{state=\"queued\"} 0",
        "accounthub_hash_queue_length 0",
        "accounthub_mail_delivery_failures_total 0",
        "accounthub_db_busy_waits_total ",
    ] {
        assert!(page.contains(line), "{line} missing in:\n{page}");
    }
    // Prometheus' own checker accepts the page.
    let file = s.path("metrics.txt");
    std::fs::write(&file, &page).unwrap();
    let out = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .expect("promtool (Debian package prometheus)");
    assert!(out.status.success(), "promtool: {}", text(&out));
}
