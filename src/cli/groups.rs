//! `accounthub group ...`: groups and memberships, which ManagePanel used to edit.

use clap::Subcommand;

use super::{db_err, live_user};
use crate::app::App;
use crate::store::directory::{self, Group};

/// Group subcommands.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group.
    Add {
        /// Group name (unique, case-insensitive).
        name: String,
    },
    /// Delete a group and its memberships.
    Remove {
        /// Group name.
        name: String,
    },
    /// Put a user into a group.
    Assign {
        /// Group name.
        group: String,
        /// User name or uid.
        user: String,
    },
    /// Take a user out of a group.
    Unassign {
        /// Group name.
        group: String,
        /// User name or uid.
        user: String,
    },
    /// List groups as `id<TAB>name`.
    List,
    /// List a group's live members as `uid<TAB>username<TAB>real name`.
    Members {
        /// Group name.
        group: String,
    },
}

fn group(app: &App, name: &str) -> Result<Group, String> {
    app.db
        .with(|c| directory::group_by_name(c, name))
        .map_err(db_err)?
        .ok_or_else(|| format!("no group named {name:?}"))
}

/// Runs a group subcommand.
pub fn run(app: &App, cmd: GroupCommand) -> Result<i32, String> {
    match cmd {
        GroupCommand::Add { name } => {
            let name = name.trim();
            if name.is_empty() {
                return Err("group name must not be empty".into());
            }
            if app
                .db
                .with(|c| directory::group_by_name(c, name))
                .map_err(db_err)?
                .is_some()
            {
                return Err(format!("group {name:?} already exists"));
            }
            let id = app
                .db
                .with(|c| directory::add_group(c, name))
                .map_err(db_err)?;
            println!("created group {name} (id {id})");
        }
        GroupCommand::Remove { name } => {
            let g = group(app, &name)?;
            app.db
                .with(|c| directory::remove_group(c, g.id))
                .map_err(db_err)?;
            println!("removed group {}", g.name);
        }
        GroupCommand::Assign { group: g, user } => return membership(app, &g, &user, true),
        GroupCommand::Unassign { group: g, user } => return membership(app, &g, &user, false),
        GroupCommand::List => {
            for g in app.db.with(directory::groups).map_err(db_err)? {
                println!("{}\t{}", g.id, g.name);
            }
        }
        GroupCommand::Members { group: name } => {
            let g = group(app, &name)?;
            for m in app
                .db
                .with(|c| directory::members(c, g.id))
                .map_err(db_err)?
            {
                println!("{}\t{}\t{}", m.uid, m.username, m.realname);
            }
        }
    }
    Ok(0)
}

fn membership(app: &App, group_name: &str, user: &str, member: bool) -> Result<i32, String> {
    let g = group(app, group_name)?;
    let account = live_user(app, user)?;
    let changed = app
        .db
        .with(|c| directory::set_member(c, g.id, account.uid, member))
        .map_err(db_err)?;
    let verb = match (member, changed) {
        (true, true) => "added to",
        (true, false) => "was already in",
        (false, true) => "removed from",
        (false, false) => "was not in",
    };
    println!("{} {verb} {}", account.username, g.name);
    Ok(0)
}
