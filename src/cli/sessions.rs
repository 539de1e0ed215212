//! `accounthub session list|revoke`: a user's browser sessions of the login page and the
//! login keys approved for them that their apps have not taken yet, so a sysadmin can end
//! them (a stolen laptop, a departing employee).

use clap::Subcommand;

use crate::app::App;
use crate::clock;
use crate::store::{loginkeys, sessions};

use super::{db_err, live_user};

/// Session subcommands.
#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// List a user's active sessions and approved login keys, tab-separated:
    /// `session ID CREATED EXPIRES IP STATE` and `loginkey ID APPNAME EXPIRES` (UTC).
    List {
        /// User name or uid.
        user: String,
    },
    /// End one session (by the id `session list` shows), one login key (--key ID) or all
    /// of them (--all).
    Revoke {
        /// User name or uid.
        user: String,
        /// Session id.
        #[arg(required_unless_present_any = ["key", "all"], conflicts_with_all = ["key", "all"])]
        id: Option<i64>,
        /// Revoke the login key with this id instead.
        #[arg(long, value_name = "ID", conflicts_with = "all")]
        key: Option<i64>,
        /// Revoke every session and login key of the user.
        #[arg(long)]
        all: bool,
    },
}

/// Runs a session subcommand.
pub fn run(app: &App, cmd: SessionCommand) -> Result<i32, String> {
    let now = clock::unix_now();
    match cmd {
        SessionCommand::List { user } => {
            let account = live_user(app, &user)?;
            let (open, keys) = app
                .db
                .with(|c| {
                    Ok::<_, rusqlite::Error>((
                        sessions::list_for_user(c, account.uid, now)?,
                        loginkeys::approved_for_user(c, account.uid, now)?,
                    ))
                })
                .map_err(db_err)?;
            for s in open {
                let state = match s.pending {
                    None => "signed-in",
                    Some(sessions::Pending::Totp) => "awaiting-totp",
                    Some(sessions::Pending::NewPassword) => "awaiting-new-password",
                };
                println!(
                    "session\t{}\t{}\t{}\t{}\t{state}",
                    s.id,
                    clock::utc_text(s.created),
                    clock::utc_text(s.expires),
                    s.ip
                );
            }
            for k in keys {
                println!("loginkey\t{}\t{}\t{}", k.id, k.appname, k.expires);
            }
            Ok(0)
        }
        SessionCommand::Revoke { user, id, key, all } => {
            let account = live_user(app, &user)?;
            let uid = account.uid;
            let (ended, what) = app
                .db
                .write(|tx| {
                    Ok::<_, rusqlite::Error>(match (id, key) {
                        _ if all => (
                            sessions::revoke_all(tx, uid)? + loginkeys::revoke_all(tx, uid)?,
                            "sessions and login keys".to_string(),
                        ),
                        (_, Some(key)) => (
                            usize::from(loginkeys::revoke(tx, uid, key)?),
                            format!("login key {key}"),
                        ),
                        (Some(id), None) => (
                            usize::from(sessions::revoke(tx, uid, id)?),
                            format!("session {id}"),
                        ),
                        (None, None) => (0, "nothing".to_string()),
                    })
                })
                .map_err(db_err)?;
            if ended == 0 && !all {
                return Err(format!("{} has no {what}", account.username));
            }
            println!("revoked {ended} ({what}) of {}", account.username);
            Ok(0)
        }
    }
}
