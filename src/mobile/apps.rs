//! The mobile API's app actions: `listapps` (the API's list, URLs made absolute from the
//! configured public URL) and `gencode`, the one-time code the Station kiosk takes.

use serde_json::json;

use super::Call;
use crate::actions::codes;
use crate::actions::credentials::may_log_in;
use crate::actions::{Failure, Outcome};

/// The configured apps: the API's `listapps`.
pub fn listapps(call: &Call) -> Outcome {
    call.api("listapps")
}

/// A one-time login code for the signed-in user, `{"status":"OK","code":123456}` (a JSON
/// number, as the app shows it). Only accounts that may log in get one.
pub fn gencode(call: &Call) -> Outcome {
    if !may_log_in(call.account.acctstatus) {
        return Ok(json!({"status": "ERROR", "msg": super::account::ACCOUNT_PROBLEM}));
    }
    match codes::issue(call.ctx, call.account.uid)? {
        Some(code) => Ok(json!({"status": "OK", "code": code})),
        None => Err(Failure::Internal(
            "no free one-time code after many draws".into(),
        )),
    }
}
