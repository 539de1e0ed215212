//! The API actions, one module per family, with their contract (`contract`: what an action
//! is, receives and returns), their argument rules (`args`) and the dispatch table
//! (`table`). Each family exports `ACTIONS`, its slice of the table.

pub mod args;
pub mod basic;
pub mod codes;
pub mod contract;
pub mod credentials;
pub mod directory;
pub mod loginkeys;
pub mod mail;
pub mod notifications;
pub mod profile;
pub mod second_factor;
pub mod subject;
pub mod table;
pub mod throttle;

pub use contract::{Action, Arg, Args, Caller, Cost, Ctx, Failure, KeyType, Kind, Outcome};

use serde_json::{Value, json};

/// The original's message for a missing or deleted account (reference §16).
pub const USER_MISSING: &str = "User does not exist.";

/// An ERROR answer in the original's "raw" key order (`status` first), as the actions that
/// built their arrays by hand sent it.
pub fn raw_error(msg: &str) -> Value {
    json!({"status": "ERROR", "msg": msg})
}

/// An ERROR answer in the order of the original's `sendJsonResp` helper (`msg` first).
pub fn resp_error(msg: &str) -> Value {
    json!({"msg": msg, "status": "ERROR"})
}
