//! The API actions, one module per family. Each module exports `ACTIONS`, its slice of the
//! dispatch table (`api::dispatch::TABLE`).

pub mod basic;
pub mod mail;
pub mod subject;
