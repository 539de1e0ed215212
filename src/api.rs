//! The AccountHub API over routed parameters, in two stages. `prepare` does the cheap
//! checks once — key, action lookup, key type, arguments — and yields a `Prepared` call that
//! knows its `Cost`; `run` executes the action. The face decides where `run` goes.

use crate::actions::args::text_param;
use crate::actions::table;
use crate::actions::{Action, Args, Caller, Cost, Ctx, Failure, args};
use crate::app::App;
use crate::keyauth::{self, KeyRefusal};
use crate::response::Response;
use crate::routing::Params;
use crate::secrets;

/// A call that passed every check: running it is all that is left.
pub struct Prepared {
    action: &'static Action,
    caller: Caller,
    args: Args,
    ip: String,
}

/// Authenticates the key named by `params` and prepares the call for that key.
/// `Err` is the finished answer (a refusal), ready to send.
pub fn prepare(app: &App, params: &Params, ip: String) -> Result<Prepared, Box<Response>> {
    let presented = text_param(params, "key");
    let key = keyauth::authenticate(app, &presented, &ip).map_err(|refusal| {
        Box::new(refused(refusal).logged_as(None, Some(secrets::censor(&presented))))
    })?;
    prepare_for(app, Caller::Key(key), params, ip)
}

/// Prepares the call named by `params` for an already authenticated caller (the `call`
/// face passes `Caller::Admin`): action lookup, key type, arguments.
pub fn prepare_for(
    app: &App,
    caller: Caller,
    params: &Params,
    ip: String,
) -> Result<Prepared, Box<Response>> {
    let name = text_param(params, "action");
    let logged = |response: Response| {
        let shown = Some(name.as_str()).filter(|a| !a.is_empty());
        Box::new(response.logged_as(shown, caller.key_hint()))
    };
    if name.is_empty() {
        return Err(logged(Response::text(404, "404 No action specified")));
    }
    let Some(action) = table::find(&name) else {
        return Err(logged(Response::text(404, "404 Action not defined")));
    };
    if let Caller::Key(key) = &caller
        && !keyauth::permits(app, key, action.key_type, action.name, &ip)
    {
        return Err(logged(Response::text(403, "403 Unauthorized")));
    }
    let args = match args::check(action.args, params) {
        Ok(args) => args,
        Err(var) => {
            return Err(logged(Response::text(
                400,
                &format!("400 Bad request: variable {var} is missing or invalid"),
            )));
        }
    };
    Ok(Prepared {
        action,
        caller,
        args,
        ip,
    })
}

impl Prepared {
    /// How expensive running this call is (where the FastCGI face runs it).
    pub fn cost(&self) -> Cost {
        self.action.cost
    }

    /// Runs the action and turns its outcome into the answer.
    pub fn run(self, app: &App) -> Response {
        let name = self.action.name;
        let ctx = Ctx {
            app,
            caller: &self.caller,
            ip: &self.ip,
        };
        let response = match (self.action.run)(&ctx, &self.args) {
            Ok(body) => Response::json(200, &body),
            Err(failure) => failure_response(&format!("action {name}"), failure),
        };
        response.logged_as(Some(name), self.caller.key_hint())
    }
}

/// The answer when an action could not run: 429 with Retry-After when throttled, else 503
/// with the cause logged under `what`.
pub(crate) fn failure_response(what: &str, failure: Failure) -> Response {
    match failure {
        Failure::TooFast { retry_after } => Response::too_fast(retry_after),
        Failure::Store(e) => {
            crate::log::error(&format!("{what}: database error: {e}"));
            Response::unavailable()
        }
        Failure::Internal(msg) => {
            crate::log::error(&format!("{what}: {msg}"));
            Response::unavailable()
        }
    }
}

/// The AccountHub API's answer to a refused key: 403 text, 429 JSON or 503 JSON.
fn refused(refusal: KeyRefusal) -> Response {
    match refusal {
        KeyRefusal::Unknown => Response::text(403, "403 Unauthorized"),
        KeyRefusal::TooFast(wait) => Response::too_fast(wait),
        KeyRefusal::Unavailable => Response::unavailable(),
    }
}
