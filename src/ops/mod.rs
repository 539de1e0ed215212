//! Operations support shared by the web faces and the admin CLI: the responder's hold on
//! the database file and the health report.

pub mod health;
pub mod holder;
