//! Turns a `Request` into the merged parameter set of one API call (SPEC §2).
//!
//! URL forms: `.../api/` with a form or JSON body, `.../api.php?action=..&key=..`, and the
//! documented path form `.../api/<action>/<key>/?args` or `.../api/<action>/<key>/n=v/...`.
//! Precedence, later wins: query string < form body (non-GET) < JSON object body < path.
//! Unlike the original, path and query values are percent-decoded, a trailing slash after
//! the action keeps the body's key, and `api` is matched as a whole path segment.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::request::Request;

/// Parameters of one API call, name to value; JSON bodies keep their value types.
pub type Params = Map<String, Value>;

/// Why a request could not be turned into parameters (answered with 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// The body claims or looks like JSON but does not parse.
    MalformedJson,
    /// The body is JSON, but not an object.
    JsonNotObject,
    /// A body encoding we do not read.
    UnsupportedBody,
}

impl RouteError {
    /// The plain-text 400 body.
    pub fn message(&self) -> &'static str {
        match self {
            RouteError::MalformedJson => "400 Bad request: the body is not valid JSON",
            RouteError::JsonNotObject => "400 Bad request: a JSON body must be an object",
            RouteError::UnsupportedBody => {
                "400 Bad request: send the body as application/x-www-form-urlencoded or JSON"
            }
        }
    }
}

/// Splits the raw REQUEST_URI into path and query (QUERY_STRING when there is no URI).
pub fn path_and_query(req: &Request) -> (&str, &str) {
    if req.uri.is_empty() {
        return ("", req.query.as_str());
    }
    match req.uri.split_once('?') {
        Some((path, query)) => (path, query),
        None => (req.uri.as_str(), ""),
    }
}

/// Merges every parameter source of an AccountHub API request.
pub fn api_params(req: &Request) -> Result<Params, RouteError> {
    let (path, query) = path_and_query(req);
    let mut params = Params::new();
    merge_form(&mut params, query.as_bytes());
    if let Some(body) = body_params(req)? {
        params.extend(body);
    }
    if !path.contains("api.php") {
        merge_path(&mut params, path);
    }
    Ok(params)
}

/// Reads the body as a form or a JSON object, whichever it is.
pub fn body_params(req: &Request) -> Result<Option<Params>, RouteError> {
    if req.body.is_empty() {
        return Ok(None);
    }
    let media = req
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let is_form_method = req.method != "GET";
    match media.as_str() {
        "application/json" => json_object(&req.body).map(Some),
        "application/x-www-form-urlencoded" if is_form_method => Ok(Some(form(&req.body))),
        "application/x-www-form-urlencoded" => Ok(None),
        "multipart/form-data" => Err(RouteError::UnsupportedBody),
        _ => match serde_json::from_slice::<Value>(&req.body) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            Ok(_) => Err(RouteError::JsonNotObject),
            Err(_) if looks_like_json(&req.body) => Err(RouteError::MalformedJson),
            Err(_) if is_form_method => Ok(Some(form(&req.body))),
            Err(_) => Ok(None),
        },
    }
}

fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

fn json_object(body: &[u8]) -> Result<Params, RouteError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(RouteError::JsonNotObject),
        Err(_) => Err(RouteError::MalformedJson),
    }
}

fn form(body: &[u8]) -> Params {
    let mut params = Params::new();
    merge_form(&mut params, body);
    params
}

/// `application/x-www-form-urlencoded` pairs; later duplicates win, like PHP.
fn merge_form(params: &mut Params, bytes: &[u8]) {
    for (name, value) in form_urlencoded::parse(bytes) {
        params.insert(name.into_owned(), Value::String(value.into_owned()));
    }
}

/// The path form: the segments after the first whole `api` segment are
/// `<action>/<key>/<name=value>/...`; empty segments are skipped.
fn merge_path(params: &mut Params, path: &str) {
    let mut segments = path.split('/');
    if !segments.any(|s| s == "api") {
        return;
    }
    let mut rest = segments.filter(|s| !s.is_empty()).map(decode);
    if let Some(action) = rest.next() {
        params.insert("action".into(), Value::String(action));
    }
    if let Some(key) = rest.next() {
        params.insert("key".into(), Value::String(key));
    }
    for segment in rest {
        if let Some((name, value)) = segment.split_once('=') {
            params.insert(name.to_string(), Value::String(value.to_string()));
        }
    }
}

/// Percent-decodes a path segment; `+` stays `+` in paths.
fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, uri: &str, ctype: &str, body: &str) -> Request {
        Request {
            method: method.into(),
            uri: uri.into(),
            content_type: ctype.into(),
            body: body.as_bytes().to_vec(),
            content_length: body.len(),
            ..Request::default()
        }
    }

    fn get(p: &Params, name: &str) -> Option<String> {
        p.get(name)
            .map(|v| v.as_str().map(str::to_string).unwrap_or(v.to_string()))
    }

    #[test]
    fn form_post_to_api_dir() {
        let p = api_params(&req(
            "POST",
            "/accounthub/api/",
            "application/x-www-form-urlencoded",
            "action=auth&key=K&username=bob&password=a+b%2Bc",
        ))
        .unwrap();
        assert_eq!(get(&p, "action").unwrap(), "auth");
        assert_eq!(get(&p, "key").unwrap(), "K");
        assert_eq!(get(&p, "password").unwrap(), "a b+c");
    }

    #[test]
    fn json_post_keeps_types() {
        let p = api_params(&req(
            "POST",
            "/api/",
            "application/json",
            r#"{"action":"userinfo","key":"K","uid":12}"#,
        ))
        .unwrap();
        assert_eq!(p["uid"], Value::from(12));
    }

    #[test]
    fn legacy_api_php_query() {
        let p = api_params(&req("GET", "/x/api.php?action=ping&key=K%2B1", "", "")).unwrap();
        assert_eq!(get(&p, "action").unwrap(), "ping");
        assert_eq!(get(&p, "key").unwrap(), "K+1");
    }

    #[test]
    fn path_form_with_query_and_segments() {
        let p = api_params(&req("GET", "/api/userinfo/K%21/?username=j%40x", "", "")).unwrap();
        assert_eq!(get(&p, "action").unwrap(), "userinfo");
        assert_eq!(get(&p, "key").unwrap(), "K!");
        assert_eq!(get(&p, "username").unwrap(), "j@x");
        let p = api_params(&req(
            "GET",
            "/api/auth/K/username=bob/password=p%40ss/",
            "",
            "",
        ))
        .unwrap();
        assert_eq!(get(&p, "password").unwrap(), "p@ss");
        let p = api_params(&req("GET", "/api/ping/K", "", "")).unwrap();
        assert_eq!(get(&p, "key").unwrap(), "K");
    }

    #[test]
    fn trailing_slash_after_action_keeps_body_key() {
        let p = api_params(&req(
            "POST",
            "/api/ping/",
            "application/x-www-form-urlencoded",
            "key=BODY",
        ))
        .unwrap();
        assert_eq!(get(&p, "action").unwrap(), "ping");
        assert_eq!(get(&p, "key").unwrap(), "BODY");
    }

    #[test]
    fn precedence_query_form_json_path() {
        // form body beats query
        let p = api_params(&req(
            "POST",
            "/api.php?a=q&b=q",
            "application/x-www-form-urlencoded",
            "a=f",
        ))
        .unwrap();
        assert_eq!(get(&p, "a").unwrap(), "f");
        assert_eq!(get(&p, "b").unwrap(), "q");
        // JSON body beats query
        let p = api_params(&req(
            "POST",
            "/api/?a=q",
            "application/json",
            r#"{"a":"j"}"#,
        ))
        .unwrap();
        assert_eq!(get(&p, "a").unwrap(), "j");
        // path beats JSON body
        let p = api_params(&req(
            "POST",
            "/api/ping/PATHKEY/a=p",
            "application/json",
            r#"{"key":"J","a":"j"}"#,
        ))
        .unwrap();
        assert_eq!(get(&p, "key").unwrap(), "PATHKEY");
        assert_eq!(get(&p, "a").unwrap(), "p");
    }

    #[test]
    fn get_ignores_form_body_but_reads_json() {
        let p = api_params(&req(
            "GET",
            "/api/?a=q",
            "application/x-www-form-urlencoded",
            "a=f",
        ))
        .unwrap();
        assert_eq!(get(&p, "a").unwrap(), "q");
        let p = api_params(&req("GET", "/api/?a=q", "", r#"{"a":"j"}"#)).unwrap();
        assert_eq!(get(&p, "a").unwrap(), "j");
    }

    #[test]
    fn bad_json_bodies_are_refused() {
        assert_eq!(
            api_params(&req("POST", "/api/", "application/json", "[1,2]")),
            Err(RouteError::JsonNotObject)
        );
        assert_eq!(
            api_params(&req("POST", "/api/", "application/json", "123")),
            Err(RouteError::JsonNotObject)
        );
        assert_eq!(
            api_params(&req("POST", "/api/", "application/json", "{nope")),
            Err(RouteError::MalformedJson)
        );
        assert_eq!(
            api_params(&req("POST", "/api/", "", "{nope")),
            Err(RouteError::MalformedJson)
        );
    }

    #[test]
    fn api_must_be_a_whole_segment() {
        let p = api_params(&req("GET", "/rapi/api/ping/K/", "", "")).unwrap();
        assert_eq!(get(&p, "action").unwrap(), "ping");
        let p = api_params(&req("GET", "/capi/x/y", "", "")).unwrap();
        assert!(p.get("action").is_none());
    }
}
