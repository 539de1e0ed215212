//! The mobile API at `<prefix>/mobile/index.php` (and `<prefix>/mobile/`), which the
//! BusinessMobile app talks to: no API key, but a user name and that user's sync code
//! (`key`). This file is the face: which URLs it claims, parameters, the sync-code check,
//! the action table and how outcomes become responses. The actions live beside it.
//!
//! Every answer is JSON. Logical errors are HTTP 200 with `"status":"ERROR"` like the
//! original; a missing user name or key is 401, an unknown action 404, a throttled client
//! 429.

mod account;
mod apps;
mod notifications;

use serde_json::{Value, json};

use crate::actions::{resp_error, second_factor};
use crate::api::validate::{self, ArgValue, Args};
use crate::api::{self, Caller, Ctx, Failure, Outcome, dispatch};
use crate::app::App;
use crate::request::Request;
use crate::response::Response;
use crate::routing::{self, Params};
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
}

impl Call<'_> {
    /// A parameter as text (blank when missing).
    pub fn text(&self, name: &str) -> String {
        api::text_param(self.params, name)
    }

    /// Runs an API action (its table entry: the same arguments, handler and answer) for
    /// the signed-in user only: `username` is forced to theirs and `uid` dropped. Arguments
    /// the action refuses get the original's `Invalid request parameters.`
    pub fn api(&self, name: &str) -> Outcome {
        let Some(action) = dispatch::find(name) else {
            return Err(Failure::Internal(format!("no API action {name}")));
        };
        let mut params = self.params.clone();
        params.remove("uid");
        params.insert(
            "username".into(),
            Value::from(self.account.username.as_str()),
        );
        match validate::check(action.args, &params) {
            Ok(args) => (action.run)(self.ctx, &args),
            Err(_) => Ok(resp_error("Invalid request parameters.")),
        }
    }

    /// Arguments naming the signed-in user, for API helpers called directly.
    pub fn user_args(&self) -> Args {
        Args::from_pairs(vec![(
            "username",
            ArgValue::Str(self.account.username.clone()),
        )])
    }
}

/// A mobile action that needs a checked sync code.
struct Action {
    name: &'static str,
    run: fn(&Call) -> Outcome,
}

/// Every action behind the sync-code check (`ping` and `generatesynccode` come first).
const ACTIONS: &[Action] = &[
    Action {
        name: "check_key",
        run: account::check_key,
    },
    Action {
        name: "check_password",
        run: account::check_password,
    },
    Action {
        name: "user_info",
        run: account::user_info,
    },
    Action {
        name: "hasotp",
        run: account::hasotp,
    },
    Action {
        name: "listapps",
        run: apps::listapps,
    },
    Action {
        name: "gencode",
        run: apps::gencode,
    },
    Action {
        name: "checknotifications",
        run: notifications::check,
    },
    Action {
        name: "readnotification",
        run: notifications::read,
    },
    Action {
        name: "addnotification",
        run: notifications::add,
    },
    Action {
        name: "deletenotification",
        run: notifications::delete,
    },
];

/// True for the mobile API's URLs: a path ending in `mobile/index.php` or `mobile/`, with
/// no `api` segment before it (`.../api/<action>/mobile/` is the API's path form).
pub fn claims(req: &Request) -> bool {
    let (path, _) = routing::path_and_query(req);
    let Some(dir) = path
        .strip_suffix("/index.php")
        .or_else(|| path.strip_suffix('/'))
    else {
        return false;
    };
    let mut segments = dir.split('/');
    segments.next_back() == Some("mobile") && !segments.any(|s| s == "api")
}

/// Answers one mobile API request.
pub fn handle(app: &App, req: &Request) -> Response {
    if req.content_length > app.config.body_limit || req.body.len() > app.config.body_limit {
        return error(413, "The request body is too large.");
    }
    let params = match routing::api_params(req) {
        Ok(params) => params,
        Err(e) => return error(400, e.message()),
    };
    let action = api::text_param(&params, "action");
    if action == "ping" {
        return Response::json(200, &json!({"status": "OK"})).logged_as(Some("ping"), None);
    }
    if !app.config.mobile_enabled {
        return error(200, DISABLED);
    }
    let username = api::text_param(&params, "username");
    let key = api::text_param(&params, "key");
    if username.is_empty() || key.is_empty() {
        return error(401, "Missing username and/or access key.");
    }
    let ip = req.client_ip(&app.config.server.trusted_proxies);
    let hint = secrets::censor(&key);
    let caller = Caller::Mobile(hint.clone());
    let ctx = Ctx {
        app,
        caller: &caller,
        ip: &ip,
    };
    let outcome = if action == "generatesynccode" {
        // Pairs a new device: the password stands in for the sync code it does not have.
        account::generatesynccode(&ctx, &params)
    } else {
        signed_in(&ctx, &params, &username, &key, &action)
    };
    let response = match outcome {
        Ok(Some(body)) => Response::json(200, &body),
        Ok(None) => error(404, "The requested action is not available."),
        Err(failure) => api::failure_response(&format!("mobile {action}"), failure),
    };
    response.logged_as(Some(&format!("mobile/{action}")), Some(hint))
}

/// Checks the sync code, then runs the action; `None` for an unknown action. A wrong code
/// is audited (`MOBILE_BAD_KEY`) and counted per (IP, user).
fn signed_in(
    ctx: &Ctx,
    params: &Params,
    username: &str,
    key: &str,
    action: &str,
) -> Result<Option<Value>, Failure> {
    let check = second_factor::check_sync_code(ctx, username, key)?;
    let note = format!(
        "Username: {}, Key: {}",
        username.to_ascii_lowercase(),
        ctx.caller.audit_label()
    );
    ctx.app.db.write(|tx| {
        check.record(tx)?;
        if !check.valid {
            let uid = check.account.as_ref().map(|a| a.uid);
            authlog::write(tx, LogType::MobileBadKey, uid, ctx.ip, &note)?;
        }
        Ok::<_, rusqlite::Error>(())
    })?;
    let Some(account) = check.account.as_ref().filter(|_| check.valid) else {
        return Ok(Some(
            json!({"status": "ERROR", "msg": "Invalid username and/or access key."}),
        ));
    };
    let Some(entry) = ACTIONS.iter().find(|a| a.name == action) else {
        return Ok(None);
    };
    let call = Call {
        ctx,
        account,
        params,
    };
    (entry.run)(&call).map(Some)
}

/// A JSON error answer with the given HTTP status.
fn error(status: u16, msg: &str) -> Response {
    Response::json(status, &json!({"status": "ERROR", "msg": msg}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(uri: &str) -> bool {
        claims(&Request {
            method: "POST".into(),
            uri: uri.into(),
            ..Request::default()
        })
    }

    #[test]
    fn claims_only_the_mobile_urls() {
        assert!(at("/accounthub/mobile/index.php"));
        assert!(at("/accounthub/mobile/"));
        assert!(at("/mobile/index.php?action=ping"));
        assert!(!at("/accounthub/mobile"));
        assert!(!at("/accounthub/mobile/other.php"));
        assert!(!at("/accounthub/index.php?api"));
        assert!(!at("/accounthub/api/ping/mobile/"));
        assert!(!at("/accounthub/api/"));
    }
}
