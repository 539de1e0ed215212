//! The command line: the faces chosen by argv (`serve`, `call`) and the admin commands a
//! sysadmin runs instead of the PHP web UI. Every command has `--help`, prints clear
//! errors and exits non-zero on failure.

pub mod factors;
pub mod groups;
pub mod keys;
pub mod mail;
pub mod managers;
pub mod perms;
pub mod sessions;
pub mod show;
pub mod users;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::App;
use crate::config::Config;
use crate::front::{call, fastcgi};

/// accounthub: AccountHub-compatible account server over one SQLite file.
#[derive(Debug, Parser)]
#[command(name = "accounthub", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (default: $ACCOUNTHUB_CONFIG, else /etc/accounthub/accounthub.toml
    /// if present, else built-in defaults).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the FastCGI responder (fd 0 socket, systemd socket, or --listen).
    Serve {
        /// `unix:/path/to.sock` or `tcp:127.0.0.1:9000`; default: inherited socket, else
        /// server.listen from the config.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Octal mode of a unix socket created by --listen (overrides server.socket_mode).
        #[arg(long, value_name = "MODE")]
        socket_mode: Option<String>,
    },
    /// Run one API action in-process and print its JSON (trusted like a FULL key).
    Call {
        /// Action name, e.g. `userinfo`.
        action: String,
        /// Arguments as name=value.
        args: Vec<String>,
        /// Arguments as one JSON object (merged over name=value).
        #[arg(long, value_name = "JSON")]
        json: Option<String>,
    },
    /// Create the database with its schema (safe to repeat).
    Init,
    /// Rebuild the usersearch index now (it also folds itself back as accounts change;
    /// useful after a bulk import with SQL).
    Reindex,
    /// Manage API keys.
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Deliver or inspect the mail outbox.
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// Manage groups and memberships.
    #[command(subcommand)]
    Group(groups::GroupCommand),
    /// Manage permission codes and grants.
    #[command(subcommand)]
    Perm(perms::PermCommand),
    /// Manage manager → employee relations.
    #[command(subcommand)]
    Manager(managers::ManagerCommand),
    /// List or end a user's login-page sessions and approved login keys.
    #[command(subcommand)]
    Session(sessions::SessionCommand),
}

/// Parses the command line and runs it; returns the process exit code.
pub fn main(argv: Vec<OsString>) -> i32 {
    finish(run(Cli::parse_from(argv)))
}

fn run(cli: Cli) -> Result<i32, String> {
    let config_path = cli.config.as_deref();
    match cli.command {
        Command::Serve {
            listen,
            socket_mode,
        } => serve(config_path, listen.as_deref(), socket_mode),
        Command::Call { action, args, json } => {
            let app = open(config_path)?;
            call::run(&app, &action, &args, json.as_deref())
        }
        Command::Init => {
            let app = open(config_path)?;
            println!("database ready: {}", app.db.path().display());
            Ok(0)
        }
        Command::Reindex => {
            let app = open(config_path)?;
            app.db
                .write(|tx| crate::store::search::reindex(tx))
                .map_err(db_err)?;
            println!("usersearch index rebuilt: {}", app.db.path().display());
            Ok(0)
        }
        Command::Key(cmd) => keys::run(&open(config_path)?, cmd),
        Command::User(cmd) => users::run(&open(config_path)?, cmd),
        Command::Mail(cmd) => mail::run(open(config_path)?, cmd),
        Command::Group(cmd) => groups::run(&open(config_path)?, cmd),
        Command::Perm(cmd) => perms::run(&open(config_path)?, cmd),
        Command::Manager(cmd) => managers::run(&open(config_path)?, cmd),
        Command::Session(cmd) => sessions::run(&open(config_path)?, cmd),
    }
}

/// Runs the FastCGI responder (the `serve` command, and a bare start on an inherited socket).
pub fn serve(
    config_path: Option<&std::path::Path>,
    listen: Option<&str>,
    socket_mode: Option<String>,
) -> Result<i32, String> {
    let mut config = load_config(config_path)?;
    if let Some(mode) = socket_mode {
        config.server.socket_mode = mode;
    }
    let spec = fastcgi::ListenSpec::choose(listen, &config.server.listen)?;
    fastcgi::serve(App::open(config)?, spec)?;
    Ok(0)
}

/// Loads the configuration of a serving face and applies its log level.
pub fn load_config(config_path: Option<&std::path::Path>) -> Result<Config, String> {
    let config = Config::load(config_path)?;
    crate::log::set_level(&config.server.log_level)?;
    Ok(config)
}

/// Loads the configuration and opens the database for an admin command.
pub fn open(config_path: Option<&std::path::Path>) -> Result<App, String> {
    App::open(Config::load(config_path)?)
}

/// The exit code of a command, printing its error.
pub fn finish(result: Result<i32, String>) -> i32 {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("accounthub: {e}");
            1
        }
    }
}

/// Reads a secret from stdin: the first line, without its line ending.
pub fn read_secret_line() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    let secret = line.trim_end_matches(['\n', '\r']).to_string();
    if secret.is_empty() {
        return Err("empty input on stdin".into());
    }
    Ok(secret)
}

/// Formats a database error for an admin command's message.
pub fn db_err(e: rusqlite::Error) -> String {
    format!("database error: {e}")
}

/// The live account an admin argument names: a user name, else a numeric uid.
pub fn live_user(app: &App, user: &str) -> Result<crate::store::accounts::Account, String> {
    use crate::store::accounts;
    app.db
        .with(|c| match accounts::by_username(c, user)? {
            Some(a) => Ok(Some(a)),
            None => match user.parse::<i64>() {
                Ok(uid) => accounts::by_uid(c, uid),
                Err(_) => Ok(None),
            },
        })
        .map_err(db_err)?
        .ok_or_else(|| format!("no user {user:?} (deleted users are not listed)"))
}
