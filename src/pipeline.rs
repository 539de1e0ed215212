//! The one request path every face takes, in one direction: `routing::route` decides what
//! the request is, `prepare` does the cheap checks of that route once (key, action, key
//! type, arguments) and yields a `Prepared` value that knows its `Cost`, and `run` finishes
//! it. Only the FastCGI face uses the cost (inline or blocking pool); CGI and `call` run
//! every `Prepared` where they are.

use crate::actions::{Caller, Cost};
use crate::api;
use crate::app::App;
use crate::maian;
use crate::mobile;
use crate::request::Request;
use crate::response::Response;
use crate::routing::{self, Params, Route};
use crate::web;

/// A request after `prepare`: either already answered, or a call whose run is left.
pub enum Prepared {
    /// The answer is known (preflight, refusal): nothing left to run.
    Answered(Response),
    /// An AccountHub API call that passed its checks.
    Api(api::Prepared),
    /// A Maian call that passed its key check.
    Maian(maian::Prepared),
    /// A mobile API call that carries a user name and sync code.
    Mobile(mobile::Prepared),
    /// A request for the login page, answered by the web face.
    Login(Request),
}

/// Routes `req` and runs the cheap checks of its route.
pub fn prepare(app: &App, req: &Request) -> Prepared {
    let ip = || req.client_ip(&app.config.server.trusted_proxies);
    let prepared = match routing::route(req, app.config.body_limit) {
        Route::Preflight => return Prepared::Answered(Response::preflight()),
        Route::Refused(e) => return Prepared::Answered(Response::text(e.status(), e.message())),
        Route::Api(params) => api::prepare(app, &params, ip()).map(Prepared::Api),
        Route::Maian(wrapper) => maian::prepare(app, wrapper, ip()).map(Prepared::Maian),
        Route::Mobile(params) => mobile::prepare(app, params, ip()).map(Prepared::Mobile),
        Route::Login => Ok(Prepared::Login(req.clone())),
    };
    prepared.unwrap_or_else(|answer| Prepared::Answered(*answer))
}

/// Prepares an API call from the command line (`accounthub call`), trusted like a FULL key.
pub fn prepare_call(app: &App, params: &Params) -> Prepared {
    api::prepare_for(app, Caller::Admin, params, "127.0.0.1".to_string())
        .map_or_else(|answer| Prepared::Answered(*answer), Prepared::Api)
}

impl Prepared {
    /// What running the rest costs: hashing actions and Maian batches are `Hashing`.
    pub fn cost(&self) -> Cost {
        match self {
            Prepared::Answered(_) => Cost::Light,
            Prepared::Api(call) => call.cost(),
            Prepared::Mobile(call) => call.cost(),
            // The page checks passwords: always where blocking is allowed.
            Prepared::Maian(_) | Prepared::Login(_) => Cost::Hashing,
        }
    }

    /// Runs what is left and returns the answer.
    pub fn run(self, app: &App) -> Response {
        match self {
            Prepared::Answered(response) => response,
            Prepared::Api(call) => call.run(app),
            Prepared::Maian(call) => call.run(app),
            Prepared::Mobile(call) => call.run(app),
            Prepared::Login(req) => web::answer(app, &req),
        }
    }
}

/// Prepares and runs `req` right here (CGI, and anything else that may block).
pub fn answer(app: &App, req: &Request) -> Response {
    prepare(app, req).run(app)
}
