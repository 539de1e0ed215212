//! `accounthub manager ...`: the direct manager → employee relation (not transitive).

use clap::Subcommand;

use super::{db_err, live_user};
use crate::app::App;
use crate::store::directory::{self, Side};

/// Manager subcommands.
#[derive(Debug, Subcommand)]
pub enum ManagerCommand {
    /// Make MANAGER a manager of EMPLOYEE.
    Add {
        /// User name or uid of the manager.
        manager: String,
        /// User name or uid of the employee.
        employee: String,
    },
    /// Remove that relation.
    Remove {
        /// User name or uid of the manager.
        manager: String,
        /// User name or uid of the employee.
        employee: String,
    },
    /// List USER's managers and employees as `manager|employee<TAB>uid<TAB>username`.
    List {
        /// User name or uid.
        user: String,
    },
}

/// Runs a manager subcommand.
pub fn run(app: &App, cmd: ManagerCommand) -> Result<i32, String> {
    let (manager, employee, on) = match cmd {
        ManagerCommand::Add { manager, employee } => (manager, employee, true),
        ManagerCommand::Remove { manager, employee } => (manager, employee, false),
        ManagerCommand::List { user } => {
            let account = live_user(app, &user)?;
            for (label, side) in [("manager", Side::Managers), ("employee", Side::Employees)] {
                for (uid, name) in app
                    .db
                    .with(|c| directory::related(c, account.uid, side))
                    .map_err(db_err)?
                {
                    println!("{label}\t{uid}\t{name}");
                }
            }
            return Ok(0);
        }
    };
    let (m, e) = (live_user(app, &manager)?, live_user(app, &employee)?);
    if m.uid == e.uid {
        return Err("a user cannot manage themselves".into());
    }
    let changed = app
        .db
        .with(|c| directory::set_manager(c, m.uid, e.uid, on))
        .map_err(db_err)?;
    let verb = match (on, changed) {
        (true, true) => "now manages",
        (true, false) => "already manages",
        (false, true) => "no longer manages",
        (false, false) => "did not manage",
    };
    println!("{} {verb} {}", m.username, e.username);
    Ok(0)
}
