//! Small primitives for secrets: random tokens, digests, constant-time comparison and the
//! censored form that logs and listings show instead of a secret.

use rand::RngExt;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Alphabet of API keys and login keys: URL-safe, so keys survive being pasted into URLs.
pub const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Characters of generated passwords (CLI, Maian): no look-alikes (0/O, 1/l/I).
pub const PASSWORD_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// Upper-case hex digits of generated app passwords and sync codes.
pub const UPPER_HEX: &[u8] = b"0123456789ABCDEF";

/// A random string of `len` characters from `alphabet`, drawn from the OS-seeded CSPRNG.
pub fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// A uniform random number below `n` from the OS-seeded CSPRNG (one-time codes).
pub fn random_below(n: u32) -> u32 {
    rand::rng().random_range(0..n)
}

/// `N` random bytes from the OS-seeded CSPRNG (TOTP secrets).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill(&mut bytes[..]);
    bytes
}

/// Lower-case hex SHA-256 of the input: how API keys are stored.
pub fn sha256_hex(input: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(input))
}

/// Equality that takes the same time wherever the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Shortest secret whose first and last 2 characters are shown (at most half of it).
const CENSOR_SHOW_FROM: usize = 8;

/// Upper bounds of the length classes a censored form names; longer secrets are `>64`.
const LENGTH_CLASSES: [usize; 4] = [8, 16, 32, 64];

/// A short fixed-length stand-in for a secret in logs and listings: its first 2 and last
/// 2 characters (none for secrets under 8 characters) and its length class, e.g.
/// `ab…yz (≤64)`. However long the secret, the form stays under 20 characters, so a
/// request cannot grow a log by sending a huge key.
pub fn censor(secret: &str) -> String {
    let len = secret.chars().count();
    let class = match LENGTH_CLASSES.iter().find(|&&max| len <= max) {
        Some(max) => format!("≤{max}"),
        None => format!(">{}", LENGTH_CLASSES[LENGTH_CLASSES.len() - 1]),
    };
    if len < CENSOR_SHOW_FROM {
        return format!("… ({class})");
    }
    let head: String = secret.chars().take(2).collect();
    let tail: String = secret.chars().skip(len - 2).collect();
    format!("{head}…{tail} ({class})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn censor_keeps_only_the_ends_and_a_length_class() {
        assert_eq!(censor("abcdefgh"), "ab…gh (≤8)");
        assert_eq!(censor("abcdefghi"), "ab…hi (≤16)");
        assert_eq!(censor("abcdefg"), "… (≤8)");
        assert_eq!(censor(""), "… (≤8)");
        assert_eq!(censor(&"x".repeat(64)), "xx…xx (≤64)");
        let huge = format!("ab{}yz", "é".repeat(900_000));
        assert_eq!(censor(&huge), "ab…yz (>64)");
    }

    #[test]
    fn random_strings_use_the_alphabet() {
        let s = random_string(b"AB", 64);
        assert_eq!(s.len(), 64);
        assert!(s.chars().all(|c| c == 'A' || c == 'B'));
        assert_ne!(random_string(URL_SAFE, 32), random_string(URL_SAFE, 32));
    }

    #[test]
    fn digest_matches_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"diff"));
    }
}
