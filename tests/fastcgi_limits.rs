//! The FastCGI responder against hostile peers, through the real binary on its unix socket:
//! declared lengths it must not allocate, short BEGIN_REQUEST bodies, a 200 MB body, name-
//! value pairs split across records, and descriptor starvation (idle connections past the
//! connection cap, idle and header timeouts, the raised open-file limit).

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, Options, Service, fcgi};

const BEGIN_REQUEST: u8 = 1;
const PARAMS: u8 = 4;
const STDIN: u8 = 5;
const STDOUT: u8 = 6;
const END_REQUEST: u8 = 3;
const UNKNOWN_ROLE: u8 = 3;

/// A prepared service (database, keys) with `[server]` settings added to its config.
fn service(server: &str) -> Service {
    let s = Service::prepare(Options::default());
    let path = s.path("accounthub.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    let config = config.replacen("[server]\n", &format!("[server]\n{server}\n"), 1);
    std::fs::write(&path, config).unwrap();
    s
}

/// Starts the responder through `sh -c "<limits>; exec accounthub serve"`, so shell
/// `ulimit`s apply to it; returns its pid (the service stops it on drop).
fn start_responder(s: &mut Service, limits: &str) -> u32 {
    let log = std::fs::File::create(s.path("responder.log")).unwrap();
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{limits}; exec {BIN} --config {} serve --listen unix:{}",
            s.path("accounthub.toml").display(),
            s.socket().display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let pid = child.id();
    s.adopt(child);
    let sock = s.socket();
    common::wait_for("responder socket", Duration::from_secs(20), || {
        UnixStream::connect(&sock).is_ok()
    });
    pid
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| !s.contains("State:\tZ"))
}

/// A field of /proc/PID/status in kB (VmRSS, VmHWM).
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

/// Reads records until END_REQUEST: (STDOUT bytes, protocol status).
fn read_answer(c: &mut UnixStream) -> std::io::Result<(Vec<u8>, u8)> {
    let mut stdout = Vec::new();
    loop {
        let mut head = [0u8; 8];
        c.read_exact(&mut head)?;
        let len = usize::from(u16::from_be_bytes([head[4], head[5]]));
        let mut content = vec![0; len + usize::from(head[6])];
        c.read_exact(&mut content)?;
        match head[1] {
            STDOUT => stdout.extend_from_slice(&content[..len]),
            END_REQUEST => return Ok((stdout, content[4])),
            _ => {}
        }
    }
}

/// `ping` straight on the socket answers 200.
fn ping_answers(s: &Service) {
    let params = fcgi::simple_params(&format!("/accounthub/api/ping/{}/", s.keys["NONE"]));
    let out = fcgi::roundtrip(&s.socket(), &params, b"").expect("responder answers");
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("Status: 200 OK"), "{text}");
}

fn no_panic_logged(s: &Service) {
    let log = std::fs::read_to_string(s.path("responder.log")).unwrap();
    assert!(!log.contains("panicked"), "{log}");
}

/// The responder is still running, answers, and logged no panic.
fn survived(s: &Service, pid: u32) {
    assert!(alive(pid));
    ping_answers(s);
    no_panic_logged(s);
}

fn pair(name: &[u8], value_len: u32, value: &[u8]) -> Vec<u8> {
    let mut out = vec![u8::try_from(name.len()).unwrap()];
    out.extend_from_slice(&(value_len | 0x8000_0000).to_be_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(value);
    out
}

#[test]
fn a_pair_declaring_two_gib_is_refused_without_allocating_it() {
    let mut s = service("");
    // Under a 3 GB address-space limit an allocation of the declared 2 GiB would abort.
    let pid = start_responder(&mut s, "ulimit -v 3000000");
    let mut c = UnixStream::connect(s.socket()).unwrap();
    c.write_all(&fcgi::record(BEGIN_REQUEST, &[0, 1, 1, 0, 0, 0, 0, 0]))
        .unwrap();
    c.write_all(&fcgi::record(
        PARAMS,
        &pair(b"HTTP_X", 0x7fff_ffff, b"only a few bytes"),
    ))
    .unwrap();
    c.write_all(&fcgi::record(PARAMS, &[])).unwrap();
    c.write_all(&fcgi::record(STDIN, &[])).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let (out, _) = read_answer(&mut c).expect("an answer, not a dead process");
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("Status: 400 Bad Request"), "{text}");
    assert!(text.ends_with("400 Bad request: malformed FastCGI parameters"));
    survived(&s, pid);
}

#[test]
fn begin_request_with_zero_or_one_content_bytes_is_answered_not_a_panic() {
    let mut s = service("");
    let pid = start_responder(&mut s, "true");
    for content in [&[][..], &[0u8][..]] {
        let mut c = UnixStream::connect(s.socket()).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.write_all(&fcgi::record(BEGIN_REQUEST, content)).unwrap();
        let (out, status) = read_answer(&mut c).expect("END_REQUEST");
        assert_eq!((out.len(), status), (0, UNKNOWN_ROLE), "{content:?}");
        // Without FCGI_KEEP_CONN the responder then closes the connection.
        assert_eq!(c.read(&mut [0u8; 8]).unwrap(), 0);
    }
    survived(&s, pid);
}

#[test]
fn a_200_mb_body_is_answered_413_without_being_kept() {
    let mut s = service("");
    let pid = start_responder(&mut s, "true");
    ping_answers(&s);
    let before = status_kb(pid, "VmHWM");
    let mut c = UnixStream::connect(s.socket()).unwrap();
    let body_len = 200 * 1000 * 1000;
    let len_text = body_len.to_string();
    let params: Vec<(&str, &[u8])> = vec![
        ("REQUEST_METHOD", b"POST"),
        ("REQUEST_URI", b"/accounthub/api/"),
        ("CONTENT_TYPE", b"application/x-www-form-urlencoded"),
        ("CONTENT_LENGTH", len_text.as_bytes()),
        ("REMOTE_ADDR", b"127.0.0.1"),
    ];
    c.write_all(&fcgi::request_head(&params, false)).unwrap();
    let chunk = fcgi::record(STDIN, &[b'x'; 50_000]);
    for _ in 0..body_len / 50_000 {
        c.write_all(&chunk).unwrap();
    }
    c.write_all(&fcgi::record(STDIN, &[])).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let (out, _) = read_answer(&mut c).expect("an answer");
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("Status: 413"), "{text}");
    assert!(text.ends_with("413 Request body too large"), "{text}");
    let after = status_kb(pid, "VmHWM");
    assert!(
        after < before + 32 * 1024,
        "peak RSS grew from {before} kB to {after} kB"
    );
    ping_answers(&s);
}

#[test]
fn a_pair_split_across_params_records_is_answered() {
    let mut s = service("");
    start_responder(&mut s, "true");
    let uri = format!("/accounthub/api/ping/{}/", s.keys["NONE"]);
    let mut stream = Vec::new();
    for (name, value) in [
        ("REQUEST_METHOD", &b"GET"[..]),
        ("REQUEST_URI", uri.as_bytes()),
        ("REMOTE_ADDR", b"127.0.0.1"),
    ] {
        // Four-byte lengths, so the cuts below also fall inside a length.
        stream.extend(pair(
            name.as_bytes(),
            u32::try_from(value.len()).unwrap(),
            value,
        ));
    }
    let mut c = UnixStream::connect(s.socket()).unwrap();
    c.write_all(&fcgi::record(BEGIN_REQUEST, &[0, 1, 1, 0, 0, 0, 0, 0]))
        .unwrap();
    // Cut inside the first name, inside the second pair's value length, inside the URI.
    let cuts = [0, 5, 23, 45, stream.len()];
    for w in cuts.windows(2) {
        c.write_all(&fcgi::record(PARAMS, &stream[w[0]..w[1]]))
            .unwrap();
    }
    c.write_all(&fcgi::record(PARAMS, &[])).unwrap();
    c.write_all(&fcgi::record(STDIN, &[])).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let (out, _) = read_answer(&mut c).expect("an answer, not a closed connection");
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("Status: 200 OK"), "{text}");
    assert!(text.ends_with("{\"status\":\"OK\"}"), "{text}");
    // FCGI_KEEP_CONN was set: the same connection serves the next request.
    let params = fcgi::simple_params(&uri);
    let refs: Vec<(&str, &[u8])> = params.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    c.write_all(&fcgi::request_head(&refs, true)).unwrap();
    c.write_all(&fcgi::request_body(b"")).unwrap();
    let (out, _) = read_answer(&mut c).unwrap();
    assert!(String::from_utf8_lossy(&out).starts_with("Status: 200 OK"));
}

#[test]
fn idle_connections_past_the_cap_leave_ping_answering_through_nginx() {
    let mut s = service("max_connections = 20");
    // 64 descriptors: without a cap the idle connections below would exhaust them.
    start_responder(&mut s, "ulimit -n 64");
    s.start_nginx();
    let idle: Vec<UnixStream> = (0..100)
        .map(|_| UnixStream::connect(s.socket()).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..10 {
        let started = Instant::now();
        let r = s.form("ping", &s.keys["NONE"], &[]);
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "ping took {:?}",
            started.elapsed()
        );
    }
    // Still full of idle connections: the oldest were closed to make room.
    let closed = idle
        .iter()
        .filter(|c| {
            c.set_nonblocking(true).unwrap();
            matches!((&**c).read(&mut [0u8; 1]), Ok(0))
        })
        .count();
    assert!(closed >= 10, "only {closed} idle connections were closed");
    drop(idle);
    no_panic_logged(&s);
}

#[test]
fn idle_and_slow_headers_are_closed_after_their_timeouts() {
    let mut s = service("idle_timeout_secs = 1\nheader_timeout_secs = 2");
    // Soft limit 256, hard limit unchanged: the responder raises soft to hard.
    let pid = start_responder(&mut s, "ulimit -S -n 256");
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[3], fields[4], "soft limit raised to hard: {line}");
    assert_ne!(fields[3], "256", "{line}");

    let started = Instant::now();
    let mut idle = UnixStream::connect(s.socket()).unwrap();
    let mut slow = UnixStream::connect(s.socket()).unwrap();
    slow.write_all(&fcgi::record(BEGIN_REQUEST, &[0, 1, 1, 0, 0, 0, 0, 0])[..5])
        .unwrap();
    for c in [&idle, &slow] {
        c.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    }
    assert_eq!(idle.read(&mut [0u8; 8]).expect("closed, not timed out"), 0);
    let idle_closed = started.elapsed();
    assert!(idle_closed >= Duration::from_millis(900), "{idle_closed:?}");
    assert_eq!(slow.read(&mut [0u8; 8]).expect("closed, not timed out"), 0);
    assert!(started.elapsed() >= Duration::from_millis(1900));
    // A kept-alive connection is closed after the idle timeout too, after its answer.
    let mut kept = UnixStream::connect(s.socket()).unwrap();
    let params = fcgi::simple_params(&format!("/accounthub/api/ping/{}/", s.keys["NONE"]));
    let refs: Vec<(&str, &[u8])> = params.iter().map(|(n, v)| (*n, v.as_slice())).collect();
    kept.write_all(&fcgi::request_head(&refs, true)).unwrap();
    kept.write_all(&fcgi::request_body(b"")).unwrap();
    let (out, _) = read_answer(&mut kept).unwrap();
    assert!(String::from_utf8_lossy(&out).starts_with("Status: 200 OK"));
    kept.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    assert_eq!(kept.read(&mut [0u8; 8]).expect("closed, not timed out"), 0);
    ping_answers(&s);
}
