//! Operations support shared by the web faces and the admin CLI: the responder's hold on
//! the database file, the health report and the metrics page.

pub mod health;
pub mod holder;
pub mod scrape;

use std::time::Instant;

use crate::response::Response;

/// Counts one answered request in the metrics. The action label is a name of the action
/// table or of another face; anything a client made up is counted as `unknown`, so the
/// label set stays bounded.
pub fn record_request(response: &Response, started: Instant) {
    if !crate::metrics::enabled() {
        return;
    }
    let action = match response.action.as_deref() {
        None => "none",
        Some(name) => match crate::actions::table::find(name) {
            Some(action) => action.name,
            None => ["health", "metrics", "maian"]
                .into_iter()
                .find(|face| *face == name)
                .unwrap_or("unknown"),
        },
    };
    crate::metrics::request(action, response.status, started.elapsed().as_secs_f64());
}
