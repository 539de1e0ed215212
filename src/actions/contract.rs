//! The contract between the API pipeline and an action: its table entry (name, least key
//! type, argument rules, cost, handler), what it receives besides its arguments, and how
//! it can fail. Every action family implements it; nothing here knows about HTTP.

use serde_json::Value;

pub use super::args::{Arg, Args, Kind};
use crate::app::App;
pub use crate::store::apikeys::KeyType;
use crate::store::apikeys::StoredKey;

/// How expensive an action is, which decides where the FastCGI responder runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// Microseconds of SQLite work: run inline on the async worker.
    Light,
    /// Password or PIN hashing (tens of milliseconds): run on the bounded blocking pool.
    Hashing,
}

/// An action's entry in the dispatch table.
pub struct Action {
    /// Name as clients send it (case-sensitive).
    pub name: &'static str,
    /// Least key type allowed to call it.
    pub key_type: KeyType,
    /// Declared arguments, checked before the handler runs.
    pub args: &'static [Arg],
    /// The handler.
    pub run: fn(&Ctx, &Args) -> Outcome,
    /// Where the responder runs it.
    pub cost: Cost,
}

/// Who is calling: a web client with an API key, or a sysadmin through `accounthub call`.
#[derive(Debug, Clone)]
pub enum Caller {
    /// An authenticated API key.
    Key(StoredKey),
    /// The local `call` face: trusted like a FULL key.
    Admin,
    /// The mobile API, acting for the one user whose sync code it checked; holds the
    /// censored sync code for audit rows.
    Mobile(String),
}

impl Caller {
    /// The censored key for the request log; none for the local `call` face.
    pub fn key_hint(&self) -> Option<String> {
        match self {
            Caller::Key(key) => Some(key.censored.clone()),
            Caller::Admin => None,
            Caller::Mobile(code) => Some(code.clone()),
        }
    }

    /// The censored key (or `admin`) for audit rows.
    pub fn audit_label(&self) -> &str {
        match self {
            Caller::Key(key) => &key.censored,
            Caller::Admin => "admin-cli",
            Caller::Mobile(code) => code,
        }
    }
}

/// Per-call context handed to every action.
pub struct Ctx<'a> {
    /// Configuration, database and hashing gate.
    pub app: &'a App,
    /// Who is calling.
    pub caller: &'a Caller,
    /// Client IP for audit rows and rate limits.
    pub ip: &'a str,
}

impl Ctx<'_> {
    /// The audit-log note of a credential check: who was checked and by which key, in the
    /// one format every credential action writes.
    pub fn audit_note(&self, username: &str) -> String {
        crate::store::authlog::credential_note(username, self.caller.audit_label())
    }
}

/// Why an action could not produce its JSON answer.
#[derive(Debug)]
pub enum Failure {
    /// Rate-limited: answered 429 with Retry-After.
    TooFast {
        /// Seconds until the limit lifts.
        retry_after: u64,
    },
    /// The database failed: answered 503 and logged.
    Store(rusqlite::Error),
    /// Another server-side failure: answered 503 and logged.
    Internal(String),
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Failure {
        Failure::Store(e)
    }
}

/// An action's result: the complete JSON object (status included) on success.
pub type Outcome = Result<Value, Failure>;
