//! `accounthub perm ...`: permission codes and grants, which ManagePanel used to edit.

use clap::Subcommand;

use super::{db_err, live_user};
use crate::app::App;
use crate::store::directory::{self, Permission};

/// Permission subcommands.
#[derive(Debug, Subcommand)]
pub enum PermCommand {
    /// Create a permission code (ADMIN already exists and grants every code).
    Add {
        /// Code apps ask for, e.g. QWIKCLOCK_MANAGE (case-insensitive).
        code: String,
        /// Description.
        #[arg(long, default_value = "")]
        info: String,
    },
    /// Grant a code to a user.
    Grant {
        /// User name or uid.
        user: String,
        /// Permission code.
        code: String,
    },
    /// Revoke a code from a user.
    Revoke {
        /// User name or uid.
        user: String,
        /// Permission code.
        code: String,
    },
    /// List codes as `code<TAB>description`: all, or those granted to USER.
    List {
        /// User name or uid.
        user: Option<String>,
    },
}

fn permission(app: &App, code: &str) -> Result<Permission, String> {
    app.db
        .with(|c| directory::permission_by_code(c, code))
        .map_err(db_err)?
        .ok_or_else(|| format!("no permission code {code:?} (create it with `perm add`)"))
}

/// Runs a permission subcommand.
pub fn run(app: &App, cmd: PermCommand) -> Result<i32, String> {
    match cmd {
        PermCommand::Add { code, info } => {
            let code = code.trim().to_ascii_uppercase();
            if code.is_empty() {
                return Err("permission code must not be empty".into());
            }
            if permission(app, &code).is_ok() {
                return Err(format!("permission code {code:?} already exists"));
            }
            let id = app
                .db
                .with(|c| directory::add_permission(c, &code, &info))
                .map_err(db_err)?;
            println!("created permission {code} (id {id})");
        }
        PermCommand::Grant { user, code } => grant(app, &user, &code, true)?,
        PermCommand::Revoke { user, code } => grant(app, &user, &code, false)?,
        PermCommand::List { user } => {
            let uid = match user {
                Some(u) => Some(live_user(app, &u)?.uid),
                None => None,
            };
            for p in app
                .db
                .with(|c| directory::permissions(c, uid))
                .map_err(db_err)?
            {
                println!("{}\t{}", p.code, p.info);
            }
        }
    }
    Ok(0)
}

fn grant(app: &App, user: &str, code: &str, granted: bool) -> Result<(), String> {
    let account = live_user(app, user)?;
    let perm = permission(app, code)?;
    let changed = app
        .db
        .with(|c| directory::set_granted(c, account.uid, perm.id, granted))
        .map_err(db_err)?;
    let verb = match (granted, changed) {
        (true, true) => "granted to",
        (true, false) => "was already granted to",
        (false, true) => "revoked from",
        (false, false) => "was not granted to",
    };
    println!("{} {verb} {}", perm.code, account.username);
    Ok(())
}
