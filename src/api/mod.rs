//! The request pipeline shared by every face: body limit, routing, key authentication,
//! action lookup, key-type check, argument validation, then the action itself.

pub mod context;
pub mod dispatch;
pub mod keys;
pub mod validate;

use serde_json::Value;

use crate::app::App;
use crate::clock;
use crate::request::Request;
use crate::response::Response;
use crate::routing::{self, Params};
use crate::secrets;
use crate::store::{apikeys, authlog, ratelimit};
pub use context::{Caller, Ctx, Failure, Outcome};

/// Where a request may run: the FastCGI responder first tries it inline on an async worker
/// and moves it to the blocking pool only if its action hashes passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Any action may run here (blocking pool, CGI, `call`).
    MayBlock,
    /// Only light actions may run here (async worker).
    Inline,
}

/// Answers one HTTP request (CGI face, and the blocking pool of the FastCGI face).
pub fn handle(app: &App, req: &Request) -> Response {
    match handle_at(app, req, Placement::MayBlock) {
        Some(response) => response,
        None => Response::unavailable(),
    }
}

/// Answers one HTTP request, or returns `None` when `placement` is `Inline` and the action
/// needs the blocking pool (the caller then runs `handle` there).
pub fn handle_at(app: &App, req: &Request, placement: Placement) -> Option<Response> {
    if req.method.is_empty() {
        return Some(Response::text(
            400,
            "400 Bad request: the web server sent no request method",
        ));
    }
    if req.method == "OPTIONS" {
        return Some(Response::preflight());
    }
    if let Some(call) = crate::maian::claim(app, req) {
        // Maian batches hash many passwords: always the blocking pool.
        return (placement == Placement::MayBlock).then(|| crate::maian::answer(app, req, call));
    }
    if req.content_length > app.config.body_limit || req.body.len() > app.config.body_limit {
        return Some(Response::text(413, "413 Request body too large"));
    }
    let params = match routing::api_params(req) {
        Ok(params) => params,
        Err(e) => return Some(Response::text(400, e.message())),
    };
    let ip = req.client_ip(&app.config.server.trusted_proxies);
    let presented = text_param(&params, "key");
    let key = match authenticate(app, &presented, &ip) {
        Ok(key) => key,
        Err(refusal) => {
            return Some(
                refusal
                    .response()
                    .logged_as(None, Some(secrets::censor(&presented))),
            );
        }
    };
    let action = text_param(&params, "action");
    if placement == Placement::Inline
        && dispatch::find(&action).is_some_and(|a| a.cost == dispatch::Cost::Hashing)
    {
        return None;
    }
    let hint = Some(key.censored.clone());
    let caller = Caller::Key(key);
    let response = dispatch(app, &caller, &params, &ip);
    Some(response.logged_as(Some(action.as_str()).filter(|a| !a.is_empty()), hint))
}

/// Runs the named action for an already authenticated caller (also the `call` face).
pub fn dispatch(app: &App, caller: &Caller, params: &Params, ip: &str) -> Response {
    let name = text_param(params, "action");
    if name.is_empty() {
        return Response::text(404, "404 No action specified");
    }
    let Some(action) = dispatch::find(&name) else {
        return Response::text(404, "404 Action not defined");
    };
    if let Caller::Key(key) = caller
        && !action.key_type.allowed_for(&key.key_type)
    {
        let note = format!(
            "Key: {}, Action: {name}, Type: {}",
            key.censored, key.key_type
        );
        if let Err(e) = app
            .db
            .with(|c| authlog::write(c, authlog::LogType::ApiBadKey, None, ip, &note))
        {
            crate::log::error(&format!("audit log write failed: {e}"));
        }
        return Response::text(403, "403 Unauthorized");
    }
    let args = match validate::check(action.args, params) {
        Ok(args) => args,
        Err(var) => {
            return Response::text(
                400,
                &format!("400 Bad request: variable {var} is missing or invalid"),
            );
        }
    };
    let ctx = Ctx { app, caller, ip };
    match (action.run)(&ctx, &args) {
        Ok(body) => Response::json(200, &body),
        Err(Failure::TooFast { retry_after }) => Response::too_fast(retry_after),
        Err(Failure::Store(e)) => {
            crate::log::error(&format!("action {name}: database error: {e}"));
            Response::unavailable()
        }
        Err(Failure::Internal(msg)) => {
            crate::log::error(&format!("action {name}: {msg}"));
            Response::unavailable()
        }
    }
}

/// Why a presented API key was not accepted; each API answers it in its own format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRefusal {
    /// Missing or unknown key (already audit-logged and counted).
    Unknown,
    /// The per-IP bad-key limit tripped: retry after this many seconds.
    TooFast(u64),
    /// The key store could not be read.
    Unavailable,
}

impl KeyRefusal {
    /// The AccountHub API's answer: 403 text, 429 JSON or 503 JSON.
    fn response(self) -> Response {
        match self {
            KeyRefusal::Unknown => Response::text(403, "403 Unauthorized"),
            KeyRefusal::TooFast(wait) => Response::too_fast(wait),
            KeyRefusal::Unavailable => Response::unavailable(),
        }
    }
}

/// Checks the presented key. A missing or unknown key is audit-logged (censored) and
/// counted against the client IP; past the limit the refusal is `TooFast`, unlogged.
pub(crate) fn authenticate(
    app: &App,
    presented: &str,
    ip: &str,
) -> Result<apikeys::StoredKey, KeyRefusal> {
    if !presented.is_empty() {
        match app.db.with(|c| apikeys::find(c, presented)) {
            Ok(Some(key)) => return Ok(key),
            Ok(None) => {}
            Err(e) => {
                crate::log::error(&format!("key lookup failed: {e}"));
                return Err(KeyRefusal::Unavailable);
            }
        }
    }
    let limits = &app.config.rate_limit;
    let limit = ratelimit::Limit {
        limit: limits.bad_key_limit,
        window_secs: limits.bad_key_window_secs,
    };
    let shown = if presented.is_empty() {
        "(none)".to_string()
    } else {
        secrets::censor(presented)
    };
    let now = clock::unix_now();
    // Past the limit nothing is written: a flood of bad keys costs one counter per IP.
    let verdict = app.db.write(|tx| {
        ratelimit::purge_expired(tx, now - 86_400)?;
        let refused = ratelimit::take(tx, &format!("badkey|{ip}"), limit, now)?;
        if refused.is_none() {
            let note = format!("Key: {shown}");
            authlog::write(tx, authlog::LogType::ApiBadKey, None, ip, &note)?;
        }
        Ok::<_, rusqlite::Error>(refused)
    });
    match verdict {
        Ok(Some(wait)) => Err(KeyRefusal::TooFast(wait)),
        Ok(None) => Err(KeyRefusal::Unknown),
        Err(e) => {
            crate::log::error(&format!("bad-key bookkeeping failed: {e}"));
            Err(KeyRefusal::Unknown)
        }
    }
}

/// A parameter as text: strings as they are, numbers as digits, anything else blank.
fn text_param(params: &Params, name: &str) -> String {
    match params.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}
