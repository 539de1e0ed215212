//! RFC 6238 time-based one-time passwords as authenticator apps use them (HMAC-SHA1,
//! 6 digits, 30-second steps, T0 = 0), with base32 secrets like the original's
//! `accounts.authsecret`. Verification accepts the steps t-1..t+1 and reports which step
//! matched, so the caller can refuse a code that was already used.

use data_encoding::BASE32_NOPAD;
use totp_lite::{Sha1, totp_custom};

use crate::secrets;

/// Seconds per time step.
pub const STEP_SECS: u64 = 30;

/// Digits per code.
pub const DIGITS: u32 = 6;

/// Decodes a stored base32 secret: case-insensitive, spaces and trailing `=` ignored.
/// `None` for text that is not base32 (answered as "code incorrect", never a 500).
pub fn decode_secret(secret: &str) -> Option<Vec<u8>> {
    let normal: String = secret
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .trim_end_matches('=')
        .to_ascii_uppercase();
    BASE32_NOPAD
        .decode(normal.as_bytes())
        .ok()
        .filter(|k| !k.is_empty())
}

/// The 6-digit code of a key at one time step.
pub fn code_at_step(key: &[u8], step: i64) -> String {
    let time = u64::try_from(step).unwrap_or(0) * STEP_SECS;
    totp_custom::<Sha1>(STEP_SECS, DIGITS, key, time)
}

/// The time step containing a Unix time.
pub fn step_of(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS as i64)
}

/// The step among now-1, now, now+1 whose code equals `code` (compared in constant time).
pub fn matching_step(key: &[u8], code: &str, unix_secs: i64) -> Option<i64> {
    let now = step_of(unix_secs);
    let mut found = None;
    for step in [now - 1, now, now + 1] {
        if secrets::constant_time_eq(code_at_step(key, step).as_bytes(), code.as_bytes()) {
            found = Some(step);
        }
    }
    found
}

/// A fresh secret: 20 CSPRNG bytes as 32 base32 characters, like the original web UI.
pub fn new_secret() -> String {
    BASE32_NOPAD.encode(&secrets::random_bytes::<20>())
}

/// The `otpauth://` URI an authenticator app scans (label and issuer percent-encoded).
pub fn provisioning_uri(issuer: &str, label: &str, secret: &str) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let issuer_enc = utf8_percent_encode(issuer, NON_ALPHANUMERIC);
    let label_enc = utf8_percent_encode(label, NON_ALPHANUMERIC);
    format!("otpauth://totp/{issuer_enc}:{label_enc}?secret={secret}&issuer={issuer_enc}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA1 seed, truncated to 6 digits (the last six of the 8-digit vectors).
    #[test]
    fn rfc6238_vectors() {
        let key = b"12345678901234567890";
        for (t, code8) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(code_at_step(key, step_of(t)), &code8[2..], "t={t}");
        }
    }

    #[test]
    fn secrets_decode_like_the_original() {
        let key = b"12345678901234567890".to_vec();
        assert_eq!(
            decode_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            Some(key.clone())
        );
        assert_eq!(
            decode_secret("gezd gnbv gy3t qojq gezd gnbv gy3t qojq==="),
            Some(key)
        );
        assert_eq!(decode_secret("not base32!"), None);
        assert_eq!(decode_secret(""), None);
    }

    #[test]
    fn window_is_one_step_each_side() {
        let key = b"12345678901234567890";
        let now = 1_234_567_890;
        let s = step_of(now);
        assert_eq!(matching_step(key, &code_at_step(key, s), now), Some(s));
        assert_eq!(
            matching_step(key, &code_at_step(key, s - 1), now),
            Some(s - 1)
        );
        assert_eq!(
            matching_step(key, &code_at_step(key, s + 1), now),
            Some(s + 1)
        );
        assert_eq!(matching_step(key, &code_at_step(key, s + 2), now), None);
        assert_eq!(matching_step(key, "12345", now), None);
    }

    #[test]
    fn new_secrets_are_32_base32_chars() {
        let a = new_secret();
        assert_eq!(a.len(), 32);
        assert_eq!(decode_secret(&a).map(|k| k.len()), Some(20));
        assert_ne!(a, new_secret());
        assert_eq!(
            provisioning_uri("Acme Hub", "bob@x.org", "ABC"),
            "otpauth://totp/Acme%20Hub:bob%40x%2Eorg?secret=ABC&issuer=Acme%20Hub"
        );
    }
}
