//! The configuration part of `accounthub check`: every unknown key and bad value of the
//! file, each with its line, instead of only the first one that loading stops at.
//!
//! serde stops at the first error, so the file is parsed once into toml's spanned tree and
//! deserialized again after each error with the offending entry taken out, until what is
//! left loads; the values that parse but cannot be used are then located by their key.

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, Deserializer};

use crate::config::Config;

/// Errors reported per file at most (each pass removes one entry).
const MAX_PROBLEMS: usize = 100;

/// The problems of the config file `path` with text `text`, one line each
/// (`FILE:LINE: message`), and the configuration that loads once they are left out.
pub fn problems(path: &Path, text: &str) -> (Vec<String>, Option<Config>) {
    let at = |span: Option<Range<usize>>, msg: &str| match span {
        Some(span) => format!("{}:{}: {msg}", path.display(), line_of(text, span.start)),
        None => format!("{}: {msg}", path.display()),
    };
    let mut root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => return (vec![at(e.span(), e.message())], None),
    };
    let mut out = Vec::new();
    while out.len() < MAX_PROBLEMS {
        match Config::deserialize(Deserializer::from(root.clone())) {
            Ok(config) => {
                for (key, msg) in config.value_problems() {
                    out.push(at(span_of(root.get_ref(), key), &msg));
                }
                return (out, Some(config));
            }
            Err(e) => {
                out.push(at(e.span(), e.message()));
                let removed = e
                    .span()
                    .is_some_and(|span| remove_at(root.get_mut(), span.start));
                if !removed {
                    break;
                }
            }
        }
    }
    (out, None)
}

/// 1-based line number of byte offset `pos`.
fn line_of(text: &str, pos: usize) -> usize {
    text.as_bytes()[..pos.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn contains(span: &Range<usize>, pos: usize) -> bool {
    span.start <= pos && pos < span.end.max(span.start + 1)
}

/// Removes the innermost entry of `table` whose key or value covers `pos`. Nested tables
/// are searched first: the span of a `[section]` value need not cover its keys.
fn remove_at(table: &mut DeTable<'_>, pos: usize) -> bool {
    for (_, value) in table.iter_mut() {
        if let DeValue::Table(inner) = value.get_mut()
            && remove_at(inner, pos)
        {
            return true;
        }
    }
    let hit = table
        .iter()
        .find(|(k, v)| contains(&k.span(), pos) || contains(&v.span(), pos))
        .map(|(k, _)| k.clone());
    hit.is_some_and(|key| table.remove(&key).is_some())
}

/// Span of the value at dotted `key` (`mail.security`), else of the nearest table on the
/// way, so a bad default-derived value still points somewhere useful.
fn span_of(table: &DeTable<'_>, key: &str) -> Option<Range<usize>> {
    let (first, rest) = match key.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (key, None),
    };
    let value: &Spanned<DeValue<'_>> = table.get(first)?;
    match (rest, value.get_ref()) {
        (Some(rest), DeValue::Table(inner)) => span_of(inner, rest).or(Some(value.span())),
        _ => Some(value.span()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        problems(Path::new("a.toml"), text).0
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = "database = '/x.sqlite'\ndatabse = 'typo'\n\n[server]\nlog_level = 'loud'\n\
                    shutdown_grace_secs = 'soon'\n[mail]\nport = 99999\nsecurity = 'ssl3'\n\
                    [mial]\nhost = 'x'\n";
        let found = lines(text);
        assert_eq!(found.len(), 6, "{found:#?}");
        assert!(
            found[0].starts_with("a.toml:2: ") && found[0].contains("databse"),
            "{found:?}"
        );
        let joined = found.join("\n");
        for needle in [
            "a.toml:6: ",
            "a.toml:8: ",
            "a.toml:10: ",
            "a.toml:5: unknown log level",
            "a.toml:9: mail.security",
        ] {
            assert!(joined.contains(needle), "{needle} missing in {joined}");
        }
    }

    #[test]
    fn a_clean_file_has_no_problems_and_a_syntax_error_has_one() {
        let (found, config) = problems(Path::new("a.toml"), "timezone = 'Europe/Paris'\n");
        assert!(found.is_empty());
        assert_eq!(config.unwrap().timezone, "Europe/Paris");
        let found = lines("a = \n");
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("a.toml:1: "), "{found:?}");
    }
}
