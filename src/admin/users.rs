//! `accounthub user ...`: account administration without the PHP web UI.

use clap::{Args as ClapArgs, Subcommand};

use crate::app::App;
use crate::password;
use crate::secrets;
use crate::store::accounts::{self, NewAccount};
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

/// Characters of generated passwords: no look-alikes (0/O, 1/l/I).
pub const PASSWORD_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

impl PasswordSource {
    /// The password, and whether it was generated (then the caller prints it).
    pub fn obtain(&self) -> Result<(String, bool), String> {
        if self.generate {
            Ok((secrets::random_string(PASSWORD_ALPHABET, 16), true))
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
    }
}
