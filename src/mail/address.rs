//! The one e-mail address check. Configured mail addresses are checked before anything is
//! queued, so a typo in the config is reported at once (the original's `invalid_to_email`
//! / `invalid_from_email`) instead of failing later at the SMTP server; the addresses of
//! accounts created through the Maian API must also be reachable from the internet.

/// True for a plain `local@domain` address: printable ASCII local part without quoting,
/// and a domain of letter/digit/hyphen labels separated by dots.
pub fn is_valid(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    valid_local(local) && valid_domain(domain)
}

/// True for a valid address whose domain has at least two labels (`a@example.org`, not
/// `root@localhost`): what an account's own address must look like.
pub fn is_public(address: &str) -> bool {
    is_valid(address)
        && address
            .rsplit_once('@')
            .is_some_and(|(_, d)| d.contains('.'))
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
    use super::{is_public, is_valid};

    #[test]
    fn account_addresses_need_a_dotted_domain() {
        for ok in ["a@b.co", "first.last+tag@mail.example.org", "x_y@a-b.io"] {
            assert!(is_public(ok), "{ok}");
        }
        for bad in [
            "", "a", "a@b", "@b.co", "a@@b.co", "a b@c.de", "a@b..co", ".a@b.co", "a.@b.co",
            "a@-b.co", "a@b-.co", "a@b.c_o", "a@b@c.de",
        ] {
            assert!(!is_public(bad), "{bad}");
        }
    }

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
