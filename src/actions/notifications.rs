//! Notification actions (reference §4, §7): list, mark read, add, delete. Each is scoped
//! to the user the request names; a notification of another user answers
//! `Invalid request parameters.` Times are stored UTC and shown in the configured zone.

use serde_json::{Value, json};

use super::subject::{self, Prefer};
use super::{Action, Arg, Args, Cost, Ctx, Failure, KeyType, Kind, Outcome};
use super::{USER_MISSING, resp_error};
use crate::clock;
use crate::store::notifications::{self, Notification};

/// `uid` or `username`; a 400 names `username`.
const UID_OR_USERNAME: Arg = Arg::AnyOf(&[("uid", Kind::Id), ("username", Kind::Str)]);

/// The original's message for an id that is not the user's.
const INVALID: &str = "Invalid request parameters.";

/// Longest title, content or url, in characters (the original's VARCHAR(255)/TINYTEXT,
/// which it truncated silently).
pub const MAX_CHARS: usize = 255;

/// This module's part of the dispatch table.
pub const ACTIONS: &[Action] = &[
    Action {
        name: "getnotifications",
        key_type: KeyType::Read,
        args: &[UID_OR_USERNAME],
        run: getnotifications,
        cost: Cost::Light,
    },
    Action {
        name: "readnotification",
        key_type: KeyType::Full,
        args: &[UID_OR_USERNAME, Arg::Required("id", Kind::Id)],
        run: readnotification,
        cost: Cost::Light,
    },
    Action {
        name: "addnotification",
        key_type: KeyType::Full,
        args: &[
            UID_OR_USERNAME,
            Arg::Required("title", Kind::Str),
            Arg::Required("content", Kind::Str),
            Arg::Optional("timestamp", Kind::Time),
            Arg::Optional("url", Kind::Str),
            Arg::Optional("sensitive", Kind::Bool),
        ],
        run: addnotification,
        cost: Cost::Light,
    },
    Action {
        name: "deletenotification",
        key_type: KeyType::Full,
        args: &[UID_OR_USERNAME, Arg::Required("id", Kind::Id)],
        run: deletenotification,
        cost: Cost::Light,
    },
];

fn getnotifications(ctx: &Ctx, args: &Args) -> Outcome {
    listing(ctx, args, false)
}

/// The named user's unread notifications only, newest first (the mobile app's
/// `checknotifications`), in the shape of `getnotifications`.
pub fn unread(ctx: &Ctx, args: &Args) -> Outcome {
    listing(ctx, args, true)
}

fn listing(ctx: &Ctx, args: &Args, unread_only: bool) -> Outcome {
    let list = ctx.app.db.with(|conn| {
        Ok(match subject::find(conn, args, Prefer::Username)? {
            Some(user) => Some(notifications::list(conn, user.uid)?),
            None => None,
        })
    })?;
    let Some(list) = list else {
        return Ok(resp_error(USER_MISSING));
    };
    let shown: Vec<Value> = list
        .into_iter()
        .filter(|n| !(unread_only && n.seen))
        .map(|n| {
            json!({
                "id": n.id,
                "timestamp": clock::utc_text_to_local(&n.timestamp, ctx.app.tz),
                "title": n.title,
                "content": n.content,
                "url": n.url,
                "seen": n.seen,
                "sensitive": n.sensitive,
            })
        })
        .collect();
    Ok(json!({"status": "OK", "notifications": shown}))
}

/// Applies `change` (mark seen or delete) to one of the named user's notifications.
fn change_one(
    ctx: &Ctx,
    args: &Args,
    change: fn(&rusqlite::Connection, i64, i64) -> crate::store::Result<bool>,
) -> Outcome {
    let id = args.id("id").unwrap_or_default();
    let outcome = ctx
        .app
        .db
        .write(|tx| match subject::find(tx, args, Prefer::Username)? {
            Some(user) => Ok::<_, Failure>(Some(change(tx, user.uid, id)?)),
            None => Ok(None),
        })?;
    Ok(match outcome {
        Some(true) => json!({"status": "OK"}),
        Some(false) => resp_error(INVALID),
        None => resp_error(USER_MISSING),
    })
}

fn readnotification(ctx: &Ctx, args: &Args) -> Outcome {
    change_one(ctx, args, notifications::mark_seen)
}

fn deletenotification(ctx: &Ctx, args: &Args) -> Outcome {
    change_one(ctx, args, notifications::delete)
}

fn addnotification(ctx: &Ctx, args: &Args) -> Outcome {
    let text = |name| args.str(name).unwrap_or_default().to_string();
    let (title, content, url) = (text("title"), text("content"), text("url"));
    for (name, value) in [("title", &title), ("content", &content), ("url", &url)] {
        if value.chars().count() > MAX_CHARS {
            return Ok(resp_error(&format!(
                "{name} is longer than {MAX_CHARS} characters."
            )));
        }
    }
    let timestamp = match args.str("timestamp") {
        None => clock::utc_now_text(),
        Some(local) => match clock::local_text_to_utc(local, ctx.app.tz) {
            Some(utc) => utc,
            None => {
                return Ok(resp_error(
                    "timestamp does not exist in the configured timezone.",
                ));
            }
        },
    };
    let new = Notification {
        id: 0,
        timestamp,
        title,
        content,
        url,
        seen: false,
        sensitive: args.bool("sensitive").unwrap_or(false),
    };
    let id = ctx
        .app
        .db
        .write(|tx| match subject::find(tx, args, Prefer::Username)? {
            Some(user) => Ok::<_, Failure>(Some(notifications::insert(tx, user.uid, &new)?)),
            None => Ok(None),
        })?;
    Ok(match id {
        Some(id) => json!({"status": "OK", "id": id}),
        None => resp_error(USER_MISSING),
    })
}
