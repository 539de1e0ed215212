//! The Maian add-account API over a routed JSON wrapper, in the two stages of the
//! pipeline: `prepare` checks the key (the shared key step, FULL required) and `run` adds
//! the accounts. Maian clients read only the body, so every outcome is JSON with HTTP 200,
//! except 429 from the bad-key limiter.

mod create;
mod fields;
mod parse;

use serde_json::{Map, Value, json};

use crate::app::App;
use crate::keyauth::{self, KeyRefusal};
use crate::response::Response;
use crate::store::apikeys::KeyType;

/// A Maian call whose key passed: adding its accounts (hashing every password) is left.
pub struct Prepared {
    wrapper: Map<String, Value>,
    ip: String,
    hint: Option<String>,
}

/// Checks the wrapper routing read (or answers why it could not be read) and its key.
/// `Err` is the finished answer.
pub fn prepare(
    app: &App,
    wrapper: Result<Map<String, Value>, String>,
    ip: String,
) -> Result<Prepared, Box<Response>> {
    let wrapper =
        wrapper.map_err(|message| Box::new(error(&message).logged_as(Some("maian"), None)))?;
    let presented = match wrapper.get("api") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let key = match keyauth::authenticate(app, &presented, &ip) {
        Ok(key) => key,
        Err(KeyRefusal::TooFast(wait)) => return Err(Box::new(Response::too_fast(wait))),
        Err(KeyRefusal::Unknown) => {
            let hint = Some(crate::secrets::censor(&presented));
            return Err(Box::new(
                error("Invalid API key.").logged_as(Some("maian"), hint),
            ));
        }
        Err(KeyRefusal::Unavailable) => return Err(Box::new(unavailable())),
    };
    let hint = Some(key.censored.clone());
    if !keyauth::permits(app, &key, KeyType::Full, "maian account", &ip) {
        return Err(Box::new(
            error("This API key may not add accounts: a FULL key is required.")
                .logged_as(Some("maian"), hint),
        ));
    }
    Ok(Prepared { wrapper, ip, hint })
}

impl Prepared {
    /// Adds the batch's accounts (on a thread that may block: batches hash many passwords).
    pub fn run(self, app: &App) -> Response {
        add_accounts(app, &self.wrapper, &self.ip).logged_as(Some("maian"), self.hint)
    }
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
