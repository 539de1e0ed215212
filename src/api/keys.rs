//! API key types and their ordering (reference §2.3), enforced unlike in the original.

/// Privilege of a key or requirement of an action: `NONE < AUTH < READ < FULL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyType {
    /// May call only `ping`, `mobileenabled`, `listapps`.
    None,
    /// May also check credentials.
    Auth,
    /// May also read the directory.
    Read,
    /// May call everything, writes included.
    Full,
}

impl KeyType {
    /// Parses a stored type name. Matching is exact (case-sensitive), as in the original;
    /// an unknown name yields `None` and the key can call nothing.
    pub fn parse(name: &str) -> Option<KeyType> {
        match name {
            "NONE" => Some(KeyType::None),
            "AUTH" => Some(KeyType::Auth),
            "READ" => Some(KeyType::Read),
            "FULL" => Some(KeyType::Full),
            _ => None,
        }
    }

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::None => "NONE",
            KeyType::Auth => "AUTH",
            KeyType::Read => "READ",
            KeyType::Full => "FULL",
        }
    }

    /// True if a key of type `held` (as stored) may call an action requiring `self`.
    pub fn allowed_for(self, held: &str) -> bool {
        KeyType::parse(held).is_some_and(|held| held >= self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchy_is_enforced() {
        assert!(KeyType::None.allowed_for("NONE"));
        assert!(KeyType::Read.allowed_for("FULL"));
        assert!(!KeyType::Full.allowed_for("READ"));
        assert!(!KeyType::Auth.allowed_for("NONE"));
        assert!(!KeyType::None.allowed_for("full"));
        assert!(!KeyType::None.allowed_for("ADMIN"));
    }
}
