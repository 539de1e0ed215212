//! The one `Request` value every face (FastCGI, CGI, `call`) builds from CGI-style
//! parameters and a body. Everything after this point is independent of the transport.

/// A request as the web server described it. Non-UTF-8 bytes in parameters are replaced
/// (U+FFFD) rather than dropped, so one bad byte never loses the other parameters.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// HTTP method (`GET`, `POST`, `OPTIONS`, ...); empty if the web server sent none.
    pub method: String,
    /// Raw REQUEST_URI (path and query, not decoded): routing works on this.
    pub uri: String,
    /// Raw QUERY_STRING.
    pub query: String,
    /// CONTENT_TYPE.
    pub content_type: String,
    /// Request body.
    pub body: Vec<u8>,
    /// Declared CONTENT_LENGTH (may exceed `body.len()` when the body was not read).
    pub content_length: usize,
    /// REMOTE_ADDR: the peer the web server saw.
    pub remote_addr: String,
    /// HTTP_X_FORWARDED_FOR, honoured only from configured proxies.
    pub forwarded_for: Option<String>,
    /// HTTP_COOKIE: the login page's session and CSRF cookies.
    pub cookie: String,
}

impl Request {
    /// Builds a request from CGI meta-variables looked up by name, plus the body.
    pub fn from_params<'a>(param: impl Fn(&str) -> Option<&'a [u8]>, body: Vec<u8>) -> Request {
        let text = |name: &str| {
            param(name)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default()
        };
        let content_length = text("CONTENT_LENGTH").trim().parse().unwrap_or(body.len());
        let forwarded = text("HTTP_X_FORWARDED_FOR");
        Request {
            method: text("REQUEST_METHOD").to_ascii_uppercase(),
            uri: text("REQUEST_URI"),
            query: text("QUERY_STRING"),
            content_type: text("CONTENT_TYPE"),
            body,
            content_length,
            remote_addr: text("REMOTE_ADDR"),
            forwarded_for: (!forwarded.is_empty()).then_some(forwarded),
            cookie: text("HTTP_COOKIE"),
        }
    }

    /// The client IP: REMOTE_ADDR, or the last X-Forwarded-For hop when REMOTE_ADDR is a
    /// trusted proxy (the hop that proxy itself appended).
    pub fn client_ip(&self, trusted_proxies: &[std::net::IpAddr]) -> String {
        let peer = self.remote_addr.trim();
        let trusted = peer
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| trusted_proxies.contains(&ip));
        if trusted {
            let hop = self
                .forwarded_for
                .as_deref()
                .and_then(|list| list.rsplit(',').next())
                .map(str::trim)
                .filter(|hop| hop.parse::<std::net::IpAddr>().is_ok());
            if let Some(hop) = hop {
                return hop.to_string();
            }
        }
        peer.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn build(pairs: &[(&str, &[u8])]) -> Request {
        let map: HashMap<&str, &[u8]> = pairs.iter().copied().collect();
        Request::from_params(|n| map.get(n).copied(), Vec::new())
    }

    #[test]
    fn non_utf8_param_keeps_the_others() {
        let r = build(&[
            ("QUERY_STRING", b"a=\xff"),
            ("REQUEST_METHOD", b"get"),
            ("REQUEST_URI", b"/api/ping/k/?a=\xff"),
        ]);
        assert_eq!(r.method, "GET");
        assert_eq!(r.query, "a=\u{fffd}");
        assert!(r.uri.starts_with("/api/ping/k/"));
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let r = build(&[
            ("REMOTE_ADDR", b"10.0.0.1"),
            ("HTTP_X_FORWARDED_FOR", b"6.6.6.6, 1.2.3.4"),
        ]);
        assert_eq!(r.client_ip(&[]), "10.0.0.1");
        assert_eq!(r.client_ip(&["10.0.0.1".parse().unwrap()]), "1.2.3.4");
    }
}
