//! The argument rules every action declares in the dispatch table, and the checker that
//! turns raw parameters into typed `Args` or names the offending variable .
//!
//! Blank means missing, JSON null or `""`; unlike the original, `"0"` is a value.
//! Required and optional entries are checked in declaration order and the first failure is
//! reported, except that an OR group in which no member is valid fails at once, naming the
//! group's last member.

use serde_json::{Map, Value};

/// Parameters of one API call, name to value, as routing merged them from every source;
/// JSON bodies keep their value types.
pub type Params = Map<String, Value>;

/// What a value must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string (JSON numbers and booleans are refused, as by the original).
    Str,
    /// An integer id: a JSON integer or a decimal string (`-1`, ` 12` accepted).
    Id,
    /// A boolean: JSON true/false, 1/0, or the strings 1/0/true/false/yes/no/on/off.
    Bool,
    /// A local wall-clock time `YYYY-MM-DD HH:MM:SS`, kept as its string (the action
    /// converts it in the configured zone, which this checker does not know).
    Time,
}

/// One entry of an action's argument list.
#[derive(Debug, Clone, Copy)]
pub enum Arg {
    /// Must be present and valid.
    Required(&'static str, Kind),
    /// May be blank; if present it must be valid.
    Optional(&'static str, Kind),
    /// At least one member must be present and valid (e.g. `username` or `uid`).
    AnyOf(&'static [(&'static str, Kind)]),
}

/// A checked value.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgValue {
    /// A non-empty string.
    Str(String),
    /// An integer id.
    Id(i64),
    /// A boolean.
    Bool(bool),
}

/// The checked arguments of one call: only declared, present and valid names.
#[derive(Debug, Clone, Default)]
pub struct Args(Vec<(&'static str, ArgValue)>);

impl Args {
    fn get(&self, name: &str) -> Option<&ArgValue> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// A string argument, if present.
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(ArgValue::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// An id argument, if present.
    pub fn id(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Some(ArgValue::Id(n)) => Some(*n),
            _ => None,
        }
    }

    /// A boolean argument, if present.
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.get(name) {
            Some(ArgValue::Bool(b)) => Some(*b),
            _ => None,
        }
    }
}

/// A parameter as text: strings as they are, numbers as digits, anything else blank.
pub fn text_param(params: &Params, name: &str) -> String {
    match params.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Checks `params` against `rules`; on failure returns the variable name for the 400 text.
pub fn check(rules: &[Arg], params: &Params) -> Result<Args, &'static str> {
    let mut args = Vec::new();
    let mut first_failure = None;
    for rule in rules {
        match *rule {
            Arg::Required(name, kind) => match read(params.get(name), kind) {
                Some(Some(v)) => args.push((name, v)),
                _ => {
                    first_failure.get_or_insert(name);
                }
            },
            Arg::Optional(name, kind) => match read(params.get(name), kind) {
                Some(Some(v)) => args.push((name, v)),
                Some(None) => {
                    first_failure.get_or_insert(name);
                }
                None => {}
            },
            Arg::AnyOf(members) => {
                let before = args.len();
                for &(name, kind) in members {
                    if let Some(Some(v)) = read(params.get(name), kind) {
                        args.push((name, v));
                    }
                }
                if args.len() == before {
                    return Err(members.last().map_or("", |m| m.0));
                }
            }
        }
    }
    match first_failure {
        Some(name) => Err(name),
        None => Ok(Args(args)),
    }
}

/// `None`: blank. `Some(None)`: present but invalid. `Some(Some(v))`: valid.
fn read(value: Option<&Value>, kind: Kind) -> Option<Option<ArgValue>> {
    let value = match value {
        None | Some(Value::Null) => return None,
        Some(Value::String(s)) if s.is_empty() => return None,
        Some(v) => v,
    };
    Some(match kind {
        Kind::Str => value.as_str().map(|s| ArgValue::Str(s.to_string())),
        Kind::Id => parse_id(value).map(ArgValue::Id),
        Kind::Bool => parse_bool(value).map(ArgValue::Bool),
        Kind::Time => value
            .as_str()
            .filter(|s| chrono::NaiveDateTime::parse_from_str(s, crate::clock::FORMAT).is_ok())
            .map(|s| ArgValue::Str(s.to_string())),
    })
}

fn parse_id(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            t.strip_prefix('+').unwrap_or(t).parse().ok()
        }
        _ => None,
    }
}

/// Reads the usual spellings of a boolean.
pub fn parse_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Some(true),
            "0" | "false" | "no" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Params {
        v.as_object().unwrap().clone()
    }

    const USER: &[Arg] = &[
        Arg::AnyOf(&[("username", Kind::Str), ("uid", Kind::Id)]),
        Arg::Required("code", Kind::Str),
        Arg::Optional("get", Kind::Str),
    ];

    #[test]
    fn or_group_names_its_last_member() {
        assert_eq!(
            check(USER, &params(json!({"code": "X"}))).unwrap_err(),
            "uid"
        );
        // The OR failure wins over an earlier-declared... and a later plain failure.
        assert_eq!(check(USER, &params(json!({}))).unwrap_err(), "uid");
        assert_eq!(
            check(USER, &params(json!({"username": 5, "code": "X"}))).unwrap_err(),
            "uid"
        );
    }

    #[test]
    fn either_member_passes() {
        let a = check(USER, &params(json!({"uid": "12", "code": "X"}))).unwrap();
        assert_eq!(a.id("uid"), Some(12));
        let a = check(USER, &params(json!({"username": "bob", "code": "X"}))).unwrap();
        assert_eq!(a.str("username"), Some("bob"));
        let a = check(
            USER,
            &params(json!({"username": "bob", "uid": "abc", "code": "X"})),
        )
        .unwrap();
        assert_eq!(a.id("uid"), None);
    }

    #[test]
    fn first_plain_failure_in_declaration_order() {
        const R: &[Arg] = &[Arg::Required("a", Kind::Str), Arg::Required("b", Kind::Str)];
        assert_eq!(check(R, &params(json!({}))).unwrap_err(), "a");
        assert_eq!(check(R, &params(json!({"a": "x"}))).unwrap_err(), "b");
    }

    #[test]
    fn blank_is_missing_but_zero_is_a_value() {
        const R: &[Arg] = &[Arg::Required("pin", Kind::Str)];
        assert_eq!(check(R, &params(json!({"pin": ""}))).unwrap_err(), "pin");
        assert_eq!(check(R, &params(json!({"pin": null}))).unwrap_err(), "pin");
        assert_eq!(
            check(R, &params(json!({"pin": "0"}))).unwrap().str("pin"),
            Some("0")
        );
    }

    #[test]
    fn kinds() {
        const R: &[Arg] = &[Arg::Optional("n", Kind::Id), Arg::Optional("b", Kind::Bool)];
        assert_eq!(
            check(R, &params(json!({"n": "-1"}))).unwrap().id("n"),
            Some(-1)
        );
        assert_eq!(check(R, &params(json!({"n": 7}))).unwrap().id("n"), Some(7));
        for bad in [
            json!("1.9"),
            json!("1e3"),
            json!(1.5),
            json!("99999999999999999999"),
            json!("0x1"),
        ] {
            assert_eq!(check(R, &params(json!({"n": bad}))).unwrap_err(), "n");
        }
        assert_eq!(
            check(R, &params(json!({"b": true}))).unwrap().bool("b"),
            Some(true)
        );
        assert_eq!(
            check(R, &params(json!({"b": "0"}))).unwrap().bool("b"),
            Some(false)
        );
        assert_eq!(
            check(R, &params(json!({"b": false}))).unwrap().bool("b"),
            Some(false)
        );
        assert_eq!(check(R, &params(json!({"b": "maybe"}))).unwrap_err(), "b");
        const T: &[Arg] = &[Arg::Optional("t", Kind::Time)];
        assert_eq!(
            check(T, &params(json!({"t": "2020-07-04 15:30:05"})))
                .unwrap()
                .str("t"),
            Some("2020-07-04 15:30:05")
        );
        for bad in [json!("2020-07-04"), json!("2020-02-30 10:00:00"), json!(1)] {
            assert_eq!(check(T, &params(json!({"t": bad}))).unwrap_err(), "t");
        }
        // A string rule refuses JSON numbers, like the original.
        const S: &[Arg] = &[Arg::Required("s", Kind::Str)];
        assert_eq!(check(S, &params(json!({"s": 123}))).unwrap_err(), "s");
    }
}
