//! `accounthub user ...`: account administration without the PHP web UI.

use clap::{Args as ClapArgs, Subcommand};

use crate::app::App;
use crate::password;
use crate::secrets;
use rusqlite::types::Value;

use super::factors;
use crate::store::accounts::{self, Account, Field, NewAccount};
use crate::store::authlog;

/// User subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account (status NORMAL). The password comes from stdin or --generate.
    Add {
        /// Login name (stored lower-cased).
        username: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Email address.
        #[arg(long)]
        email: Option<String>,
        #[command(flatten)]
        source: PasswordSource,
    },
    /// Set a new password (from stdin or --generate).
    Passwd {
        /// Login name.
        username: String,
        #[command(flatten)]
        source: PasswordSource,
    },
    /// Set the account status: NORMAL, LOCKED_OR_DISABLED, CHANGE_PASSWORD, TERMINATED or
    /// ALERT_ON_ACCESS.
    Status {
        /// Login name.
        username: String,
        /// New status name (case-insensitive).
        status: String,
    },
    /// Mark an account deleted: it disappears from every action. The row stays for the audit log.
    Delete {
        /// Login name.
        username: String,
    },
    /// Two-factor authentication (TOTP).
    #[command(subcommand)]
    Totp(factors::TotpCommand),
    /// Kiosk PIN (checkpin).
    #[command(subcommand)]
    Pin(factors::PinCommand),
    /// Mobile sync codes (mobilevalid).
    #[command(subcommand)]
    Synccode(factors::SynccodeCommand),
    /// Show one account, including its Maian fields (time zone, language, IP, notes).
    Show {
        /// Login name.
        username: String,
    },
}

/// Where a new password comes from.
#[derive(Debug, ClapArgs)]
#[group(required = true, multiple = false)]
pub struct PasswordSource {
    /// Read the password from the first line of stdin.
    #[arg(long)]
    pub password_stdin: bool,
    /// Generate a random password and print it.
    #[arg(long)]
    pub generate: bool,
}

impl PasswordSource {
    /// The password, and whether it was generated (then the caller prints it).
    pub fn obtain(&self) -> Result<(String, bool), String> {
        if self.generate {
            Ok((secrets::random_string(secrets::PASSWORD_ALPHABET, 16), true))
        } else {
            Ok((super::read_secret_line()?, false))
        }
    }
}

/// Runs a user subcommand.
pub fn run(app: &App, cmd: UserCommand) -> Result<i32, String> {
    match cmd {
        UserCommand::Show { username } => super::show::run(app, &username),
        UserCommand::Add {
            username,
            name,
            email,
            source,
        } => {
            let username = username.trim().to_ascii_lowercase();
            if username.is_empty() || name.trim().is_empty() {
                return Err("username and --name must not be empty".into());
            }
            let (plain, generated) = source.obtain()?;
            let hash = password::hash(&plain, app.config.passwords.pbkdf2_rounds)?;
            let new = NewAccount {
                username: username.clone(),
                realname: name,
                email,
                password_hash: Some(hash),
                acctstatus: 1,
                ..NewAccount::default()
            };
            let uid = app
                .db
                .write(|tx| {
                    if accounts::username_taken(tx, &username)? {
                        return Ok(None);
                    }
                    let uid = accounts::insert(tx, &new)?;
                    authlog::write(
                        tx,
                        authlog::LogType::UserAdded,
                        Some(uid),
                        "cli",
                        "Added by admin CLI",
                    )?;
                    Ok::<_, rusqlite::Error>(Some(uid))
                })
                .map_err(|e| format!("database error: {e}"))?
                .ok_or_else(|| format!("user {username:?} already exists"))?;
            println!("created user {username} (uid {uid})");
            if generated {
                println!("password: {plain}");
            }
            Ok(0)
        }
        UserCommand::Passwd { username, source } => {
            let account = live_account(app, &username)?;
            let (plain, generated) = source.obtain()?;
            let hash = password::hash(&plain, app.config.passwords.pbkdf2_rounds)?;
            set(app, &account, Field::Password, hash.into())?;
            println!("password of {} changed", account.username);
            if generated {
                println!("password: {plain}");
            }
            Ok(0)
        }
        UserCommand::Status { username, status } => {
            let id = (1..=5)
                .find(|&id| accounts::status_name(id).eq_ignore_ascii_case(status.trim()))
                .ok_or_else(|| {
                    format!("unknown status {status:?}; use NORMAL, LOCKED_OR_DISABLED, CHANGE_PASSWORD, TERMINATED or ALERT_ON_ACCESS")
                })?;
            let account = live_account(app, &username)?;
            set(app, &account, Field::Status, id.into())?;
            println!(
                "status of {} set to {}",
                account.username,
                accounts::status_name(id)
            );
            Ok(0)
        }
        UserCommand::Delete { username } => {
            let account = live_account(app, &username)?;
            set(app, &account, Field::Deleted, 1.into())?;
            println!("user {} deleted", account.username);
            Ok(0)
        }
        UserCommand::Totp(cmd) => factors::totp(app, cmd),
        UserCommand::Pin(cmd) => factors::pin(app, cmd),
        UserCommand::Synccode(cmd) => factors::synccode(app, cmd),
    }
}

/// The live (not deleted) account with this user name, or a clear error.
pub fn live_account(app: &App, username: &str) -> Result<Account, String> {
    app.db
        .with(|c| accounts::by_username(c, username.trim()))
        .map_err(|e| format!("database error: {e}"))?
        .ok_or_else(|| format!("no such user: {:?}", username.trim()))
}

/// Sets one field of an account found by `live_account`.
pub fn set(app: &App, account: &Account, field: Field, value: Value) -> Result<(), String> {
    let changed = app
        .db
        .write(|tx| accounts::set_field(tx, account.uid, field, value))
        .map_err(|e| format!("database error: {e}"))?;
    if changed {
        Ok(())
    } else {
        Err(format!("no such user: {:?}", account.username))
    }
}
