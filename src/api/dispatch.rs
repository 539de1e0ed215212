//! The static dispatch table: action name → (handler, key type, argument rules).
//! Each actions module exports its own slice; this table joins them.

use super::context::{Ctx, Outcome};
use super::keys::KeyType;
use super::validate::{Arg, Args};
use crate::actions;

/// How expensive an action is, which decides where the responder runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// Microseconds of SQLite work: run inline on the async worker.
    Light,
    /// Password or PIN hashing (tens of milliseconds): run on the bounded blocking pool.
    Hashing,
}

/// An action's entry in the table.
pub struct Action {
    /// Name as clients send it (case-sensitive).
    pub name: &'static str,
    /// Least key type allowed to call it.
    pub key_type: KeyType,
    /// Declared arguments, checked before the handler runs.
    pub args: &'static [Arg],
    /// The handler.
    pub run: fn(&Ctx, &Args) -> Outcome,
    /// Where the responder runs it.
    pub cost: Cost,
}

/// Every registered action, grouped by module.
pub static TABLE: &[&[Action]] = &[
    actions::basic::ACTIONS,
    actions::directory::ACTIONS,
    actions::notifications::ACTIONS,
    actions::credentials::ACTIONS,
    actions::profile::ACTIONS,
    actions::second_factor::ACTIONS,
    actions::mail::ACTIONS,
    actions::loginkeys::ACTIONS,
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
