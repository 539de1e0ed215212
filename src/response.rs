//! Responses: JSON action outcomes (always HTTP 200) and the original plain-text
//! request-level errors, serialised as CGI/FastCGI response headers plus body.

use serde_json::Value;

/// One HTTP response, plus what the request log line needs.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Content-Type header value.
    pub content_type: &'static str,
    /// Response body.
    pub body: Vec<u8>,
    /// Seconds for a Retry-After header (429 answers).
    pub retry_after: Option<u64>,
    /// Extra headers (CORS preflight answers).
    pub extra_headers: &'static [(&'static str, &'static str)],
    /// Headers built per response (the login page's Set-Cookie, Location, ...).
    pub headers: Vec<(&'static str, String)>,
    /// Action name, for the request log.
    pub action: Option<String>,
    /// Censored API key, for the request log.
    pub key_hint: Option<String>,
}

/// Headers of a CORS preflight answer: browsers may send JSON POSTs cross-origin.
pub const PREFLIGHT_HEADERS: &[(&str, &str)] = &[
    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type, Accept"),
    ("Access-Control-Max-Age", "86400"),
];

/// The 429 body of the original, two spaces included.
pub const TOO_FAST: &str = "You're going too fast.  Slow down, mkay?";

impl Response {
    fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Response {
        Response {
            status,
            content_type,
            body,
            retry_after: None,
            extra_headers: &[],
            headers: Vec::new(),
            action: None,
            key_hint: None,
        }
    }

    /// A JSON body with the given status.
    pub fn json(status: u16, value: &Value) -> Response {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        Response::new(status, "application/json", body)
    }

    /// A plain-text request-level error (`403 Unauthorized`, ...).
    pub fn text(status: u16, message: &str) -> Response {
        Response::new(
            status,
            "text/plain; charset=utf-8",
            message.as_bytes().to_vec(),
        )
    }

    /// An HTML page (the login page) with the given status.
    pub fn html(status: u16, body: String) -> Response {
        Response::new(status, "text/html; charset=utf-8", body.into_bytes())
    }

    /// 303 See Other to `location` (POST/redirect/GET).
    pub fn see_other(location: &str) -> Response {
        Response::new(303, "text/plain; charset=utf-8", Vec::new())
            .with_header("Location", location)
    }

    /// Adds one header; values never contain line breaks (they are dropped if they do).
    pub fn with_header(mut self, name: &'static str, value: &str) -> Response {
        if !value.contains(['\r', '\n']) {
            self.headers.push((name, value.to_string()));
        }
        self
    }

    /// 429 with the original JSON body and a Retry-After header.
    pub fn too_fast(retry_after: u64) -> Response {
        let mut r = Response::json(
            429,
            &serde_json::json!({"status": "ERROR", "msg": TOO_FAST}),
        );
        r.retry_after = Some(retry_after.max(1));
        r
    }

    /// 503 with a JSON body: the server itself failed (database unavailable, ...).
    pub fn unavailable() -> Response {
        Response::json(
            503,
            &serde_json::json!({"status": "ERROR", "msg": "The account server is temporarily unavailable."}),
        )
    }

    /// 204 answer to an OPTIONS preflight.
    pub fn preflight() -> Response {
        let mut r = Response::new(204, "text/plain; charset=utf-8", Vec::new());
        r.extra_headers = PREFLIGHT_HEADERS;
        r
    }

    /// Attaches the log fields.
    pub fn logged_as(mut self, action: Option<&str>, key_hint: Option<String>) -> Response {
        self.action = action.map(str::to_string);
        self.key_hint = key_hint;
        self
    }

    /// Serialises headers and body the way a CGI program or FastCGI responder answers.
    pub fn to_cgi_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "Status: {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nAccess-Control-Allow-Origin: *\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        if let Some(secs) = self.retry_after {
            head.push_str(&format!("Retry-After: {secs}\r\n"));
        }
        for (name, value) in self.extra_headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgi_bytes_carry_status_cors_and_length() {
        let r = Response::too_fast(3);
        let text = String::from_utf8(r.to_cgi_bytes()).unwrap();
        assert!(text.starts_with("Status: 429 Too Many Requests\r\n"));
        assert!(text.contains("Access-Control-Allow-Origin: *\r\n"));
        assert!(text.contains("Retry-After: 3\r\n"));
        assert!(text.ends_with(
            "\r\n\r\n{\"status\":\"ERROR\",\"msg\":\"You're going too fast.  Slow down, mkay?\"}"
        ));
    }
}
