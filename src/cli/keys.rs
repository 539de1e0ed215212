//! `accounthub key add|list|revoke`: API keys are shown once at creation, then only censored.

use clap::Subcommand;

use crate::app::App;
use crate::secrets;
use crate::store::apikeys;
use crate::store::apikeys::KeyType;

/// Key subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key and print it once.
    Add {
        /// NONE, AUTH, READ or FULL.
        #[arg(long = "type", default_value = "FULL", value_name = "TYPE")]
        key_type: String,
        /// Free-text notes (which app uses the key).
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// List keys (censored) with id, type and notes.
    List,
    /// Delete a key by the id shown by `key list`.
    Revoke {
        /// Key id.
        id: i64,
    },
}

/// Length of generated keys: 40 URL-safe characters, 240 bits.
const KEY_LENGTH: usize = 40;

/// Runs a key subcommand.
pub fn run(app: &App, cmd: KeyCommand) -> Result<i32, String> {
    let db_err = |e: rusqlite::Error| format!("database error: {e}");
    match cmd {
        KeyCommand::Add { key_type, notes } => {
            let key_type = KeyType::parse(&key_type.to_ascii_uppercase()).ok_or_else(|| {
                format!("unknown key type {key_type:?} (use NONE, AUTH, READ or FULL)")
            })?;
            let key = secrets::random_string(secrets::URL_SAFE, KEY_LENGTH);
            app.db
                .with(|c| apikeys::insert(c, &key, key_type, &notes))
                .map_err(db_err)?;
            println!("{key}");
            Ok(0)
        }
        KeyCommand::List => {
            for key in app.db.with(apikeys::list).map_err(db_err)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    key.id, key.key_type, key.censored, key.created, key.notes
                );
            }
            Ok(0)
        }
        KeyCommand::Revoke { id } => {
            if app.db.with(|c| apikeys::revoke(c, id)).map_err(db_err)? {
                println!("revoked key {id}");
                Ok(0)
            } else {
                Err(format!("no key with id {id}"))
            }
        }
    }
}
