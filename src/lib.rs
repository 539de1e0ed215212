//! accounthub: an AccountHub-compatible account server.
//!
//! Request flow, one direction: `front` (FastCGI / CGI / `call` faces) builds a
//! `request::Request` → `pipeline` (`routing::route` decides what it is, then the route's
//! `prepare` and `run` stages) → `api` / `maian` (the two APIs; `keyauth` is their shared
//! key step) → `actions` (the action contract, the dispatch table, one module per action
//! family) → `store` (all SQL) → one SQLite file. `cli` is the command line; `web` is
//! the HTML face beside the APIs (the SSO login page), `mobile` the mobile app's API over
//! the same actions.

pub mod actions;
pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod front;
pub mod keyauth;
pub mod log;
pub mod maian;
pub mod mail;
pub mod mobile;
pub mod password;
pub mod pipeline;
pub mod request;
pub mod response;
pub mod routing;
pub mod secrets;
pub mod store;
pub mod totp;
pub mod web;
