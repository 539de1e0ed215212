//! accounthub: an AccountHub-compatible account server.
//!
//! Request flow, one module per step:
//! `front` (FastCGI / CGI / `call` faces) → `request::Request` → `routing` (URL forms,
//! parameter precedence) → `api` (key check, dispatch table, argument rules) →
//! `actions` (one module per action family) → `store` (all SQL) → one SQLite file.

pub mod actions;
pub mod admin;
pub mod api;
pub mod app;
pub mod clock;
pub mod config;
pub mod front;
pub mod log;
pub mod maian;
pub mod mail;
pub mod metrics;
pub mod ops;
pub mod password;
pub mod request;
pub mod response;
pub mod routing;
pub mod secrets;
pub mod store;
pub mod totp;
