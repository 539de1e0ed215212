//! Time as the service stores and shows it: UTC text in the database, the configured zone
//! on the wire (`YYYY-MM-DD HH:MM:SS`, like the original).

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The one text format for stored and displayed times.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Current Unix time in seconds (rate limits, mail retries, TOTP steps).
pub fn unix_now() -> i64 {
    Utc::now().timestamp()
}

/// Current time as stored in the database (UTC).
pub fn utc_now_text() -> String {
    Utc::now().format(FORMAT).to_string()
}

/// A Unix time as stored in the database (UTC text); out-of-range times give the epoch.
pub fn utc_text(unix_secs: i64) -> String {
    DateTime::from_timestamp(unix_secs, 0)
        .unwrap_or_default()
        .format(FORMAT)
        .to_string()
}

/// Shows a stored UTC time in the display zone; unparseable input is shown unchanged.
pub fn utc_text_to_local(stored: &str, tz: Tz) -> String {
    match NaiveDateTime::parse_from_str(stored, FORMAT) {
        Ok(naive) => Utc
            .from_utc_datetime(&naive)
            .with_timezone(&tz)
            .format(FORMAT)
            .to_string(),
        Err(_) => stored.to_string(),
    }
}

/// Reads a local `YYYY-MM-DD HH:MM:SS` in the display zone as a stored UTC time.
/// Times that do not exist in that zone (DST gaps) are refused; ambiguous ones take the earlier.
pub fn local_text_to_utc(local: &str, tz: Tz) -> Option<String> {
    let naive = NaiveDateTime::parse_from_str(local, FORMAT).ok()?;
    let local: DateTime<Tz> = tz.from_local_datetime(&naive).earliest()?;
    Some(local.with_timezone(&Utc).format(FORMAT).to_string())
}

/// Current time in the display zone.
pub fn local_now_text(tz: Tz) -> String {
    Utc::now().with_timezone(&tz).format(FORMAT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_a_zone() {
        let tz: Tz = "America/Denver".parse().unwrap();
        let utc = local_text_to_utc("2020-07-04 15:30:05", tz).unwrap();
        assert_eq!(utc, "2020-07-04 21:30:05");
        assert_eq!(utc_text_to_local(&utc, tz), "2020-07-04 15:30:05");
    }

    #[test]
    fn unix_times_become_stored_text() {
        assert_eq!(utc_text(86_400 + 61), "1970-01-02 00:01:01");
    }

    #[test]
    fn refuses_garbage_and_dst_gaps() {
        let tz: Tz = "America/Denver".parse().unwrap();
        assert!(local_text_to_utc("yesterday", tz).is_none());
        assert!(local_text_to_utc("2021-03-14 02:30:00", tz).is_none());
    }
}
