//! The mobile API at `<prefix>/mobile/index.php` (and `<prefix>/mobile/`), which the
//! BusinessMobile app talks to: no API key, but a user name and that user's sync code
//! (`key`). This file is the face: the cheap checks of `prepare`, the sync-code check, the
//! action table and how outcomes become responses. The actions live beside it;
//! `routing::route` decides which URLs are this face's.
//!
//! Every answer is JSON. Logical errors are HTTP 200 with `"status":"ERROR"` like the
//! original; a missing user name or key is 401, an unknown action 404, a throttled client
//! 429.

mod account;
mod apps;
mod notifications;

use std::cell::OnceCell;

use serde_json::{Value, json};

use crate::actions::args::{self, text_param};
use crate::actions::{Args, Caller, Cost, Ctx, Failure, Outcome, resp_error, second_factor, table};
use crate::api;
use crate::app::App;
use crate::response::Response;
use crate::routing::{Params, RouteError};
use crate::secrets;
use crate::store::accounts::Account;
use crate::store::authlog::{self, LogType};

/// The original's message when `mobile_enabled` is off (two spaces included).
const DISABLED: &str = "Mobile login has been disabled by your system administrator.  \
                        Contact technical support for more information.";

/// One authenticated mobile call: the context actions run in, the account whose sync
/// code was checked, and the request's parameters.
pub struct Call<'a> {
    /// Context for the shared actions (caller `Mobile`, client IP).
    pub ctx: &'a Ctx<'a>,
    /// The signed-in account.
    pub account: &'a Account,
    /// The request's parameters.
    pub params: &'a Params,
    /// A `Set-Cookie` value the answer must carry (`start_session`).
    pub cookie: OnceCell<String>,
}

impl Call<'_> {
    /// A parameter as text (blank when missing).
    pub fn text(&self, name: &str) -> String {
        text_param(self.params, name)
    }

    /// Runs an API action (its table entry: the same arguments, handler and answer) for
    /// the signed-in user only: `username` is forced to theirs and `uid` dropped. Arguments
    /// the action refuses get the original's `Invalid request parameters.`
    pub fn api(&self, name: &str) -> Outcome {
        self.api_as(name, None)
    }

    /// As `api`, but `run` handles the checked arguments instead of the action's handler.
    pub fn api_as(&self, name: &str, run: Option<fn(&Ctx, &Args) -> Outcome>) -> Outcome {
        let Some(action) = table::find(name) else {
            return Err(Failure::Internal(format!("no API action {name}")));
        };
        let mut params = self.params.clone();
        params.remove("uid");
        params.insert(
            "username".into(),
            Value::from(self.account.username.as_str()),
        );
        match args::check(action.args, &params) {
            Ok(args) => run.unwrap_or(action.run)(self.ctx, &args),
            Err(_) => Ok(resp_error("Invalid request parameters.")),
        }
    }
}

/// A mobile action that needs a checked sync code.
struct Action {
    name: &'static str,
    run: fn(&Call) -> Outcome,
    cost: Cost,
}

/// Every action behind the sync-code check (`ping` and `generatesynccode` come first).
const ACTIONS: &[Action] = &[
    Action {
        name: "check_key",
        run: account::check_key,
        cost: Cost::Light,
    },
    Action {
        name: "check_password",
        run: account::check_password,
        cost: Cost::Hashing,
    },
    Action {
        name: "user_info",
        run: account::user_info,
        cost: Cost::Hashing,
    },
    Action {
        name: "start_session",
        run: account::start_session,
        cost: Cost::Hashing,
    },
    Action {
        name: "hasotp",
        run: account::hasotp,
        cost: Cost::Light,
    },
    Action {
        name: "listapps",
        run: apps::listapps,
        cost: Cost::Light,
    },
    Action {
        name: "gencode",
        run: apps::gencode,
        cost: Cost::Light,
    },
    Action {
        name: "checknotifications",
        run: notifications::check,
        cost: Cost::Light,
    },
    Action {
        name: "readnotification",
        run: notifications::read,
        cost: Cost::Light,
    },
    Action {
        name: "addnotification",
        run: notifications::add,
        cost: Cost::Light,
    },
    Action {
        name: "deletenotification",
        run: notifications::delete,
        cost: Cost::Light,
    },
];

/// `generatesynccode` pairs a device by password instead of a sync code.
const PAIRING: &str = "generatesynccode";

/// A mobile call that passed the cheap checks: it names an action, a user and a key.
pub struct Prepared {
    params: Params,
    action: String,
    ip: String,
}

/// The cheap checks, in the original's order: bad bodies, `ping` (answered without
/// credentials), `mobile_enabled`, a blank user name or key (401). `Err` is the answer.
pub fn prepare(
    app: &App,
    routed: Result<Params, RouteError>,
    ip: String,
) -> Result<Prepared, Box<Response>> {
    let params = routed.map_err(|e| Box::new(error(e.status(), e.message())))?;
    let action = text_param(&params, "action");
    let answered = |response: Response| Box::new(response.logged_as(Some("mobile"), None));
    if action == "ping" {
        return Err(answered(Response::json(200, &json!({"status": "OK"}))));
    }
    if !app.config.mobile_enabled {
        return Err(answered(error(200, DISABLED)));
    }
    if text_param(&params, "username").is_empty() || text_param(&params, "key").is_empty() {
        return Err(answered(error(401, "Missing username and/or access key.")));
    }
    Ok(Prepared { params, action, ip })
}

impl Prepared {
    /// Password checks hash (the blocking pool); everything else is a few SQLite reads.
    pub fn cost(&self) -> Cost {
        match ACTIONS.iter().find(|a| a.name == self.action) {
            Some(entry) => entry.cost,
            None if self.action == PAIRING => Cost::Hashing,
            None => Cost::Light,
        }
    }

    /// Checks the sync code (or, for `generatesynccode`, the password) and runs the action.
    pub fn run(self, app: &App) -> Response {
        let key = text_param(&self.params, "key");
        let hint = secrets::censor(&key);
        let caller = Caller::Mobile(hint.clone());
        let ctx = Ctx {
            app,
            caller: &caller,
            ip: &self.ip,
        };
        let outcome = if self.action == PAIRING {
            account::generatesynccode(&ctx, &self.params).map(|body| Some((body, None)))
        } else {
            let username = text_param(&self.params, "username");
            signed_in(&ctx, &self.params, &username, &key, &self.action)
        };
        let action = &self.action;
        let response = match outcome {
            Ok(Some((body, None))) => Response::json(200, &body),
            Ok(Some((body, Some(cookie)))) => {
                Response::json(200, &body).with_header("Set-Cookie", &cookie)
            }
            Ok(None) => error(404, "The requested action is not available."),
            Err(failure) => api::failure_response(&format!("mobile {action}"), failure),
        };
        response.logged_as(Some(&format!("mobile/{action}")), Some(hint))
    }
}

/// Checks the sync code, then runs the action: its answer and any cookie to set, or `None`
/// for an unknown action. A wrong code is audited (`MOBILE_BAD_KEY`) and counted per
/// (IP, user).
fn signed_in(
    ctx: &Ctx,
    params: &Params,
    username: &str,
    key: &str,
    action: &str,
) -> Result<Option<(Value, Option<String>)>, Failure> {
    let check = second_factor::check_sync_code(ctx, username, key)?;
    let note = ctx.audit_note(username);
    ctx.app.db.write(|tx| {
        check.record(tx)?;
        if !check.valid {
            let uid = check.account.as_ref().map(|a| a.uid);
            authlog::write(tx, LogType::MobileBadKey, uid, ctx.ip, &note)?;
        }
        Ok::<_, rusqlite::Error>(())
    })?;
    let Some(account) = check.account.as_ref().filter(|_| check.valid) else {
        let refusal = json!({"status": "ERROR", "msg": "Invalid username and/or access key."});
        return Ok(Some((refusal, None)));
    };
    let Some(entry) = ACTIONS.iter().find(|a| a.name == action) else {
        return Ok(None);
    };
    let call = Call {
        ctx,
        account,
        params,
        cookie: OnceCell::new(),
    };
    let body = (entry.run)(&call)?;
    Ok(Some((body, call.cookie.into_inner())))
}

/// A JSON error answer with the given HTTP status.
fn error(status: u16, msg: &str) -> Response {
    Response::json(status, &json!({"status": "ERROR", "msg": msg}))
}
