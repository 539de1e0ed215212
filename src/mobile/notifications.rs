//! The mobile API's notification actions, for the signed-in user only: the API's
//! `readnotification`, `addnotification` and `deletenotification`, and
//! `checknotifications`, which lists the unread ones.

use super::Call;
use crate::actions::Outcome;
use crate::actions::notifications;

/// The user's unread notifications, newest first (`getnotifications`' arguments).
pub fn check(call: &Call) -> Outcome {
    call.api_as("getnotifications", Some(notifications::unread))
}

/// Marks one of the user's notifications read (`id`).
pub fn read(call: &Call) -> Outcome {
    call.api("readnotification")
}

/// Adds a notification for the user (`title`, `content`, optional `timestamp`, `url`,
/// `sensitive`), answering its `id`.
pub fn add(call: &Call) -> Outcome {
    call.api("addnotification")
}

/// Deletes one of the user's notifications (`id`).
pub fn delete(call: &Call) -> Outcome {
    call.api("deletenotification")
}
