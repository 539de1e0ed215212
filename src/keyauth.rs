//! The one API-key step both APIs (AccountHub and Maian) take before anything else: find
//! the presented key, or audit-log and count the miss; then check the key's type against
//! what the call needs, audit-logging a refusal. Each API answers a refusal in its own format.

use crate::app::App;
use crate::clock;
use crate::secrets;
use crate::store::apikeys::{KeyType, StoredKey};
use crate::store::{authlog, ratelimit};

/// Why a presented API key was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// Missing or unknown key (already audit-logged and counted).
    Unknown,
    /// The per-IP bad-key limit tripped: retry after this many seconds.
    TooFast(u64),
    /// The key store could not be read.
    Unavailable,
}

/// Checks the presented key. A missing or unknown key is audit-logged (censored) and
/// counted against the client IP; past the limit the refusal is `TooFast`, unlogged.
pub fn authenticate(app: &App, presented: &str, ip: &str) -> Result<StoredKey, KeyRefusal> {
    if !presented.is_empty() {
        match app.db.api_key(presented) {
            Ok(Some(key)) => return Ok(key),
            Ok(None) => {}
            Err(e) => {
                crate::log::error(&format!("key lookup failed: {e}"));
                return Err(KeyRefusal::Unavailable);
            }
        }
    }
    let limit = app.config.rate_limit.bad_key();
    let shown = if presented.is_empty() {
        "(none)".to_string()
    } else {
        secrets::censor(presented)
    };
    let now = clock::unix_now();
    // Past the limit nothing is written: a flood of bad keys costs one counter per IP.
    let verdict = app.db.write(|tx| {
        crate::actions::throttle::sweep_in(tx, app, now)?;
        let refused = ratelimit::take(tx, &format!("badkey|{ip}"), limit, now)?;
        if refused.is_none() {
            let note = format!("Key: {shown}");
            authlog::write(tx, authlog::LogType::ApiBadKey, None, ip, &note)?;
        }
        Ok::<_, rusqlite::Error>(refused)
    });
    match verdict {
        Ok(Some(wait)) => {
            crate::metrics::rate_limited("bad_key");
            Err(KeyRefusal::TooFast(wait))
        }
        Ok(None) => Err(KeyRefusal::Unknown),
        Err(e) => {
            crate::log::error(&format!("bad-key bookkeeping failed: {e}"));
            Err(KeyRefusal::Unknown)
        }
    }
}

/// True if `key` may do `what` (an action name, or `maian account`), which needs `needed`;
/// a refusal is audit-logged with the key's censored form and type.
pub fn permits(app: &App, key: &StoredKey, needed: KeyType, what: &str, ip: &str) -> bool {
    if key.key_type.allows(needed) {
        return true;
    }
    let note = format!(
        "Key: {}, Action: {what}, Type: {}",
        key.censored, key.key_type
    );
    if let Err(e) = app
        .db
        .with(|c| authlog::write(c, authlog::LogType::ApiBadKey, None, ip, &note))
    {
        crate::log::error(&format!("audit log write failed: {e}"));
    }
    false
}
