//! `GET <prefix>/metrics`: the Prometheus text exposition, answered only to the addresses of
//! `metrics.allow` (the figures describe everyone's traffic), 404 when metrics are off.

use std::net::IpAddr;

use crate::app::App;
use crate::response::Response;
use crate::store::maintenance;

/// The metrics page for a client at `client_ip`.
pub fn answer(app: &App, client_ip: &str) -> Response {
    let response = if !crate::metrics::enabled() {
        Response::text(404, "404 Not found")
    } else if !allowed(&app.config.metrics.allow, client_ip) {
        Response::text(403, "403 Forbidden")
    } else {
        let outbox = app.db.with(maintenance::outbox_backlog).ok();
        let text = crate::metrics::encode(outbox);
        Response::with_body(200, crate::metrics::CONTENT_TYPE, text.into_bytes())
    };
    response.logged_as(Some("metrics"), None)
}

/// True if `client_ip` is one of `allow` (an IPv4-mapped IPv6 address counts as its IPv4).
fn allowed(allow: &[IpAddr], client_ip: &str) -> bool {
    client_ip
        .parse::<IpAddr>()
        .is_ok_and(|ip| allow.contains(&ip.to_canonical()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_addresses_are_allowed() {
        let allow = [IpAddr::from([127, 0, 0, 1])];
        assert!(allowed(&allow, "127.0.0.1"));
        assert!(allowed(&allow, "::ffff:127.0.0.1"));
        assert!(!allowed(&allow, "127.0.0.2"));
        assert!(!allowed(&allow, "unknown"));
        assert!(!allowed(&[], "127.0.0.1"));
    }
}
