//! The address check applied to configured mail addresses before anything is queued, so a
//! typo in the config is reported at once (the original's `invalid_to_email` /
//! `invalid_from_email`) instead of failing later at the SMTP server.

/// True for a plain `local@domain` address: printable ASCII local part without quoting,
/// and a domain of letter/digit/hyphen labels separated by dots.
pub fn is_valid(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    valid_local(local) && valid_domain(domain)
}

fn valid_local(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
}

fn valid_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts_plain_addresses_only() {
        for ok in [
            "admin@example.org",
            "a.b+tag@mail.example.co",
            "root@localhost",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "",
            "admin",
            "@example.org",
            "admin@",
            "a b@example.org",
            "a..b@example.org",
            "admin@exa mple.org",
            "admin@-example.org",
            "admin@example..org",
            "Admin <admin@example.org>",
            "admin@example.org\r\nBcc: x@y.z",
        ] {
            assert!(!is_valid(bad), "{bad:?}");
        }
    }
}
