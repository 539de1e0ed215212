//! `alertemail` (FULL keys): queue the login alert for any user name, known or not,
//! as the original did.

use serde_json::json;

use super::throttle::{Guard, Secret};
use super::{Action, Arg, Args, Cost, Ctx, Failure, KeyType, Kind, Outcome};
use crate::mail::alert::{self, AlertError};
use crate::store::accounts;

/// This module's part of the dispatch table.
pub const ACTIONS: &[Action] = &[Action {
    name: "alertemail",
    key_type: KeyType::Full,
    args: &[
        Arg::Required("username", Kind::Str),
        Arg::Optional("appname", Kind::Str),
    ],
    run: alertemail,
    cost: Cost::Light,
}];

/// Appname shown when the caller gives none, as the original.
const UNKNOWN_APP: &str = "???";

/// How one call ended inside its transaction.
enum Verdict {
    Queued,
    Refused(&'static str),
}

fn alertemail(ctx: &Ctx, args: &Args) -> Outcome {
    let input = args.str("username").unwrap_or_default().to_lowercase();
    let appname = args.str("appname").unwrap_or(UNKNOWN_APP);
    let guard = Guard::new(ctx, Secret::AlertMail, &input);
    let verdict = ctx.app.db.write(|tx| -> Result<Verdict, Failure> {
        guard.reserve_in(tx)?;
        let username = accounts::by_username(tx, &input)?.map_or(input.clone(), |a| a.username);
        match alert::queue_alert(tx, ctx.app, &username, appname, ctx.ip) {
            Ok(_) => Ok(Verdict::Queued),
            Err(AlertError::Unusable(reason)) => Ok(Verdict::Refused(reason)),
            Err(AlertError::Store(e)) => Err(Failure::Store(e)),
        }
    })?;
    match verdict {
        Verdict::Queued => Ok(json!({"status": "OK"})),
        Verdict::Refused(reason) => Ok(super::resp_error(reason)),
    }
}
