//! The login page's two cookies: the session token and, before a session exists, the
//! double-submit CSRF token. Both are `HttpOnly`, `SameSite=Lax`, scoped to the page's path
//! and `Secure` when the public URL is https.

use rusqlite::Connection;

use crate::app::App;
use crate::secrets;
use crate::store::sessions;

/// Cookie holding the session token.
pub const SESSION: &str = "ah_session";

/// Cookie holding the CSRF token of forms shown before a session exists.
pub const CSRF: &str = "ah_csrf";

/// Characters of a fresh CSRF cookie value.
const CSRF_LEN: usize = 32;

/// Longest cookie value read; anything longer is ignored.
const VALUE_MAX: usize = 128;

/// The value of cookie `name` in a `Cookie:` header, if it is a plausible token.
pub fn get<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty() && v.len() <= VALUE_MAX && v.bytes().all(url_safe))
}

fn url_safe(b: u8) -> bool {
    secrets::URL_SAFE.contains(&b)
}

/// A new random CSRF cookie value.
pub fn new_csrf() -> String {
    secrets::random_string(secrets::URL_SAFE, CSRF_LEN)
}

/// The `Set-Cookie` value that stores `value` in cookie `name` for the login page at
/// `page` (its path, with or without the final slash); `max_age` in seconds (0 deletes it).
pub fn set(app: &App, page: &str, name: &str, value: &str, max_age: i64) -> String {
    let secure = if app.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{name}={value}; Path={}; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        page.trim_end_matches('/'),
        max_age.max(0)
    )
}

/// Opens a signed-in browser session for `uid` (inside the caller's write transaction)
/// and returns the `Set-Cookie` value that hands it to the browser: how another face
/// (the mobile API's `start_session`) signs a browser in.
pub fn start_session(app: &App, conn: &Connection, uid: i64, ip: &str) -> rusqlite::Result<String> {
    let ttl = app.config.login.session_lifetime_secs;
    let opened = sessions::open(conn, uid, None, ip, crate::clock::unix_now(), ttl)?;
    Ok(set(
        app,
        &super::login_path(app),
        SESSION,
        &opened.token,
        ttl,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_and_checked() {
        let header = "a=1; ah_session=abc_DEF-123; ah_csrf=bad value; x";
        assert_eq!(get(header, SESSION), Some("abc_DEF-123"));
        assert_eq!(get(header, CSRF), None, "not a token");
        assert_eq!(get(header, "missing"), None);
        assert_eq!(get("ah_session=", SESSION), None);
    }

    #[test]
    fn cookies_are_secure_behind_https() {
        let app = |url: &str| super::super::test_app(&format!("public_url = '{url}'"));
        let https = set(
            &app("https://id.example.org/ah/"),
            "/ah/login/",
            CSRF,
            "v",
            60,
        );
        assert_eq!(
            https,
            "ah_csrf=v; Path=/ah/login; Max-Age=60; HttpOnly; SameSite=Lax; Secure"
        );
        let http = set(&app("http://h/"), "/login/", SESSION, "", -5);
        assert_eq!(
            http,
            "ah_session=; Path=/login; Max-Age=0; HttpOnly; SameSite=Lax"
        );
    }
}
