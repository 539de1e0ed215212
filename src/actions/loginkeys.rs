//! SSO login keys: `getloginkey` gives an app a key and the URL of the login page,
//! `checkloginkey` tells it which user approved the key there. Keys come from the CSPRNG in
//! a URL-safe alphabet (apps paste them into URLs unencoded), last ten minutes and are
//! taken on the first successful check.

use serde_json::json;

use super::{Action, Arg, Args, Cost, Ctx, KeyType, Kind, Outcome};
use crate::store::loginkeys;
use crate::{clock, secrets};

/// This module's part of the dispatch table.
pub const ACTIONS: &[Action] = &[
    Action {
        name: "getloginkey",
        key_type: KeyType::Auth,
        args: &[
            Arg::Required("appname", Kind::Str),
            Arg::Optional("appicon", Kind::Str),
        ],
        run: getloginkey,
        cost: Cost::Light,
    },
    Action {
        name: "checkloginkey",
        key_type: KeyType::Auth,
        args: &[Arg::Required("code", Kind::Str)],
        run: checkloginkey,
        cost: Cost::Light,
    },
];

/// Seconds a login key stays valid, approved or not.
pub const KEY_LIFETIME_SECS: i64 = 600;

/// Characters of a login key (about 256 bits).
const KEY_LEN: usize = 43;

/// Longest accepted app name, in characters.
pub const APPNAME_MAX: usize = 100;

/// Longest accepted icon URL, in characters (room for a small data: URI).
pub const APPICON_MAX: usize = 8192;

/// Most keys waiting for a sign-in at once: past it `getloginkey` refuses until some
/// expire, so callers cannot grow the table without bound.
const PENDING_MAX: i64 = 10_000;

fn getloginkey(ctx: &Ctx, args: &Args) -> Outcome {
    let appname = args.str("appname").unwrap_or_default();
    let appicon = args.str("appicon").filter(|s| !s.is_empty());
    if appname.chars().count() > APPNAME_MAX {
        return Ok(super::resp_error("appname is too long."));
    }
    if appicon.is_some_and(|icon| icon.chars().count() > APPICON_MAX) {
        return Ok(super::resp_error("appicon is too long."));
    }
    let key = secrets::random_string(secrets::URL_SAFE, KEY_LEN);
    let now = clock::unix_now();
    let stored = ctx.app.db.write(|tx| {
        loginkeys::purge_expired(tx, now)?;
        if loginkeys::pending_count(tx)? >= PENDING_MAX {
            return Ok::<_, rusqlite::Error>(false);
        }
        loginkeys::insert(tx, &key, now + KEY_LIFETIME_SECS, appname, appicon)?;
        Ok(true)
    })?;
    if !stored {
        return Ok(super::resp_error(
            "Too many logins are in progress. Try again in a few minutes.",
        ));
    }
    Ok(json!({"status": "OK", "code": key, "loginurl": login_url(&ctx.app.config.public_url)}))
}

/// The login page under the configured public URL (never built from the Host header).
pub fn login_url(public_url: &str) -> String {
    format!("{}/login/", public_url.trim_end_matches('/'))
}

fn checkloginkey(ctx: &Ctx, args: &Args) -> Outcome {
    let code = args.str("code").unwrap_or_default();
    let now = clock::unix_now();
    let uid = ctx
        .app
        .db
        .write(|tx| loginkeys::take_approved(tx, code, now))?;
    Ok(match uid {
        Some(uid) => json!({"status": "OK", "uid": uid}),
        None => super::resp_error(""),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_page_hangs_off_the_public_url() {
        assert_eq!(
            login_url("https://example.org/accounthub/"),
            "https://example.org/accounthub/login/"
        );
        assert_eq!(login_url("http://h"), "http://h/login/");
    }
}
