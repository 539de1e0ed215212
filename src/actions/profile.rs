//! Read-only account facts: `userinfo`, `userexists`, `hastotp`, `acctstatus`. Deleted
//! accounts do not exist for any of them.

use serde_json::json;

use super::credentials::LOGIN_INCORRECT;
use super::subject::{self, Prefer};
use super::{Action, Arg, Args, Cost, Ctx, KeyType, Kind, Outcome};
use crate::store::accounts;

const USERNAME_OR_UID: Arg = Arg::AnyOf(&[("username", Kind::Str), ("uid", Kind::Id)]);
const USERNAME: &[Arg] = &[Arg::Required("username", Kind::Str)];

/// This module's part of the dispatch table.
pub const ACTIONS: &[Action] = &[
    Action {
        name: "userinfo",
        key_type: KeyType::Read,
        args: &[USERNAME_OR_UID],
        run: userinfo,
        cost: Cost::Light,
    },
    Action {
        name: "userexists",
        key_type: KeyType::Auth,
        args: &[USERNAME_OR_UID],
        run: userexists,
        cost: Cost::Light,
    },
    Action {
        name: "hastotp",
        key_type: KeyType::Auth,
        args: USERNAME,
        run: hastotp,
        cost: Cost::Light,
    },
    Action {
        name: "acctstatus",
        key_type: KeyType::Auth,
        args: USERNAME,
        run: acctstatus,
        cost: Cost::Light,
    },
];

fn userinfo(ctx: &Ctx, args: &Args) -> Outcome {
    let Some(a) = ctx
        .app
        .db
        .with(|c| subject::find(c, args, Prefer::Username))?
    else {
        return Ok(json!({"msg": LOGIN_INCORRECT, "status": "ERROR"}));
    };
    Ok(json!({
        "data": {
            "uid": a.uid.to_string(),
            "username": a.username,
            "name": a.realname,
            "email": a.email,
            "phone": {"1": a.phone1, "2": a.phone2},
            "pin": a.has_pin(),
        },
        "status": "OK",
    }))
}

fn userexists(ctx: &Ctx, args: &Args) -> Outcome {
    let found = ctx.app.db.with(|c| subject::find(c, args, Prefer::Uid))?;
    Ok(json!({"exists": found.is_some(), "status": "OK"}))
}

fn by_username(ctx: &Ctx, args: &Args) -> Result<Option<accounts::Account>, rusqlite::Error> {
    let name = args.str("username").unwrap_or_default();
    ctx.app.db.with(|c| accounts::by_username(c, name))
}

fn hastotp(ctx: &Ctx, args: &Args) -> Outcome {
    let otp = by_username(ctx, args)?.is_some_and(|a| a.has_totp());
    Ok(json!({"otp": otp, "status": "OK"}))
}

fn acctstatus(ctx: &Ctx, args: &Args) -> Outcome {
    let status = by_username(ctx, args)?.map_or(0, |a| a.acctstatus);
    Ok(json!({"account": accounts::status_name(status), "status": "OK"}))
}
