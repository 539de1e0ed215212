//! What an action receives besides its arguments, and how it can fail.

use serde_json::Value;

use crate::app::App;
use crate::store::apikeys::StoredKey;

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
