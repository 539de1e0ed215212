//! The login alert mail: sent to the configured admin when an
//! ALERT_ON_ACCESS user logs in, or when an app calls `alertemail`. It is only queued here;
//! the worker delivers it.

use rusqlite::Connection;

use super::address;
use crate::app::App;
use crate::clock;
use crate::store::outbox::{self, OutgoingMail};

/// Subject of every alert, as the original.
pub const SUBJECT: &str = "Alert: User login notification";

/// Display name of the alert sender, as the original.
pub const FROM_NAME: &str = "Account Alerts";

/// Display name of the alert recipient, as the original.
pub const TO_NAME: &str = "System Admin";

/// Why an alert was not queued.
#[derive(Debug)]
pub enum AlertError {
    /// A configured address is unusable: the `msg` of the ERROR answer,
    /// `invalid_to_email` (`mail.admin_email`) or `invalid_from_email` (`mail.from`).
    Unusable(&'static str),
    /// The outbox could not be written.
    Store(rusqlite::Error),
}

impl From<rusqlite::Error> for AlertError {
    fn from(e: rusqlite::Error) -> AlertError {
        AlertError::Store(e)
    }
}

/// What an alert says: who, through which app, when (display zone) and from where.
#[derive(Debug, Clone, Copy)]
pub struct AlertFacts<'a> {
    /// The account's user name (or the lower-cased input for an unknown user).
    pub username: &'a str,
    /// Application name shown in the mail.
    pub appname: &'a str,
    /// Local date and time, `YYYY-MM-DD HH:MM:SS`.
    pub datetime: &'a str,
    /// Client IP of the request.
    pub ip: &'a str,
}

/// The alert body exactly as the original words it: CRLF line breaks, a tab after each label.
pub fn body(facts: &AlertFacts) -> String {
    format!(
        "You (or another administrator) requested to be notified when user \"{user}\" logged in, \
         an event which happened just now.\r\n\
         \r\n\
         Username: \t{user}\r\n\
         Application: \t{app}\r\n\
         Date/Time: \t{when}\r\n\
         IP address: \t{ip}\r\n\
         \r\n\
         These notifications can be disabled by editing the user in ManagePanel.",
        user = facts.username,
        app = facts.appname,
        when = facts.datetime,
        ip = facts.ip,
    )
}

/// Builds the alert mail from the configured addresses, refusing unusable ones in the
/// original's order (recipient first).
pub fn compose(app: &App, facts: &AlertFacts) -> Result<OutgoingMail, AlertError> {
    let mail = &app.config.mail;
    if !address::is_valid(&mail.admin_email) {
        return Err(AlertError::Unusable("invalid_to_email"));
    }
    if !address::is_valid(&mail.from) {
        return Err(AlertError::Unusable("invalid_from_email"));
    }
    Ok(OutgoingMail {
        to_addr: mail.admin_email.clone(),
        to_name: TO_NAME.into(),
        from_addr: mail.from.clone(),
        from_name: FROM_NAME.into(),
        subject: SUBJECT.into(),
        body: body(facts),
    })
}

/// Queues the alert for `username` (already resolved: DB name or lower-cased input) on
/// `conn`, which should be the transaction of the event that causes it, so the alert is
/// durable exactly when the event is. Time is now in the display zone.
pub fn queue_alert(
    conn: &Connection,
    app: &App,
    username: &str,
    appname: &str,
    ip: &str,
) -> Result<i64, AlertError> {
    let datetime = clock::local_now_text(app.tz);
    let facts = AlertFacts {
        username,
        appname,
        datetime: &datetime,
        ip,
    };
    let mail = compose(app, &facts)?;
    Ok(outbox::enqueue(conn, &mail)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_matches_the_original_text() {
        let text = body(&AlertFacts {
            username: "bob",
            appname: "???",
            datetime: "2024-01-02 03:04:05",
            ip: "10.0.0.1",
        });
        assert_eq!(
            text,
            "You (or another administrator) requested to be notified when user \"bob\" logged in, an event which happened just now.\r\n\r\nUsername: \tbob\r\nApplication: \t???\r\nDate/Time: \t2024-01-02 03:04:05\r\nIP address: \t10.0.0.1\r\n\r\nThese notifications can be disabled by editing the user in ManagePanel."
        );
    }
}
