//! `accounthub user show NAME`: one account as an administrator sees it, including the
//! Maian fields (time zone, language, IP, notes) that no API action returns.

use crate::app::App;
use crate::store::accounts;

/// Prints the account, deleted or not; an unknown name is an error (exit 1).
pub fn run(app: &App, username: &str) -> Result<i32, String> {
    let details = app
        .db
        .with(|c| accounts::details_by_username(c, username.trim()))
        .map_err(|e| format!("database error: {e}"))?
        .ok_or_else(|| format!("no user {:?}", username.trim()))?;
    let a = &details.account;
    let or_blank = |v: &Option<String>| v.clone().unwrap_or_default();
    let rows = [
        ("uid", a.uid.to_string()),
        ("username", a.username.clone()),
        ("name", a.realname.clone()),
        ("email", or_blank(&a.email)),
        ("status", accounts::status_name(a.acctstatus)),
        ("deleted", details.deleted.to_string()),
        ("2fa", a.has_totp().to_string()),
        ("timezone", or_blank(&details.timezone)),
        ("language", or_blank(&details.language)),
        ("ip", or_blank(&details.ip)),
        ("notes", or_blank(&details.notes)),
        ("created", or_blank(&details.created)),
    ];
    for (label, value) in rows {
        println!("{label:<9} {value}");
    }
    Ok(0)
}
