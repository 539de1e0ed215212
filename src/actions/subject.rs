//! Resolving the account an action is about from its `username`/`uid` OR-group.
//! The original prefers one member when both are given, per action (reference §3).

use rusqlite::Connection;

use super::Args;
use crate::store::Result;
use crate::store::accounts::{self, Account};

/// Which member of the OR-group wins when both are present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefer {
    /// userinfo, checkpin, the notification actions.
    Username,
    /// userexists, getmanaged, getmanagers, permission, getgroupsbyuser.
    Uid,
}

/// The live (not deleted) account named by the arguments, if any.
pub fn find(conn: &Connection, args: &Args, prefer: Prefer) -> Result<Option<Account>> {
    match (prefer, args.str("username"), args.id("uid")) {
        (Prefer::Username, Some(name), _) | (Prefer::Uid, Some(name), None) => {
            accounts::by_username(conn, name)
        }
        (_, _, Some(uid)) => accounts::by_uid(conn, uid),
        (_, None, None) => Ok(None),
    }
}
