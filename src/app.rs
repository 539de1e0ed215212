//! The shared state of a running service: configuration, database, hashing gate.

use chrono_tz::Tz;

use crate::config::Config;
use crate::password::HashGate;
use crate::store::Db;

/// Everything an action can reach. One per process, shared by all requests.
pub struct App {
    /// The loaded configuration.
    pub config: Config,
    /// Display time zone parsed from the configuration.
    pub tz: Tz,
    /// The SQLite store.
    pub db: Db,
    /// Bounds concurrent password hashing.
    pub hashing: HashGate,
}

impl App {
    /// Opens the database (creating and migrating it as needed) for this configuration.
    pub fn open(config: Config) -> Result<App, String> {
        let tz = config.tz()?;
        crate::store::authlog::set_max_rows(config.audit.max_rows);
        let db = Db::open(&config.database)
            .map_err(|e| format!("cannot open database {}: {e}", config.database.display()))?;
        let hashing = HashGate::new(config.hash_concurrency());
        Ok(App {
            config,
            tz,
            db,
            hashing,
        })
    }
}
