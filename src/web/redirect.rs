//! Where the login page may send a browser back to: only origins of the configured apps
//! (the URLs `listapps` shows) or of `login.redirect_allowlist`, never anywhere a link
//! says (no open redirect).

use serde_json::Value;

use crate::actions::basic::absolute_url;
use crate::app::App;

/// Whether `target` is an absolute http(s) URL on an allowed origin.
pub fn allowed(app: &App, target: &str) -> bool {
    let Some(origin) = origin_of(target) else {
        return false;
    };
    let config = &app.config;
    let apps = config
        .apps
        .values()
        .filter_map(|a| a.get("url").and_then(Value::as_str))
        .map(|url| absolute_url(&config.public_url, url));
    apps.chain(config.login.redirect_allowlist.iter().cloned())
        .filter_map(|url| origin_of(&url))
        .any(|o| o == origin)
}

/// `scheme://host[:port]` of an absolute http(s) URL, lower-cased with the default port
/// dropped; `None` for anything else (relative, other schemes, user info, spaces, control
/// characters or backslashes, which browsers read in surprising ways).
pub fn origin_of(url: &str) -> Option<String> {
    if url.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\') {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.strip_prefix('[').and_then(|r| r.find(']')) {
        Some(close) => {
            let (host, rest) = authority.split_at(close + 2);
            let port = match rest.strip_prefix(':') {
                Some(port) => port,
                None if rest.is_empty() => "",
                None => return None,
            };
            let inner = &host[1..host.len() - 1];
            if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
                return None;
            }
            (host, port)
        }
        None => {
            let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
            let host_ok = host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            if host.is_empty() || !host_ok {
                return None;
            }
            (host, port)
        }
    };
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let host = host.to_ascii_lowercase();
    Some(if port.is_empty() || port == default_port {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}:{port}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            origin_of("HTTPS://App.Example.org:443/x?y").as_deref(),
            Some("https://app.example.org")
        );
        assert_eq!(origin_of("http://h:8080").as_deref(), Some("http://h:8080"));
        assert_eq!(
            origin_of("http://[::1]:81/").as_deref(),
            Some("http://[::1]:81")
        );
        for bad in [
            "/relative",
            "//evil.example/",
            "javascript:alert(1)",
            "http://user@evil/",
            "http://evil\\@good/",
            "http://h:80x/",
            "http:// h/",
            "ftp://h/",
        ] {
            assert_eq!(origin_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_app_and_allowlisted_origins_pass() {
        let app = crate::web::test_app(
            "public_url = 'https://id.example.org/accounthub/'\n\
             [login]\nredirect_allowlist = ['https://extra.example.org']\n\
             [apps.binstack]\nurl = '/binstack/'\n[apps.qc]\nurl = 'https://qc.example.org/'\n",
        );
        assert!(allowed(&app, "https://id.example.org/binstack/index.php"));
        assert!(allowed(&app, "https://qc.example.org:443/app/"));
        assert!(allowed(&app, "https://extra.example.org/"));
        assert!(!allowed(&app, "https://evil.example.org/"));
        assert!(!allowed(&app, "http://qc.example.org/"), "scheme counts");
        assert!(!allowed(&app, "https://qc.example.org.evil/"));
        assert!(!allowed(&app, ""));
    }
}
