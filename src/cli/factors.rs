//! `accounthub user totp|pin|synccode ...`: the second secrets of an account, which the PHP
//! original managed through its web UI.

use clap::Subcommand;
use rusqlite::types::Value;

use super::users::{live_account, set};
use crate::actions::second_factor;
use crate::app::App;
use crate::store::accounts::Field;
use crate::store::mobile_codes;
use crate::{password, totp};

/// `user totp ...`
#[derive(Debug, Subcommand)]
pub enum TotpCommand {
    /// Give the user a new TOTP secret and print its otpauth:// URI (replaces any old one).
    Enable {
        /// Login name.
        username: String,
    },
    /// Remove the user's TOTP secret.
    Disable {
        /// Login name.
        username: String,
    },
}

/// `user pin ...`
#[derive(Debug, Subcommand)]
pub enum PinCommand {
    /// Set the PIN from the first line of stdin: 1 to 8 digits. Stored hashed.
    Set {
        /// Login name.
        username: String,
    },
    /// Remove the PIN.
    Clear {
        /// Login name.
        username: String,
    },
}

/// `user synccode ...`
#[derive(Debug, Subcommand)]
pub enum SynccodeCommand {
    /// Create a mobile sync code and print it (20 upper-case hex characters).
    Add {
        /// Login name.
        username: String,
        /// Description shown to the user.
        #[arg(long, default_value = "")]
        desc: String,
    },
}

/// Runs a `user totp` subcommand.
pub fn totp(app: &App, cmd: TotpCommand) -> Result<i32, String> {
    match cmd {
        TotpCommand::Enable { username } => {
            let account = live_account(app, &username)?;
            let secret = totp::new_secret();
            set(app, &account, Field::AuthSecret, secret.clone().into())?;
            let label = account
                .email
                .as_deref()
                .filter(|e| !e.is_empty())
                .unwrap_or(&account.realname);
            println!("secret: {secret}");
            println!(
                "{}",
                totp::provisioning_uri(&app.config.system_name, label, &secret)
            );
            Ok(0)
        }
        TotpCommand::Disable { username } => {
            let account = live_account(app, &username)?;
            set(app, &account, Field::AuthSecret, Value::Null)?;
            println!("2FA removed for {}", account.username);
            Ok(0)
        }
    }
}

/// Runs a `user pin` subcommand.
pub fn pin(app: &App, cmd: PinCommand) -> Result<i32, String> {
    match cmd {
        PinCommand::Set { username } => {
            let account = live_account(app, &username)?;
            let pin = super::read_secret_line()?;
            if pin.is_empty() || pin.len() > 8 || !pin.bytes().all(|b| b.is_ascii_digit()) {
                return Err("a PIN is 1 to 8 digits".into());
            }
            let hash = password::hash(&pin, app.config.passwords.pbkdf2_rounds)?;
            set(app, &account, Field::Pin, hash.into())?;
            println!("PIN set for {}", account.username);
            Ok(0)
        }
        PinCommand::Clear { username } => {
            let account = live_account(app, &username)?;
            set(app, &account, Field::Pin, Value::Null)?;
            println!("PIN cleared for {}", account.username);
            Ok(0)
        }
    }
}

/// Runs a `user synccode` subcommand.
pub fn synccode(app: &App, cmd: SynccodeCommand) -> Result<i32, String> {
    let SynccodeCommand::Add { username, desc } = cmd;
    let account = live_account(app, &username)?;
    let code = second_factor::new_sync_code();
    app.db
        .write(|tx| mobile_codes::insert(tx, account.uid, &code, &desc))
        .map_err(|e| format!("database error: {e}"))?;
    println!("{code}");
    Ok(0)
}
