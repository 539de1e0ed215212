//! accounthub: an AccountHub-compatible account server.
//!
//! Request flow, one direction: `front` (FastCGI / CGI / `call` faces) builds a
//! `request::Request` → `pipeline` (`routing::route` decides what it is, then the route's
//! `prepare` and `run` stages) → `api` / `maian` (the two APIs; `keyauth` is their shared
//! key step) → `actions` (the action contract, the dispatch table, one module per action
//! family) → `store` (all SQL) → one SQLite file. `cli` is the command line; `web` is
//! the HTML face beside the APIs (the SSO login page), `mobile` the mobile app's API over
//! the same actions; `import` (run from the command line) moves a PHP AccountHub install
//! over. `ops` holds the health and metrics pages (two more routes) and the responder's
//! hold on the database; `metrics` is the counters every layer records into.

pub mod actions;
pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod front;
pub mod import;
pub mod keyauth;
pub mod log;
pub mod maian;
pub mod mail;
pub mod metrics;
pub mod mobile;
pub mod ops;
pub mod password;
pub mod pipeline;
pub mod request;
pub mod response;
pub mod routing;
pub mod secrets;
pub mod store;
pub mod totp;
pub mod web;

/// A fresh, empty directory for one unit test (`tag` keeps tests apart, the process id
/// keeps parallel runs apart); unit tests that need a real file on disk start here.
#[cfg(test)]
pub(crate) fn test_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ah-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
