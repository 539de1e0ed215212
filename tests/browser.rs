//! The login page in a real browser: Debian's headless Chromium driven by chromedriver over
//! WebDriver (fantoccini), against nginx + FastCGI + SQLite. It walks the BinStack flow for
//! a 2FA account that must change its password, and saves a screenshot of every step in
//! the target's test directory (login-*.png).

mod common;

use std::process::{Child, Command, Stdio};

use accounthub::totp;
use common::web::{
    app_config, app_redirect, binstack_login_url, checkloginkey, enable_totp, getloginkey_with_icon,
};
use common::{Options, Service, TempDir, free_port, stop, wait_for_port};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// chromedriver on a free loopback port, stopped on drop.
struct Driver {
    child: Option<Child>,
    port: u16,
}

impl Driver {
    fn start(dir: &TempDir) -> Driver {
        let port = free_port();
        let log = dir.0.join("chromedriver.log");
        let mut child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn chromedriver (is chromium-driver installed?)");
        wait_for_port("chromedriver", &mut child, port, &log);
        Driver {
            child: Some(child),
            port,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            stop(child);
        }
    }
}

async fn browser(driver: &Driver, profile: &TempDir) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=800,800",
                format!("--user-data-dir={}", profile.0.display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("WebDriver session")
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG image");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("login-{name}.png"));
    std::fs::write(&path, png).unwrap();
}

async fn fill(client: &Client, id: &str, text: &str) {
    let field = client.wait().for_element(Locator::Id(id)).await.expect(id);
    field.send_keys(text).await.unwrap();
}

async fn press_submit(client: &Client) {
    client
        .find(Locator::Css("form button[type=submit]:not(.link)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn body_text(client: &Client) -> String {
    client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_walks_password_totp_and_new_password() {
    let s = Service::start_with(Options {
        extra_config: app_config(),
        ..Options::default()
    });
    let uid = s.add_user(
        "tina",
        "Tina Turner",
        "tina@example.com",
        "first password 1",
    );
    let key = enable_totp(&s, "tina");
    s.cli_ok(&["user", "status", "tina", "CHANGE_PASSWORD"]);
    // A small box icon as a data: URI (the app's real logo URL would 404 on this nginx).
    let icon = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 64 64'%3E\
                %3Crect x='8' y='14' width='48' height='40' rx='6' fill='%23e8a33d'/%3E\
                %3Crect x='4' y='8' width='56' height='14' rx='4' fill='%23c4812a'/%3E\
                %3Crect x='24' y='28' width='16' height='6' rx='3' fill='%23fff'/%3E%3C/svg%3E";
    let (code, loginurl) = getloginkey_with_icon(&s, "BinStack", icon);

    let dir = TempDir::new("chromium");
    let driver = Driver::start(&dir);
    let client = browser(&driver, &dir).await;
    client
        .goto(&binstack_login_url(&s, &loginurl, &code))
        .await
        .unwrap();
    assert_eq!(client.title().await.unwrap(), "Login to BinStack");
    fill(&client, "username", "tina").await;
    fill(&client, "password", "wrong password").await;
    press_submit(&client).await;
    client
        .wait()
        .for_element(Locator::Css("p.error"))
        .await
        .unwrap();
    assert!(body_text(&client).await.contains("Login incorrect."));
    shot(&client, "1-error").await;
    let field = client.find(Locator::Id("password")).await.unwrap();
    field.send_keys("first password 1").await.unwrap();
    shot(&client, "1-password").await;
    press_submit(&client).await;

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    fill(
        &client,
        "totp",
        &totp::code_at_step(&key, totp::step_of(now)),
    )
    .await;
    shot(&client, "2-totp").await;
    press_submit(&client).await;

    fill(&client, "new_password", "a brand new secret").await;
    fill(&client, "confirm", "a brand new secret").await;
    shot(&client, "3-new-password").await;
    assert_eq!(
        checkloginkey(&s, &code)["status"],
        "ERROR",
        "not yet approved"
    );
    press_submit(&client).await;

    let redirect = app_redirect(&s);
    let start = std::time::Instant::now();
    while client.current_url().await.unwrap().as_str() != redirect {
        assert!(start.elapsed().as_secs() < 20, "never got back to the app");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(checkloginkey(&s, &code)["uid"], json!(uid));

    // Signed in now: the account page of the same browser, without a code.
    client
        .goto(&format!("http://127.0.0.1:{}/accounthub/login/", s.port))
        .await
        .unwrap();
    assert!(
        body_text(&client)
            .await
            .contains("You are signed in as tina")
    );
    shot(&client, "4-account").await;
    client.close().await.unwrap();
    let auth = s.call(
        "AUTH",
        "auth",
        &[("username", "tina"), ("password", "a brand new secret")],
    );
    assert_eq!(auth["status"], "OK", "the new password is in place");
}
