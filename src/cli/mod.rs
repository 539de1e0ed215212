//! The command line: the faces chosen by argv (`serve`, `call`) and the admin commands a
//! sysadmin runs instead of the PHP web UI. Every command has `--help`, prints clear
//! errors and exits non-zero on failure.

pub mod authlog;
pub mod backup;
pub mod check;
pub mod check_config;
pub mod factors;
pub mod generate;
pub mod groups;
pub mod import;
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
    /// Move a PHP AccountHub install over, from its MariaDB/MySQL database or a dump.
    Import(import::ImportArgs),
    /// Write a verified, consistent copy of the live database to FILE (replaced if it
    /// exists); the responder may keep running.
    Backup {
        /// Destination file.
        file: PathBuf,
    },
    /// Replace the database with the backup FILE after checking its integrity and schema
    /// version; refused while a responder holds the database.
    Restore {
        /// Backup file written by `accounthub backup`.
        file: PathBuf,
    },
    /// Check the config file, the database and the permissions the service needs; one
    /// line per problem, exit 1 if there is any.
    Check {
        /// Account the service runs as, whose permissions are checked (default: the
        /// caller).
        #[arg(long, value_name = "USER")]
        user: Option<String>,
        /// Also connect to the configured SMTP server and say EHLO.
        #[arg(long)]
        smtp: bool,
    },
    /// Print the health report as JSON (what GET <prefix>/health answers); exit 1 when
    /// unhealthy.
    Healthcheck,
    /// Show the security log (authlog), times in the configured time zone.
    Log(authlog::LogArgs),
    /// Write the man pages into DIR (packaging).
    #[command(hide = true)]
    GenMan {
        /// Output directory.
        dir: PathBuf,
    },
    /// Write bash, zsh and fish completions into DIR (packaging).
    #[command(hide = true)]
    GenCompletions {
        /// Output directory.
        dir: PathBuf,
    },
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
        Command::Import(args) => import::run(&open(config_path)?, args),
        Command::Backup { file } => backup::backup(&Config::load(config_path)?, &file),
        Command::Restore { file } => backup::restore(&Config::load(config_path)?, &file),
        Command::Check { user, smtp } => check::run(config_path, user.as_deref(), smtp),
        Command::Healthcheck => {
            let health = crate::ops::health::probe(&Config::load(config_path)?.database);
            println!("{}", health.to_json());
            Ok(if health.ok() { 0 } else { 1 })
        }
        Command::Log(args) => authlog::run(&open(config_path)?, args),
        Command::GenMan { dir } => generate::man_pages(&dir),
        Command::GenCompletions { dir } => generate::completions(&dir),
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
        config.server.socket_mode = crate::config::SocketMode::try_from(mode)?;
    }
    let spec = fastcgi::ListenSpec::choose(listen, &config.server.listen)?;
    let app = App::open(config)?;
    // Held until the responder is gone, so `restore` refuses while it runs.
    let _held = crate::ops::holder::hold_shared(app.db.path())?;
    fastcgi::serve(app, spec)?;
    Ok(0)
}

/// Loads the configuration of a serving face and applies its log level.
pub fn load_config(config_path: Option<&std::path::Path>) -> Result<Config, String> {
    let config = Config::load(config_path)?;
    crate::log::set_level(config.server.log_level);
    crate::log::set_format(config.server.log_format);
    crate::metrics::set_enabled(config.metrics.enabled);
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

/// The live account a USER argument names: a user name, or a uid when no user has that
/// name; deleted accounts are refused.
pub fn live_user(app: &App, user: &str) -> Result<crate::store::accounts::Account, String> {
    let user = user.trim();
    app.db
        .with(|c| crate::store::accounts::by_name_or_uid(c, user))
        .map_err(db_err)?
        .ok_or_else(|| format!("no user {user:?} (deleted users are not listed)"))
}
