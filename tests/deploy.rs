//! The shipped deployment files, run for real: Apache (mod_proxy_fcgi, mod_fcgid, classic
//! CGI), spawn-fcgi behind nginx, the systemd units (`systemd-analyze verify`) and the
//! documented example configuration (parsed by the real loader).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use accounthub::config::Config;
use common::{BIN, Options, Service, TempDir, apache, web};
use serde_json::json;

/// A file of the repository.
fn repo_file(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// The calls every deployment path must carry: ping, a form POST to api.php, a JSON POST
/// to api/, the path form, index.php?api, the login page, both mobile API URLs and a bad
/// key.
fn check_api(svc: &Service) {
    let none = &svc.keys["NONE"];
    let ping = svc.form("ping", none, &[]);
    assert_eq!(ping.status, 200, "ping: {}", ping.text());
    assert_eq!(ping.json(), json!({"status": "OK"}));
    assert_eq!(ping.header("content-type"), Some("application/json"));

    let legacy = svc.form_to("api.php", "mobileenabled", none, &[]);
    assert_eq!(legacy.status, 200, "api.php: {}", legacy.text());
    assert_eq!(legacy.json(), json!({"status": "OK", "mobile": true}));

    let by_json = svc.json(&json!({"action": "listapps", "key": none}));
    assert_eq!(by_json.status, 200, "JSON: {}", by_json.text());
    assert_eq!(by_json.json(), json!({"status": "OK", "apps": {}}));

    let path = svc.request("GET", &svc.url(&format!("api/ping/{none}/")), &[], b"");
    assert_eq!(path.status, 200, "path form: {}", path.text());
    assert_eq!(path.json(), json!({"status": "OK"}));

    // The Maian entry point reaches the binary (not the web server's own HTML 404).
    let maian = svc.request("POST", &svc.url("index.php?api"), &[], b"{}");
    assert!(maian.status < 500, "index.php?api: {}", maian.status);
    assert!(
        !maian.text().contains('<'),
        "index.php?api: {}",
        maian.text()
    );

    // The login page is routed to the binary too, with and without the final slash.
    for page in ["login/", "login"] {
        let login = svc.request("GET", &svc.url(page), &[], b"");
        assert_eq!(login.status, 200, "{page}: {}", login.text());
        assert!(login.text().contains("Sign in to AccountHub"), "{page}");
    }

    // Both mobile API URLs reach the binary: ping needs no sync code, anything else does.
    let mobile = svc.request("GET", &svc.url("mobile/index.php?action=ping"), &[], b"");
    assert_eq!(mobile.status, 200, "mobile/index.php: {}", mobile.text());
    assert_eq!(mobile.json(), json!({"status": "OK"}));
    let mobile = svc.request(
        "POST",
        &svc.url("mobile/"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"action=check_key",
    );
    assert_eq!(mobile.status, 401, "mobile/: {}", mobile.text());
    assert_eq!(mobile.json()["msg"], "Missing username and/or access key.");

    let bad = svc.form("ping", "not-a-key", &[]);
    assert_eq!(bad.status, 403, "bad key: {}", bad.text());
    assert_eq!(bad.text(), "403 Unauthorized");

    // The web server's own errors are not HTML pages.
    let long = format!("{}?x={}", svc.url("api/"), "a".repeat(20_000));
    let too_long = svc.request("GET", &long, &[], b"");
    assert_eq!(too_long.status, 414);
    assert_eq!(too_long.text(), "414 Request-URI too long");
}

/// A service with its database and keys, no processes yet.
fn prepared() -> Service {
    Service::prepare(Options::default())
}

#[test]
fn apache_proxy_fcgi_reaches_the_responder_socket() {
    let mut svc = prepared();
    svc.start_responder();
    apache::start(
        &mut svc,
        "deploy/apache-proxy-fcgi.conf.example",
        &["proxy", "proxy_fcgi"],
    );
    check_api(&svc);
}

#[test]
fn apache_fcgid_spawns_the_binary() {
    let mut svc = prepared();
    apache::start(
        &mut svc,
        "deploy/apache-fcgid.conf.example",
        &["alias", "fcgid"],
    );
    check_api(&svc);
}

/// A sign-in on the login page whose steps run in different processes: the CSRF cookie,
/// the session and the approved key all come back from the SQLite file.
fn check_login_across_processes(svc: &Service) {
    let (code, loginurl) = web::getloginkey(svc, "BinStack");
    let mut browser = web::Browser::new(svc);
    let page = browser.get(&format!("{loginurl}?code={code}"));
    assert_eq!(page.status, 200, "{}", page.text());
    let done = browser.submit(
        &page,
        "password",
        &[("username", "cgi"), ("password", "cgi password 1")],
    );
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(done.text().contains("You are signed in to BinStack"));
    assert_eq!(web::checkloginkey(svc, &code)["status"], "OK");
    let account = browser.get(&svc.url("login/"));
    assert!(
        account.text().contains("You are signed in as"),
        "{}",
        account.text()
    );
}

#[test]
fn apache_cgi_runs_the_binary_per_request() {
    let mut svc = prepared();
    svc.add_user("cgi", "Cgi User", "cgi@example.com", "cgi password 1");
    apache::start(
        &mut svc,
        "deploy/apache-cgi.conf.example",
        &["alias", "env", "cgid"],
    );
    check_api(&svc);
    check_login_across_processes(&svc);
}

#[test]
fn spawn_fcgi_script_behind_nginx() {
    let mut svc = prepared();
    apache::give_to_web_user(&svc.dir.0);
    let responder =
        Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/spawn-fcgi.sh"))
            .env("ACCOUNTHUB_BIN", BIN)
            .env("ACCOUNTHUB_CONFIG", svc.path("accounthub.toml"))
            .env("ACCOUNTHUB_SOCKET", svc.socket())
            .env("ACCOUNTHUB_USER", apache::WEB_USER)
            .env("ACCOUNTHUB_SOCKET_GROUP", apache::WEB_USER)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(svc.path("responder.log")).unwrap())
            .spawn()
            .expect("run deploy/spawn-fcgi.sh");
    svc.adopt(responder);
    let sock = svc.socket();
    common::wait_for("spawn-fcgi socket", Duration::from_secs(20), || {
        std::os::unix::net::UnixStream::connect(&sock).is_ok()
    });
    svc.start_nginx();
    check_api(&svc);
}

#[test]
fn systemd_units_verify() {
    let Ok(version) = Command::new("systemd-analyze").arg("--version").output() else {
        println!("note: systemd-analyze is not installed; systemd units not verified");
        return;
    };
    assert!(version.status.success());
    let dir = TempDir::new("systemd");
    for unit in ["accounthub.socket", "accounthub.service"] {
        let text = repo_file(&format!("deploy/{unit}")).replace("/usr/local/bin/accounthub", BIN);
        std::fs::write(dir.0.join(unit), text).unwrap();
    }
    let out = Command::new("systemd-analyze")
        .args([
            "verify",
            "--man=no",
            "accounthub.socket",
            "accounthub.service",
        ])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && report.trim().is_empty(),
        "systemd-analyze verify: {report}"
    );
}

/// Field names of `pub struct <name>` in src/config.rs, in order.
fn struct_fields(source: &str, name: &str) -> BTreeSet<String> {
    source
        .lines()
        .skip_while(|l| !l.starts_with(&format!("pub struct {name} ")))
        .skip(1)
        .take_while(|l| !l.starts_with('}'))
        .filter_map(|l| l.trim().strip_prefix("pub "))
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect()
}

#[test]
fn example_config_documents_every_key_with_its_default() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/accounthub.toml.example");
    let example = Config::from_file(&path).expect("the example parses");
    assert_eq!(
        format!("{example:?}"),
        format!("{:?}", Config::default()),
        "the example's values are the built-in defaults"
    );

    let source = repo_file("src/config.rs");
    let table: toml::Table = repo_file("deploy/accounthub.toml.example").parse().unwrap();
    let keys = |t: &toml::Table| t.keys().cloned().collect::<BTreeSet<_>>();
    let mut top = struct_fields(&source, "Config");
    assert!(top.remove("apps"), "Config has apps");
    assert_eq!(keys(&table), top, "top-level keys and sections");
    for (section, name) in [
        ("server", "ServerConfig"),
        ("passwords", "PasswordConfig"),
        ("rate_limit", "RateLimitConfig"),
        ("mail", "MailConfig"),
        ("maian", "MaianConfig"),
        ("metrics", "MetricsConfig"),
        ("audit", "AuditConfig"),
        ("login", "LoginConfig"),
    ] {
        let documented = keys(table[section].as_table().unwrap());
        assert_eq!(documented, struct_fields(&source, name), "[{section}]");
    }
    assert!(repo_file("deploy/accounthub.toml.example").contains("# [apps."));
}

#[test]
fn example_config_runs_init() {
    let dir = TempDir::new("example");
    let example = repo_file("deploy/accounthub.toml.example");
    let config = example.replace(
        "database = \"./accounthub.sqlite\"",
        &format!("database = \"{}\"", dir.0.join("db.sqlite").display()),
    );
    assert_ne!(config, example, "database key found");
    std::fs::write(dir.0.join("accounthub.toml"), config).unwrap();
    let out = Command::new(BIN)
        .arg("--config")
        .arg(dir.0.join("accounthub.toml"))
        .arg("init")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.0.join("db.sqlite").exists());
}
