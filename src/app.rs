//! The shared state of a running service: configuration, database, hashing gate.

use chrono_tz::Tz;

use crate::config::Config;
use std::time::Duration;

use crate::password::{self, FailureFloor, HashCost, HashGate, Speed};
use crate::store::{Db, hash_costs};

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
    /// What failed credential checks are padded to.
    pub failure_floor: FailureFloor,
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
            failure_floor: FailureFloor::default(),
        })
    }

    /// Pads a failed credential check whose hashing took `spent` to the common floor, so
    /// its duration tells nothing about whether the user exists or which kind of hash
    /// (imported bcrypt of any cost, PBKDF2 of any rounds) it has.
    pub fn pad_failed_check(&self, spent: Duration) {
        self.failure_floor.pad(spent, || {
            let stored = self.db.with(|c| {
                Ok((
                    hash_costs::stored_prefixes(c)?,
                    hash_costs::most_slow_app_passwords(c)?,
                ))
            });
            let (prefixes, slow_app_passwords) = stored.unwrap_or_else(|e| {
                crate::log::error(&format!("cannot read the stored hash costs: {e}"));
                (Vec::new(), 0)
            });
            let costs: Vec<HashCost> = prefixes.iter().filter_map(|p| HashCost::of(p)).collect();
            password::failure_floor(
                &Speed::here(),
                &costs,
                self.config.passwords.pbkdf2_rounds,
                slow_app_passwords,
            )
        });
    }
}
