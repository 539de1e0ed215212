//! Mail through the outbox, against a real SMTP server (mailin-embedded) on loopback in
//! this process, with the real responder behind nginx.

mod common;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Options, Service, TempDir, free_port, wait_for};
use mailin_embedded::{Handler, Response, Server, SslConfig, response};

/// One message as the SMTP server received it.
#[derive(Debug, Clone, Default)]
struct Received {
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

/// Handler that stores every message, or rejects every recipient with 550.
#[derive(Clone, Default)]
struct Sink {
    inbox: Arc<Mutex<Vec<Received>>>,
    current: Received,
    reject: bool,
}

impl Handler for Sink {
    fn rcpt(&mut self, _to: &str) -> Response {
        if self.reject {
            response::NO_MAILBOX
        } else {
            response::OK
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Received {
            from: from.to_string(),
            to: to.to_vec(),
            data: Vec::new(),
        };
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let done = std::mem::take(&mut self.current);
        self.inbox.lock().unwrap().push(done);
        response::OK
    }
}

type Inbox = Arc<Mutex<Vec<Received>>>;

/// Starts an SMTP server on `port` (serving forever in a thread); STARTTLS with a fresh
/// self-signed certificate when `tls_dir` is given.
fn start_smtp(port: u16, tls_dir: Option<&TempDir>, reject: bool) -> Inbox {
    let sink = Sink {
        reject,
        ..Sink::default()
    };
    let inbox = sink.inbox.clone();
    let mut server = Server::new(sink);
    if let Some(dir) = tls_dir {
        // Both rustls providers are compiled into the tests: choose one for the server.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let cert_path = dir.0.join("cert.pem");
        let key_path = dir.0.join("key.pem");
        std::fs::write(&cert_path, certified.cert.pem()).unwrap();
        std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();
        server
            .with_ssl(SslConfig::SelfSigned {
                cert_path: cert_path.display().to_string(),
                key_path: key_path.display().to_string(),
            })
            .unwrap();
    }
    server.with_tcp_listener(TcpListener::bind(("127.0.0.1", port)).unwrap());
    std::thread::spawn(move || {
        if let Err(e) = server.serve() {
            eprintln!("smtp server stopped: {e}");
        }
    });
    inbox
}

fn mail_config(port: u16, security: &str, extra: &str) -> Options {
    Options {
        extra_config: format!(
            "[mail]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"{security}\"\n\
             admin_email = \"admin@example.org\"\nfrom = \"alerts@example.org\"\n\
             retry_base_secs = 1\ntimeout_secs = 3\n{extra}"
        ),
        ..Default::default()
    }
}

fn wait_for_mail(inbox: &Inbox, count: usize) {
    wait_for("mail delivery", Duration::from_secs(60), || {
        inbox.lock().unwrap().len() >= count
    });
}

/// (attempts, sent, failed, last_error) of the only outbox row.
fn outbox_row(s: &Service) -> (u32, bool, bool, Option<String>) {
    s.db()
        .query_row(
            "SELECT attempts, sent IS NOT NULL, failed, last_error FROM mail_outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
}

/// Headers (unfolded) and the decoded body of a received message.
fn parse(raw: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("header/body split");
    let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let body = if head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: quoted-printable")
    {
        decode_qp(body)
    } else {
        body.to_string()
    };
    (head, body.trim_end_matches("\r\n").to_string())
}

fn decode_qp(text: &str) -> String {
    let bytes = text.replace("=\r\n", "").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() + 1 {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn header<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
        })
        .unwrap_or_else(|| panic!("no {name} header in {head}"))
}

#[test]
fn alert_arrives_with_the_original_headers_and_body() {
    let port = free_port();
    let inbox = start_smtp(port, None, false);
    let s = Service::start_with(mail_config(port, "plain", ""));
    let answer = s.call(
        "FULL",
        "alertemail",
        &[("username", "BoB"), ("appname", "QwikClock")],
    );
    assert_eq!(answer, serde_json::json!({"status": "OK"}));
    wait_for_mail(&inbox, 1);
    let got = inbox.lock().unwrap()[0].clone();
    assert_eq!(got.from, "alerts@example.org");
    assert_eq!(got.to, ["admin@example.org"]);
    let (head, body) = parse(&got.data);
    assert_eq!(header(&head, "Subject"), "Alert: User login notification");
    assert_eq!(
        header(&head, "From"),
        "\"Account Alerts\" <alerts@example.org>"
    );
    assert_eq!(header(&head, "To"), "\"System Admin\" <admin@example.org>");
    let (before, after) = body.split_once("Date/Time: \t").expect("date line");
    assert_eq!(
        before,
        "You (or another administrator) requested to be notified when user \"bob\" logged in, \
         an event which happened just now.\r\n\r\nUsername: \tbob\r\nApplication: \tQwikClock\r\n"
    );
    let (when, rest) = after.split_once("\r\n").unwrap();
    assert_eq!(when.len(), 19, "YYYY-MM-DD HH:MM:SS: {when}");
    assert_eq!(
        rest,
        "IP address: \t127.0.0.1\r\n\r\nThese notifications can be disabled by editing the user in ManagePanel."
    );
    // The server stores the message just before its 250 reaches the client.
    wait_for("sent mark", Duration::from_secs(10), || outbox_row(&s).1);
    assert!(!outbox_row(&s).2);
}

#[test]
fn appname_defaults_and_bad_addresses_are_refused() {
    let port = free_port();
    let inbox = start_smtp(port, None, false);
    let s = Service::start_with(mail_config(port, "plain", ""));
    assert_eq!(
        s.call("FULL", "alertemail", &[("username", "eve")])["status"],
        "OK"
    );
    wait_for_mail(&inbox, 1);
    let (_, body) = parse(&inbox.lock().unwrap()[0].data);
    assert!(body.contains("Application: \t???\r\n"), "{body}");
    let read_key = s.keys["READ"].clone();
    assert_eq!(
        s.form("alertemail", &read_key, &[("username", "eve")])
            .status,
        403
    );

    let bad_to = Service::start_with(Options {
        extra_config: "[mail]\nadmin_email = \"\"\n".into(),
        ..Default::default()
    });
    let answer = bad_to.call("FULL", "alertemail", &[("username", "eve")]);
    assert_eq!(
        answer,
        serde_json::json!({"status": "ERROR", "msg": "invalid_to_email"})
    );
    let bad_from = Service::start_with(Options {
        extra_config: "[mail]\nadmin_email = \"a@example.org\"\nfrom = \"not an address\"\n".into(),
        ..Default::default()
    });
    let answer = bad_from.call("FULL", "alertemail", &[("username", "eve")]);
    assert_eq!(
        answer,
        serde_json::json!({"status": "ERROR", "msg": "invalid_from_email"})
    );
    let queued: i64 = bad_from
        .db()
        .query_row("SELECT COUNT(*) FROM mail_outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(queued, 0);
}

#[test]
fn alertemail_is_rate_limited_per_ip_and_username() {
    let port = free_port();
    let _inbox = start_smtp(port, None, false);
    let s = Service::start_with(Options {
        extra_config: format!(
            "{}[rate_limit]\ncredential_limit = 2\ncredential_window_secs = 60\n",
            mail_config(port, "plain", "").extra_config
        ),
        ..Default::default()
    });
    let key = s.keys["FULL"].clone();
    for _ in 0..2 {
        assert_eq!(
            s.form("alertemail", &key, &[("username", "amy")]).status,
            200
        );
    }
    assert_eq!(
        s.form("alertemail", &key, &[("username", "amy")]).status,
        429
    );
    assert_eq!(
        s.form("alertemail", &key, &[("username", "ann")]).status,
        200
    );
}

#[test]
fn starttls_with_a_self_signed_certificate_only_when_allowed() {
    let dir = TempDir::new("tls");
    let port = free_port();
    let inbox = start_smtp(port, Some(&dir), false);
    let allowed = Service::start_with(mail_config(
        port,
        "starttls",
        "allow_invalid_certificate = true\n",
    ));
    assert_eq!(
        allowed.call("FULL", "alertemail", &[("username", "tia")])["status"],
        "OK"
    );
    wait_for_mail(&inbox, 1);
    wait_for("sent mark", Duration::from_secs(10), || {
        outbox_row(&allowed).1
    });

    let strict = Service::start_with(mail_config(
        port,
        "starttls",
        "allow_invalid_certificate = false\n",
    ));
    assert_eq!(
        strict.call("FULL", "alertemail", &[("username", "tom")])["status"],
        "OK"
    );
    wait_for("a refused attempt", Duration::from_secs(30), || {
        outbox_row(&strict).0 >= 1
    });
    let (_, sent, _, error) = outbox_row(&strict);
    assert!(!sent);
    let error = error.unwrap_or_default();
    assert!(
        error.contains("TLS") || error.contains("certificate"),
        "{error}"
    );
    assert_eq!(
        inbox.lock().unwrap().len(),
        1,
        "nothing delivered over an untrusted TLS"
    );
}

#[test]
fn server_down_keeps_the_message_until_it_comes_back() {
    let port = free_port();
    let s = Service::start_with(mail_config(port, "plain", ""));
    assert_eq!(
        s.call("FULL", "alertemail", &[("username", "dan")])["status"],
        "OK"
    );
    wait_for("a failed attempt", Duration::from_secs(30), || {
        outbox_row(&s).0 >= 1
    });
    let (_, sent, failed, error) = outbox_row(&s);
    assert!(!sent && !failed, "still queued");
    assert!(error.is_some());
    let inbox = start_smtp(port, None, false);
    wait_for_mail(&inbox, 1);
    wait_for("sent mark", Duration::from_secs(10), || outbox_row(&s).1);
}

#[test]
fn rejected_mail_is_retried_then_marked_failed() {
    let port = free_port();
    let inbox = start_smtp(port, None, true);
    let s = Service::start_with(mail_config(port, "plain", "max_attempts = 3\n"));
    assert_eq!(
        s.call("FULL", "alertemail", &[("username", "rex")])["status"],
        "OK"
    );
    wait_for("given up", Duration::from_secs(30), || outbox_row(&s).2);
    let (attempts, sent, _, error) = outbox_row(&s);
    assert_eq!(attempts, 3);
    assert!(!sent);
    assert!(error.unwrap_or_default().contains("550"));
    assert!(inbox.lock().unwrap().is_empty());
    let list = s.cli_ok(&["mail", "list"]);
    assert!(list.contains("\tfailed\t3\t"), "{list}");
}

/// A service (SMTP port not listening yet) whose responder was SIGKILLed right after it
/// answered OK to an alert for `username`.
fn queued_then_killed(username: &str) -> (Service, u16) {
    let port = free_port();
    let mut s = Service::start_with(mail_config(port, "plain", ""));
    assert_eq!(
        s.call("FULL", "alertemail", &[("username", username)])["status"],
        "OK"
    );
    let mut responder = s.take_responder();
    common::signal(responder.id(), 9);
    responder.wait().unwrap();
    (s, port)
}

#[test]
fn message_queued_before_a_sigkill_is_delivered_by_flush_once() {
    let (mut s, port) = queued_then_killed("kim");
    // The SMTP server comes up only now, so the killed responder cannot have sent it.
    let inbox = start_smtp(port, None, false);
    // cron's flush delivers it (after the lease of an interrupted attempt, if any).
    wait_for("flush delivery", Duration::from_secs(60), || {
        s.cli(&["mail", "flush"], None);
        !inbox.lock().unwrap().is_empty()
    });
    assert!(outbox_row(&s).1, "marked sent");
    s.start_responder();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(inbox.lock().unwrap().len(), 1, "not sent twice");
    assert!(s.cli(&["mail", "flush"], None).status.success());
}

#[test]
fn message_queued_before_a_sigkill_is_delivered_by_the_next_start() {
    let (mut s, port) = queued_then_killed("kit");
    let inbox = start_smtp(port, None, false);
    s.start_responder();
    wait_for_mail(&inbox, 1);
    wait_for("sent mark", Duration::from_secs(10), || outbox_row(&s).1);
}

#[test]
fn flush_delivers_what_the_responder_never_saw() {
    let port = free_port();
    let mut s = Service::start_with(mail_config(port, "plain", ""));
    let mut responder = s.take_responder();
    common::signal(responder.id(), 9);
    responder.wait().unwrap();
    // Queue with the `call` face while no responder runs (a CGI setup).
    let out = s.cli_ok(&["call", "alertemail", "username=lee"]);
    assert!(out.contains("\"OK\""), "{out}");
    let failed = s.cli(&["mail", "flush"], None);
    assert!(
        !failed.status.success(),
        "server down: flush must report the failure"
    );
    let inbox = start_smtp(port, None, false);
    std::thread::sleep(Duration::from_millis(1100)); // retry_base_secs = 1
    let ok = s.cli(&["mail", "flush"], None);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert_eq!(inbox.lock().unwrap().len(), 1);
    s.start_responder();
}
