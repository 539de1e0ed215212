//! Directory actions: managers, permissions, groups and the two
//! searches. All read-only, READ keys. Deleted accounts are invisible: no answer names them; ids
//! are DB strings on the wire, as the original sent them.

use serde_json::{Value, json};

use super::subject::{self, Prefer};
use super::{Action, Arg, Args, Cost, Ctx, KeyType, Kind, Outcome};
use super::{USER_MISSING, raw_error, resp_error};
use crate::store::accounts::{self, Account};
use crate::store::directory::{self, Group, Side};
use crate::store::search;

/// `username` or `uid`; a 400 names `uid`.
const USERNAME_OR_UID: Arg = Arg::AnyOf(&[("username", Kind::Str), ("uid", Kind::Id)]);

/// This module's part of the dispatch table.
pub const ACTIONS: &[Action] = &[
    Action {
        name: "ismanagerof",
        key_type: KeyType::Read,
        args: &[
            Arg::Required("manager", Kind::Str),
            Arg::Required("employee", Kind::Str),
            Arg::Optional("uid", Kind::Id),
        ],
        run: ismanagerof,
        cost: Cost::Light,
    },
    Action {
        name: "getmanaged",
        key_type: KeyType::Read,
        args: &[USERNAME_OR_UID, Arg::Optional("get", Kind::Str)],
        run: getmanaged,
        cost: Cost::Light,
    },
    Action {
        name: "getmanagers",
        key_type: KeyType::Read,
        args: &[USERNAME_OR_UID],
        run: getmanagers,
        cost: Cost::Light,
    },
    Action {
        name: "permission",
        key_type: KeyType::Read,
        args: &[USERNAME_OR_UID, Arg::Required("code", Kind::Str)],
        run: permission,
        cost: Cost::Light,
    },
    Action {
        name: "usersearch",
        key_type: KeyType::Read,
        args: &[Arg::Optional("search", Kind::Str)],
        run: usersearch,
        cost: Cost::Light,
    },
    Action {
        name: "getgroups",
        key_type: KeyType::Read,
        args: &[],
        run: getgroups,
        cost: Cost::Light,
    },
    Action {
        name: "groupsearch",
        key_type: KeyType::Read,
        args: &[Arg::Required("search", Kind::Str)],
        run: groupsearch,
        cost: Cost::Light,
    },
    Action {
        name: "getgroupsbyuser",
        key_type: KeyType::Read,
        args: &[Arg::AnyOf(&[("uid", Kind::Id), ("username", Kind::Str)])],
        run: getgroupsbyuser,
        cost: Cost::Light,
    },
    Action {
        name: "getusersbygroup",
        key_type: KeyType::Read,
        args: &[
            Arg::Required("gid", Kind::Id),
            Arg::Optional("get", Kind::Str),
        ],
        run: getusersbygroup,
        cost: Cost::Light,
    },
];

/// Shortest usersearch fragment, in characters (the trigram size of the index).
const USER_SEARCH_MIN: usize = 3;

/// Shortest groupsearch fragment, in characters.
const GROUP_SEARCH_MIN: usize = 2;

/// Longest search fragment, in characters. A longer one finds nothing without being
/// looked up: a megabyte fragment would otherwise cost a third of a second of CPU in the
/// trigram index, and clients expect OK with a list, not an error.
pub const SEARCH_MAX: usize = 255;

/// The fragment, if its length is worth a lookup; `None` (answered OK with `[]`) for
/// empty, too short or too long fragments.
fn fragment(args: &Args, min: usize) -> Option<&str> {
    let fragment = args.str("search")?;
    let len = fragment.chars().take(SEARCH_MAX + 1).count();
    (min..=SEARCH_MAX).contains(&len).then_some(fragment)
}

fn ismanagerof(ctx: &Ctx, args: &Args) -> Outcome {
    let by_uid = args.id("uid") == Some(1);
    let lookup = |input: &str| -> crate::store::Result<Option<Account>> {
        ctx.app.db.with(|conn| {
            if by_uid {
                match input.trim().parse::<i64>() {
                    Ok(uid) => accounts::by_uid(conn, uid),
                    Err(_) => Ok(None),
                }
            } else {
                accounts::by_username(conn, input)
            }
        })
    };
    let mut found = Vec::with_capacity(2);
    for input in [args.str("manager"), args.str("employee")]
        .into_iter()
        .flatten()
    {
        match lookup(input)? {
            Some(account) => found.push(account.uid),
            None => {
                return Ok(json!({"status": "ERROR", "msg": USER_MISSING, "user": input}));
            }
        }
    }
    let managerof = ctx
        .app
        .db
        .with(|conn| directory::is_manager(conn, found[0], found[1]))?;
    Ok(json!({"status": "OK", "managerof": managerof}))
}

/// Runs `f` on the live account the arguments name, or answers the raw "no such user" error.
fn with_user(
    ctx: &Ctx,
    args: &Args,
    prefer: Prefer,
    missing: fn(&str) -> Value,
    f: impl FnOnce(&rusqlite::Connection, &Account) -> crate::store::Result<Value>,
) -> Outcome {
    Ok(ctx
        .app
        .db
        .with(|conn| match subject::find(conn, args, prefer)? {
            Some(account) => f(conn, &account),
            None => Ok(missing(USER_MISSING)),
        })?)
}

fn getmanaged(ctx: &Ctx, args: &Args) -> Outcome {
    let usernames = args.str("get") == Some("username");
    with_user(ctx, args, Prefer::Uid, raw_error, |conn, user| {
        let employees: Vec<String> = directory::related(conn, user.uid, Side::Employees)?
            .into_iter()
            .map(|(uid, name)| if usernames { name } else { uid.to_string() })
            .collect();
        Ok(json!({"status": "OK", "employees": employees}))
    })
}

fn getmanagers(ctx: &Ctx, args: &Args) -> Outcome {
    with_user(ctx, args, Prefer::Uid, raw_error, |conn, user| {
        let managers: Vec<String> = directory::related(conn, user.uid, Side::Managers)?
            .into_iter()
            .map(|(uid, _)| uid.to_string())
            .collect();
        Ok(json!({"status": "OK", "managers": managers}))
    })
}

fn permission(ctx: &Ctx, args: &Args) -> Outcome {
    let code = args.str("code").unwrap_or_default();
    with_user(ctx, args, Prefer::Uid, raw_error, |conn, user| {
        let has = directory::has_permission(conn, user.uid, code)?;
        Ok(json!({"status": "OK", "has_permission": has}))
    })
}

fn usersearch(ctx: &Ctx, args: &Args) -> Outcome {
    let found = match fragment(args, USER_SEARCH_MIN) {
        Some(fragment) => ctx.app.db.with(|conn| search::users(conn, fragment))?,
        None => Vec::new(),
    };
    let result: Vec<Value> = found
        .into_iter()
        .map(|f| json!({"uid": f.uid.to_string(), "username": f.username, "name": f.realname}))
        .collect();
    Ok(json!({"status": "OK", "result": result}))
}

fn groups_json(groups: Vec<Group>) -> Vec<Value> {
    groups
        .into_iter()
        .map(|g| json!({"id": g.id.to_string(), "name": g.name}))
        .collect()
}

fn getgroups(ctx: &Ctx, _: &Args) -> Outcome {
    let groups = ctx.app.db.with(directory::groups)?;
    Ok(json!({"status": "OK", "groups": groups_json(groups)}))
}

fn groupsearch(ctx: &Ctx, args: &Args) -> Outcome {
    let groups = match fragment(args, GROUP_SEARCH_MIN) {
        Some(fragment) => ctx.app.db.with(|conn| search::groups(conn, fragment))?,
        None => Vec::new(),
    };
    Ok(json!({"status": "OK", "result": groups_json(groups)}))
}

fn getgroupsbyuser(ctx: &Ctx, args: &Args) -> Outcome {
    with_user(ctx, args, Prefer::Uid, resp_error, |conn, user| {
        let groups = directory::groups_of(conn, user.uid)?;
        Ok(json!({"status": "OK", "groups": groups_json(groups)}))
    })
}

fn getusersbygroup(ctx: &Ctx, args: &Args) -> Outcome {
    let gid = args.id("gid").unwrap_or_default();
    let members = ctx.app.db.with(|conn| {
        Ok(match directory::group_by_id(conn, gid)? {
            Some(_) => Some(directory::members(conn, gid)?),
            None => None,
        })
    })?;
    let Some(mut members) = members else {
        return Ok(resp_error("Group does not exist."));
    };
    let users: Vec<Value> = match args.str("get") {
        Some("username") => {
            members.sort_by(|a, b| a.username.cmp(&b.username));
            members.into_iter().map(|m| json!(m.username)).collect()
        }
        Some("detail") => {
            members.sort_by(|a, b| a.realname.cmp(&b.realname).then(a.uid.cmp(&b.uid)));
            members
                .into_iter()
                .map(|m| {
                    json!({"username": m.username, "name": m.realname,
                           "uid": m.uid.to_string(), "pin": m.pin})
                })
                .collect()
        }
        _ => members
            .into_iter()
            .map(|m| json!(m.uid.to_string()))
            .collect(),
    };
    Ok(json!({"status": "OK", "users": users}))
}
