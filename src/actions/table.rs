//! The static dispatch table: action name → its `Action` entry.
//! Each actions module exports its own slice; this table joins them.

use super::contract::Action;
use super::{
    basic, codes, credentials, directory, loginkeys, mail, notifications, profile, second_factor,
};

/// Every registered action, grouped by module.
pub static TABLE: &[&[Action]] = &[
    basic::ACTIONS,
    directory::ACTIONS,
    notifications::ACTIONS,
    credentials::ACTIONS,
    profile::ACTIONS,
    second_factor::ACTIONS,
    mail::ACTIONS,
    codes::ACTIONS,
    loginkeys::ACTIONS,
];

/// Looks up an action by exact name.
pub fn find(name: &str) -> Option<&'static Action> {
    TABLE
        .iter()
        .flat_map(|group| group.iter())
        .find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = TABLE
            .iter()
            .flat_map(|g| g.iter())
            .map(|a| a.name)
            .collect();
        let total = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), total);
        assert!(find("ping").is_some());
        assert!(find("PING").is_none());
    }
}
