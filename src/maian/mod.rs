//! The Maian add-account API (SPEC §5): `POST .../index.php?api` (or `?p=api`), and
//! `.../api/` when the JSON body has `op` but no `action`. Maian clients read only the
//! body, so every outcome is JSON with HTTP 200, except 429 from the bad-key limiter.

mod create;
mod fields;
mod parse;

use serde_json::{Map, Value, json};

use crate::api::{self, KeyRefusal};
use crate::app::App;
use crate::request::Request;
use crate::response::Response;
use crate::routing;
use crate::store::authlog;

/// A request the Maian API has claimed: its body as read, or why it cannot be used.
pub struct Call(Result<Map<String, Value>, String>);

/// Claims the request if it is a Maian call; `None` leaves it to the AccountHub API.
/// Runs before the AccountHub body limit so that a Maian client gets its JSON ERROR.
pub fn claim(app: &App, req: &Request) -> Option<Call> {
    let limit = app.config.body_limit;
    let too_large = req.content_length > limit || req.body.len() > limit;
    let (path, query) = routing::path_and_query(req);
    let names: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let last_segment = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if path.ends_with("/index.php") || path == "index.php" {
        let asks_api = names
            .iter()
            .any(|(n, v)| n == "api" || (n == "p" && v == "api"));
        return asks_api.then(|| {
            Call(if too_large {
                Err(format!(
                    "The request body is larger than {limit} bytes. Nothing was added."
                ))
            } else {
                parse::body(&req.body).map_err(str::to_string)
            })
        });
    }
    if !too_large && last_segment == "api" && !names.iter().any(|(n, _)| n == "action") {
        let wrapper = parse::body(&req.body).ok()?;
        if wrapper.contains_key("op") && !wrapper.contains_key("action") {
            return Some(Call(Ok(wrapper)));
        }
    }
    None
}

/// Answers a claimed call (on a thread that may block: batches hash many passwords).
pub fn answer(app: &App, req: &Request, call: Call) -> Response {
    let wrapper = match call.0 {
        Ok(wrapper) => wrapper,
        Err(message) => return error(&message).logged_as(Some("maian"), None),
    };
    let presented = match wrapper.get("api") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let hint = Some(crate::secrets::censor(&presented));
    let ip = req.client_ip(&app.config.server.trusted_proxies);
    let key = match api::authenticate(app, &presented, &ip) {
        Ok(key) => key,
        Err(KeyRefusal::TooFast(wait)) => return Response::too_fast(wait),
        Err(KeyRefusal::Unknown) => {
            return error("Invalid API key.").logged_as(Some("maian"), hint);
        }
        Err(KeyRefusal::Unavailable) => return unavailable(),
    };
    let hint = Some(key.censored.clone());
    if key.key_type != "FULL" {
        let note = format!(
            "Key: {}, Action: maian account, Type: {}",
            key.censored, key.key_type
        );
        if let Err(e) = app
            .db
            .with(|c| authlog::write(c, authlog::LogType::ApiBadKey, None, &ip, &note))
        {
            crate::log::error(&format!("audit log write failed: {e}"));
        }
        return error("This API key may not add accounts: a FULL key is required.")
            .logged_as(Some("maian"), hint);
    }
    add_accounts(app, &wrapper, &ip).logged_as(Some("maian"), hint)
}

fn add_accounts(app: &App, wrapper: &Map<String, Value>, ip: &str) -> Response {
    let op = wrapper
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    if op != "account" {
        return error(&format!(
            "Unsupported op {}: this server supports only \"account\".",
            wrapper
                .get("op")
                .map_or("(missing)".into(), Value::to_string)
        ));
    }
    let entries = match parse::entries(wrapper) {
        Ok(entries) => entries,
        Err(message) => return error(message),
    };
    let limit = app.config.maian.batch_limit;
    if entries.len() > limit {
        return error(&format!(
            "Too many accounts: {} in one request, the limit is {limit}. Nothing was added.",
            entries.len()
        ));
    }
    match create::run(app, &entries, ip) {
        Ok(outcome) => reply(&outcome),
        Err(e) => {
            crate::log::error(&format!("maian account: {e}"));
            unavailable()
        }
    }
}

/// The batch reply: OK with the count and `accountID` (a number for one account, an array
/// for several), or ERROR when nothing was created; `errors` lists the skipped entries.
fn reply(outcome: &create::Outcome) -> Response {
    let errors: Vec<Value> = outcome
        .skipped
        .iter()
        .map(|s| json!({"index": s.index, "email": s.email, "message": s.message}))
        .collect();
    let mut body = Map::new();
    match outcome.created.as_slice() {
        [] => {
            body.insert("status".into(), "ERROR".into());
            body.insert("message".into(), "No accounts added.".into());
        }
        created => {
            body.insert("status".into(), "OK".into());
            body.insert(
                "message".into(),
                format!("{} accounts added", created.len()).into(),
            );
            let ids = match created {
                [one] => json!(one),
                many => json!(many),
            };
            body.insert("accountID".into(), ids);
        }
    }
    if !errors.is_empty() {
        body.insert("errors".into(), errors.into());
    }
    Response::json(200, &Value::Object(body))
}

fn error(message: &str) -> Response {
    Response::json(200, &json!({"status": "ERROR", "message": message}))
}

fn unavailable() -> Response {
    error("The account server is temporarily unavailable; nothing was added.")
}
