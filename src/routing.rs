//! Decides once what a request is (`route`), parsing its body once: a CORS preflight, an
//! AccountHub API call with its merged parameters, a Maian add-account call with its JSON
//! wrapper, or a request-level refusal. A new face (a web page, another API) is one more
//! arm of `Route`.
//!
//! AccountHub URL forms: `.../api/` with a form or JSON body, `.../api.php?action=..&key=..`,
//! and the path form `.../api/<action>/<key>/?args` or `.../api/<action>/<key>/n=v/...`.
//! Precedence, later wins: query string < form body (non-GET) < JSON object body < path.
//! Unlike the original, path and query values are percent-decoded, a trailing slash after
//! the action keeps the body's key, and `api` is matched as a whole path segment.
//!
//! Maian: `POST .../index.php?api` (or `?p=api`), and `.../api/` when the body is a JSON
//! object with `op` but no `action` (and the query has no `action`).
//!
//! Mobile API: `.../mobile/index.php` and `.../mobile/`, query string < body, no path form.

use percent_encoding::percent_decode_str;
use serde_json::Value;

pub use crate::actions::args::Params;
use crate::request::Request;

/// What a request is, with what its stage needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// A CORS preflight (`OPTIONS`).
    Preflight,
    /// Refused before any API looks at it: answered with a plain-text 400 or 413.
    Refused(RouteError),
    /// An AccountHub API call: every parameter source merged.
    Api(Params),
    /// A Maian add-account call: the body's JSON wrapper, or the message telling the
    /// client why the body cannot be used (Maian clients read only JSON bodies).
    Maian(Result<Params, String>),
    /// A mobile API call (`.../mobile/index.php`, `.../mobile/`): query and body merged,
    /// or why the body cannot be used (the mobile face answers that in JSON).
    Mobile(Result<Params, RouteError>),
    /// The SSO login page (`.../login/`, HTML), which reads its own form.
    Login,
}

/// Why a request was refused at routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// The web server sent no REQUEST_METHOD.
    NoMethod,
    /// The body (declared or read) is over `body_limit`.
    TooLarge,
    /// The body claims or looks like JSON but does not parse.
    MalformedJson,
    /// The body is JSON, but not an object.
    JsonNotObject,
    /// A body encoding we do not read.
    UnsupportedBody,
}

impl RouteError {
    /// The HTTP status of the refusal.
    pub fn status(&self) -> u16 {
        match self {
            RouteError::TooLarge => 413,
            _ => 400,
        }
    }

    /// The plain-text body.
    pub fn message(&self) -> &'static str {
        match self {
            RouteError::NoMethod => "400 Bad request: the web server sent no request method",
            RouteError::TooLarge => "413 Request body too large",
            RouteError::MalformedJson => "400 Bad request: the body is not valid JSON",
            RouteError::JsonNotObject => "400 Bad request: a JSON body must be an object",
            RouteError::UnsupportedBody => {
                "400 Bad request: send the body as application/x-www-form-urlencoded or JSON"
            }
        }
    }
}

/// Decides what `req` is. Bodies over `body_limit` are refused (a Maian client gets its
/// JSON message instead), and are never parsed.
pub fn route(req: &Request, body_limit: usize) -> Route {
    if req.method.is_empty() {
        return Route::Refused(RouteError::NoMethod);
    }
    if req.method == "OPTIONS" {
        return Route::Preflight;
    }
    let (path, query) = path_and_query(req);
    if is_login_page(path) {
        return Route::Login;
    }
    let too_large = req.content_length > body_limit || req.body.len() > body_limit;
    if is_mobile_page(path) {
        return Route::Mobile(if too_large {
            Err(RouteError::TooLarge)
        } else {
            read_body(req).map(|body| merged(query, body))
        });
    }
    if is_maian_page(path, query) {
        return Route::Maian(if too_large {
            Err(format!(
                "The request body is larger than {body_limit} bytes. Nothing was added."
            ))
        } else {
            maian_body(&req.body).map_err(str::to_string)
        });
    }
    if too_large {
        return Route::Refused(RouteError::TooLarge);
    }
    let body = match read_body(req) {
        Ok(body) => body,
        Err(e) => return Route::Refused(e),
    };
    let api_dir = path.trim_end_matches('/').rsplit('/').next() == Some("api");
    let body = if api_dir && !query_has(query, "action") {
        match maian_wrapper(req, body) {
            Ok(wrapper) => return Route::Maian(Ok(wrapper)),
            Err(body) => body,
        }
    } else {
        body
    };
    let mut params = merged(query, body);
    if !path.contains("api.php") {
        merge_path(&mut params, path);
    }
    Route::Api(params)
}

/// The query string's pairs, overridden by the body's.
fn merged(query: &str, body: Body) -> Params {
    let mut params = Params::new();
    merge_form(&mut params, query.as_bytes());
    if let Body::Json(map) | Body::Form(map) = body {
        params.extend(map);
    }
    params
}

/// `.../mobile/index.php` or `.../mobile/`, with no `api` segment before it
/// (`.../api/<action>/mobile/` is the API's path form with the key `mobile`).
fn is_mobile_page(path: &str) -> bool {
    let Some(dir) = path
        .strip_suffix("/index.php")
        .or_else(|| path.strip_suffix('/'))
    else {
        return false;
    };
    let mut segments = dir.split('/');
    segments.next_back() == Some("mobile") && !segments.any(|s| s == "api")
}

/// `.../login/` or `.../login`, but not the API's path form `.../api/login/...`.
pub fn is_login_page(path: &str) -> bool {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    let parent = match trimmed.strip_suffix("/login") {
        Some(parent) => parent,
        None if trimmed == "login" => "",
        None => return false,
    };
    parent.rsplit('/').next() != Some("api")
}

/// `.../index.php?api` or `.../index.php?p=api`.
fn is_maian_page(path: &str, query: &str) -> bool {
    (path.ends_with("/index.php") || path == "index.php")
        && form_urlencoded::parse(query.as_bytes())
            .any(|(n, v)| n == "api" || (n == "p" && v == "api"))
}

fn query_has(query: &str, name: &str) -> bool {
    form_urlencoded::parse(query.as_bytes()).any(|(n, _)| n == name)
}

/// The body of a `.../api/` request as a Maian wrapper (`op`, no `action`), else the body
/// back. A JSON body was already parsed; only a body that was read as a form (or ignored)
/// yet looks like JSON, plain or URL-encoded, is read again the Maian way.
fn maian_wrapper(req: &Request, body: Body) -> Result<Params, Body> {
    let is_wrapper = |map: &Params| map.contains_key("op") && !map.contains_key("action");
    match body {
        Body::Json(map) if is_wrapper(&map) => Ok(map),
        Body::Json(map) => Err(Body::Json(map)),
        other => {
            let text = req.body.trim_ascii_start();
            let json_like = text.starts_with(b"{")
                || text
                    .get(..3)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"%7b"));
            match json_like.then(|| maian_body(&req.body)) {
                Some(Ok(map)) if is_wrapper(&map) => Ok(map),
                _ => Err(other),
            }
        }
    }
}

/// Reads a Maian body as a JSON object. Plain JSON is read as it is, so a literal `+` in a
/// password stays `+`; only when that fails is the body URL-decoded (`+` → space, `%XX`)
/// as a whole and read again (the Maian docs allow both).
fn maian_body(bytes: &[u8]) -> Result<Params, &'static str> {
    let text = String::from_utf8_lossy(bytes);
    if text.trim().is_empty() {
        return Err(
            "The request body is empty: send the JSON wrapper {\"api\":..,\"op\":\"account\",\"accounts\":{..}}.",
        );
    }
    let parsed = serde_json::from_str::<Value>(&text).or_else(|_| {
        let spaced = text.replace('+', " ");
        serde_json::from_str::<Value>(&percent_decode_str(&spaced).decode_utf8_lossy())
    });
    match parsed {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("The request body must be a JSON object."),
        Err(_) => Err("The request body is not valid JSON (plain or URL-encoded)."),
    }
}

/// A body as read: nothing usable, a JSON object, or form pairs.
#[derive(Debug)]
enum Body {
    None,
    Json(Params),
    Form(Params),
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

/// Reads the body as a form or a JSON object, whichever it is.
fn read_body(req: &Request) -> Result<Body, RouteError> {
    if req.body.is_empty() {
        return Ok(Body::None);
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
        "application/json" => json_object(&req.body).map(Body::Json),
        "application/x-www-form-urlencoded" if is_form_method => Ok(Body::Form(form(&req.body))),
        "application/x-www-form-urlencoded" => Ok(Body::None),
        "multipart/form-data" => Err(RouteError::UnsupportedBody),
        _ => match serde_json::from_slice::<Value>(&req.body) {
            Ok(Value::Object(map)) => Ok(Body::Json(map)),
            Ok(_) => Err(RouteError::JsonNotObject),
            Err(_) if looks_like_json(&req.body) => Err(RouteError::MalformedJson),
            Err(_) if is_form_method => Ok(Body::Form(form(&req.body))),
            Err(_) => Ok(Body::None),
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

    /// The parameters of an AccountHub API call, or why routing refused it.
    fn api_params(req: &Request) -> Result<Params, RouteError> {
        match route(req, usize::MAX) {
            Route::Api(params) => Ok(params),
            Route::Refused(e) => Err(e),
            other => panic!("not an API call: {other:?}"),
        }
    }

    #[test]
    fn the_login_page_is_its_own_route_but_not_the_path_form() {
        let get = |uri: &str| {
            route(
                &Request {
                    method: "GET".into(),
                    uri: uri.into(),
                    ..Request::default()
                },
                usize::MAX,
            )
        };
        assert_eq!(get("/accounthub/login/?code=x&redirect=y"), Route::Login);
        assert_eq!(get("/accounthub/login"), Route::Login);
        assert_eq!(get("/login/"), Route::Login);
        assert!(matches!(get("/accounthub/api/login/"), Route::Api(_)));
        assert!(matches!(get("/accounthub/api/login/key/"), Route::Api(_)));
        assert!(matches!(get("/accounthub/login/x"), Route::Api(_)));
    }

    #[test]
    fn maian_plain_json_keeps_plus_and_percent() {
        let m = maian_body(br#"{"p":"a+b%2Bc"}"#).unwrap();
        assert_eq!(m["p"], "a+b%2Bc");
    }

    #[test]
    fn maian_url_encoded_body_is_decoded_as_a_whole() {
        let m = maian_body(b"%7B%22p%22%3A%22a%2Bb+c%22%7D").unwrap();
        assert_eq!(m["p"], "a+b c");
    }

    #[test]
    fn maian_bad_bodies_are_refused() {
        assert!(maian_body(b"").is_err());
        assert!(maian_body(b"{nope").is_err());
        assert!(maian_body(b"[1]").is_err());
    }

    #[test]
    fn maian_calls_are_told_apart_from_api_calls() {
        let wrapper = r#"{"api":"K","op":"account"}"#;
        let maian = |r: &Request| matches!(route(r, 1 << 20), Route::Maian(Ok(_)));
        assert!(maian(&req("POST", "/x/index.php?api", "", wrapper)));
        assert!(maian(&req("POST", "/x/index.php?p=api", "", wrapper)));
        assert!(maian(&req("POST", "/x/api/", "application/json", wrapper)));
        // curl -d sends a JSON body as a form.
        assert!(maian(&req(
            "POST",
            "/x/api/",
            "application/x-www-form-urlencoded",
            wrapper
        )));
        assert!(!maian(&req("POST", "/x/api/?action=ping", "", wrapper)));
        assert!(!maian(&req(
            "POST",
            "/x/api/",
            "",
            r#"{"api":"K","op":"account","action":"ping"}"#
        )));
        assert!(!maian(&req("POST", "/x/api/", "", "op=account&api=K")));
        assert!(matches!(
            route(&req("POST", "/x/index.php?api", "", wrapper), 4),
            Route::Maian(Err(_))
        ));
        assert_eq!(
            route(&req("POST", "/x/api/", "", wrapper), 4),
            Route::Refused(RouteError::TooLarge)
        );
        assert_eq!(
            route(&req("OPTIONS", "/x/api/", "", ""), 10),
            Route::Preflight
        );
    }

    #[test]
    fn mobile_urls_are_their_own_route() {
        let mobile = |uri: &str| matches!(route(&req("POST", uri, "", ""), 10), Route::Mobile(_));
        assert!(mobile("/accounthub/mobile/index.php"));
        assert!(mobile("/accounthub/mobile/"));
        assert!(mobile("/mobile/index.php?action=ping"));
        assert!(!mobile("/accounthub/mobile"));
        assert!(!mobile("/accounthub/mobile/other.php"));
        assert!(!mobile("/accounthub/index.php?api"));
        assert!(!mobile("/accounthub/api/ping/mobile/"));
        let Route::Mobile(Ok(p)) = route(
            &req("POST", "/m/mobile/?a=q&b=q", "", "action=ping&a=f"),
            1 << 20,
        ) else {
            panic!("not a mobile route");
        };
        assert_eq!(
            (get(&p, "a"), get(&p, "b")),
            (Some("f".into()), Some("q".into()))
        );
        assert_eq!(
            route(&req("POST", "/m/mobile/", "", "action=ping"), 4),
            Route::Mobile(Err(RouteError::TooLarge))
        );
        assert_eq!(
            route(&req("POST", "/m/mobile/", "application/json", "[1]"), 10),
            Route::Mobile(Err(RouteError::JsonNotObject))
        );
    }

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
