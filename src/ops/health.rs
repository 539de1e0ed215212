//! The health report behind `GET <prefix>/health` and `accounthub healthcheck`: can the
//! database be read, how long is the mail backlog, which version runs. It is answered
//! without a key, so it says nothing more: no paths, no error texts, no counts of users.

use std::path::Path;

use serde_json::json;

use crate::app::App;
use crate::response::Response;
use crate::store::{maintenance, schema};

/// What a health probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// Outbox backlog (queued, failed) when the database answered as expected.
    pub outbox: Option<(i64, i64)>,
}

impl Health {
    /// True if the database is usable.
    pub fn ok(&self) -> bool {
        self.outbox.is_some()
    }

    /// The JSON body, the same for the endpoint and the command.
    pub fn to_json(&self) -> serde_json::Value {
        let outbox = self
            .outbox
            .map(|(queued, failed)| json!({"queued": queued, "failed": failed}));
        json!({
            "status": if self.ok() { "OK" } else { "ERROR" },
            "database": if self.ok() { "ok" } else { "unavailable" },
            "outbox": outbox,
            "version": env!("CARGO_PKG_VERSION"),
        })
    }

    /// The HTTP answer: 200 when healthy, else 503 (what load balancers act on).
    pub fn to_response(&self) -> Response {
        Response::json(if self.ok() { 200 } else { 503 }, &self.to_json())
    }
}

/// The `GET <prefix>/health` answer for this service's database.
pub fn answer(app: &App) -> Response {
    probe(&app.config.database)
        .to_response()
        .logged_as(Some("health"), None)
}

/// Probes the database on a fresh connection, so a file replaced or corrupted under a
/// running responder is noticed (pooled connections would keep reading the old pages).
pub fn probe(db: &Path) -> Health {
    let outbox = maintenance::open_existing(db).ok().and_then(|conn| {
        let sound = maintenance::has_accounthub_tables(&conn).ok()?
            && maintenance::schema_version(&conn).ok()? == schema::SCHEMA_VERSION;
        if sound {
            maintenance::outbox_backlog(&conn).ok()
        } else {
            None
        }
    });
    Health { outbox }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_garbage_file_is_unhealthy_and_says_only_that() {
        let dir = crate::test_dir("health");
        let db = dir.join("a.sqlite");
        let missing = probe(&db);
        assert!(!missing.ok());
        assert!(!db.exists(), "a probe never creates the file");
        crate::store::Db::open(&db).unwrap();
        let healthy = probe(&db);
        assert_eq!(healthy.outbox, Some((0, 0)));
        assert_eq!(healthy.to_response().status, 200);
        std::fs::write(&db, vec![0x5a; 8192]).unwrap();
        let broken = probe(&db).to_response();
        assert_eq!(broken.status, 503);
        let body = String::from_utf8(broken.body).unwrap();
        assert!(!body.contains(dir.to_str().unwrap()), "{body}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
