//! Outgoing mail: messages are composed and queued in the SQLite outbox by the
//! request that causes them, then delivered over SMTP by the responder's background worker
//! or by `accounthub mail flush`, so no request ever waits on a mail server.

pub mod address;
pub mod alert;
pub mod smtp;
pub mod worker;
