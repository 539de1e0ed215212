//! A tiny browser for the login page over the raw HTTP client: a cookie jar, GET/POST of
//! forms, and reading hidden fields back out of the HTML.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{HttpResponse, Service};

/// The app origin the tests' `[apps.binstack]` entry allows (`/binstack/` on nginx's port).
pub fn app_config() -> String {
    "[apps.binstack]\ntitle = \"BinStack\"\nurl = \"/binstack/\"\n".into()
}

/// Cookies of one browser, by name.
pub struct Browser<'a> {
    service: &'a Service,
    /// Cookie values by name.
    pub cookies: HashMap<String, String>,
}

impl<'a> Browser<'a> {
    /// A browser with an empty cookie jar.
    pub fn new(service: &'a Service) -> Browser<'a> {
        Browser {
            service,
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, r: &HttpResponse) {
        for (name, value) in &r.headers {
            if name != "set-cookie" {
                continue;
            }
            let pair = value.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                if value.contains("Max-Age=0") || v.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
    }

    /// GET a URL (absolute on this service, or a path).
    pub fn get(&mut self, url: &str) -> HttpResponse {
        let target = path_of(url);
        let cookie = self.cookie_header();
        let r = self
            .service
            .request("GET", &target, &[("Cookie", &cookie)], b"");
        self.keep_cookies(&r);
        r
    }

    /// POST form fields to the login page.
    pub fn post(&mut self, fields: &[(&str, &str)]) -> HttpResponse {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            ser.append_pair(k, v);
        }
        let body = ser.finish();
        let cookie = self.cookie_header();
        let r = self.service.request(
            "POST",
            &self.service.url("login/"),
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &cookie),
            ],
            body.as_bytes(),
        );
        self.keep_cookies(&r);
        r
    }

    /// Submits the form of `step` found on `page`, with its hidden fields plus `fields`.
    pub fn submit(
        &mut self,
        page: &HttpResponse,
        step: &str,
        fields: &[(&str, &str)],
    ) -> HttpResponse {
        let html = page.text();
        assert!(
            html.contains(&format!("name=\"step\" value=\"{step}\"")),
            "no {step} form on the page: {html}"
        );
        let csrf = hidden(&html, "csrf");
        let code = hidden(&html, "code");
        let redirect = hidden(&html, "redirect");
        let mut all = vec![
            ("step", step),
            ("csrf", csrf.as_str()),
            ("code", code.as_str()),
            ("redirect", redirect.as_str()),
        ];
        all.extend_from_slice(fields);
        self.post(&all)
    }
}

/// The path and query of an absolute URL (a path stays as it is).
pub fn path_of(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/".into(), |i| rest[i..].to_string()),
        None => url.to_string(),
    }
}

/// The value of the first `<input ... name="NAME" value="...">`, HTML-unescaped.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {html}"))
        + marker.len();
    let end = start + html[start..].find('"').unwrap();
    unescape(&html[start..end])
}

/// Undoes the HTML escaping of attribute values.
pub fn unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// `getloginkey` as BinStack sends it (JSON POST, its logo's URL as the icon); returns
/// (code, loginurl).
pub fn getloginkey(s: &Service, appname: &str) -> (String, String) {
    let icon = format!("http://127.0.0.1:{}/binstack/static/img/logo.svg", s.port);
    getloginkey_with_icon(s, appname, &icon)
}

/// `getloginkey` with the given `appicon`; returns (code, loginurl).
pub fn getloginkey_with_icon(s: &Service, appname: &str, icon: &str) -> (String, String) {
    let r = s.json(&json!({
        "action": "getloginkey",
        "key": s.keys["AUTH"],
        "appname": appname,
        "appicon": icon,
    }));
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "OK", "{v}");
    (
        v["code"].as_str().unwrap().to_string(),
        v["loginurl"].as_str().unwrap().to_string(),
    )
}

/// `checkloginkey` as BinStack sends it.
pub fn checkloginkey(s: &Service, code: &str) -> Value {
    let r = s.json(&json!({"action": "checkloginkey", "key": s.keys["AUTH"], "code": code}));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// Where BinStack sends the browser back to (an allowed origin).
pub fn app_redirect(s: &Service) -> String {
    format!("http://127.0.0.1:{}/binstack/index.php", s.port)
}

/// The login URL as BinStack builds it: code and redirect pasted in unencoded.
pub fn binstack_login_url(s: &Service, loginurl: &str, code: &str) -> String {
    format!("{loginurl}?code={code}&redirect={}", app_redirect(s))
}

/// Turns TOTP on for `user` with the CLI and returns the decoded secret, so a test can make
/// the codes an authenticator app would show.
pub fn enable_totp(s: &Service, user: &str) -> Vec<u8> {
    let out = s.cli_ok(&["user", "totp", "enable", user]);
    let secret = out
        .lines()
        .next()
        .unwrap()
        .strip_prefix("secret: ")
        .unwrap();
    accounthub::totp::decode_secret(secret).unwrap()
}
