//! Prometheus metrics of the running responder, kept with `prometheus-client`: requests by
//! action and status, latency histograms, hashing-pool queue, rate-limit refusals, mail
//! delivery failures and database write waits. Recording is a relaxed atomic check plus
//! the crate's counters (atomics; a short uncontended lock for a histogram), so the hot
//! path of `ping` stays cheap; with `metrics.enabled = false` nothing is recorded.
//!
//! This module imports nothing else of the crate, so every layer may record into it.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of one request count: the action (only names of the dispatch table, so a
/// client cannot grow the label set) and the HTTP status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    action: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabel {
    action: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

/// Latency buckets: 100 µs doubling to about 6.5 s (a hashing action at high rounds).
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<ActionLabel, Histogram, fn() -> Histogram>,
    hash_queue: Gauge,
    rate_limited: Family<KindLabel, Counter>,
    outbox: Family<StateLabel, Gauge>,
    mail_failures: Counter,
    db_waits: Counter,
}

static ENABLED: AtomicBool = AtomicBool::new(false);

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("accounthub");
    let requests = Family::<RequestLabels, Counter>::default();
    registry.register(
        "requests",
        "Requests answered, by action and HTTP status",
        requests.clone(),
    );
    let latency = Family::<ActionLabel, Histogram, fn() -> Histogram>::new_with_constructor(
        latency_histogram,
    );
    registry.register(
        "request_duration_seconds",
        "Time from the request's arrival to its answer, by action",
        latency.clone(),
    );
    let hash_queue = Gauge::default();
    registry.register(
        "hash_queue_length",
        "Password hashes waiting for a hashing thread",
        hash_queue.clone(),
    );
    let rate_limited = Family::<KindLabel, Counter>::default();
    registry.register(
        "rate_limit_refusals",
        "Requests refused with 429, by limiter (bad_key, credential, alertemail)",
        rate_limited.clone(),
    );
    let outbox = Family::<StateLabel, Gauge>::default();
    registry.register(
        "outbox_messages",
        "Mails in the outbox not yet sent, by state (queued, failed)",
        outbox.clone(),
    );
    let mail_failures = Counter::default();
    registry.register(
        "mail_delivery_failures",
        "SMTP delivery attempts that failed",
        mail_failures.clone(),
    );
    let db_waits = Counter::default();
    registry.register(
        "db_busy_waits",
        "Database writes that had to wait for another writer of this process",
        db_waits.clone(),
    );
    Metrics {
        registry,
        requests,
        latency,
        hash_queue,
        rate_limited,
        outbox,
        mail_failures,
        db_waits,
    }
});

/// Switches recording on or off (set once from `metrics.enabled` at start-up).
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// True if metrics are recorded and served.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Counts one answered request and its duration.
pub fn request(action: &'static str, status: u16, seconds: f64) {
    if enabled() {
        let m = &*METRICS;
        m.requests
            .get_or_create(&RequestLabels { action, status })
            .inc();
        m.latency
            .get_or_create(&ActionLabel { action })
            .observe(seconds);
    }
}

/// A hash was queued for the hashing pool.
pub fn hash_queued() {
    if enabled() {
        METRICS.hash_queue.inc();
    }
}

/// A queued hash was taken by a hashing thread.
pub fn hash_started() {
    if enabled() {
        METRICS.hash_queue.dec();
    }
}

/// A limiter of `kind` answered 429.
pub fn rate_limited(kind: &'static str) {
    if enabled() {
        METRICS
            .rate_limited
            .get_or_create(&KindLabel { kind })
            .inc();
    }
}

/// An SMTP delivery attempt failed.
pub fn mail_failed() {
    if enabled() {
        METRICS.mail_failures.inc();
    }
}

/// A database writer waited for another writer's turn.
pub fn db_waited() {
    if enabled() {
        METRICS.db_waits.inc();
    }
}

/// Content type of what `encode` writes: the classic Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The text exposition of every metric; `outbox` is the (queued, failed) backlog read
/// from the database at scrape time, if it could be read.
pub fn encode(outbox: Option<(i64, i64)>) -> String {
    let m = &*METRICS;
    if let Some((queued, failed)) = outbox {
        m.outbox
            .get_or_create(&StateLabel { state: "queued" })
            .set(queued);
        m.outbox
            .get_or_create(&StateLabel { state: "failed" })
            .set(failed);
    }
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &m.registry);
    classic_text(&out)
}

/// OpenMetrics text (all `prometheus-client` writes) as the classic Prometheus format, which
/// every Prometheus version and `promtool check metrics` read: a counter's HELP and TYPE
/// lines name its `_total` samples, and there is no `# EOF` marker.
fn classic_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len() + 16 * counters.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let descriptor = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|tag| line.strip_prefix(tag).map(|rest| (tag, rest)));
        match descriptor {
            Some((tag, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                let suffix = if counters.contains(name) {
                    "_total"
                } else {
                    ""
                };
                out.push_str(&format!("{tag}{name}{suffix} {tail}\n"));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_requests_appear_in_the_text_format() {
        set_enabled(true);
        request("unit_test_action", 200, 0.0003);
        request("unit_test_action", 200, 0.0003);
        rate_limited("bad_key");
        let text = encode(Some((3, 1)));
        assert!(
            text.contains(
                "accounthub_requests_total{action=\"unit_test_action\",status=\"200\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "accounthub_request_duration_seconds_count{action=\"unit_test_action\"} 2"
            )
        );
        assert!(text.contains("accounthub_outbox_messages{state=\"queued\"} 3"));
        assert!(text.contains("accounthub_rate_limit_refusals_total{kind=\"bad_key\"}"));
        assert!(text.contains("# TYPE accounthub_requests_total counter\n"));
        assert!(text.contains("# TYPE accounthub_hash_queue_length gauge\n"));
        assert!(!text.contains("# EOF"));
    }
}
