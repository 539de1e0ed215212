//! Per-account validation of a Maian entry: required name and email, fallbacks for the
//! optional fields, and the limits that keep one entry from filling the database.

use std::net::IpAddr;

use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::config::MaianConfig;
use crate::mail::address;

/// Longest accepted display name, in characters (the original's column held 200).
const NAME_MAX_CHARS: usize = 200;

/// One valid entry, ready to be hashed and inserted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Trimmed display name.
    pub name: String,
    /// Trimmed, lower-cased email; also the user name.
    pub email: String,
    /// The supplied password, or `None` when blank (one is generated and mailed).
    pub password: Option<String>,
    /// An IANA zone name, or the configured default.
    pub timezone: String,
    /// A configured language, or the default.
    pub language: String,
    /// A parsed IP address in canonical form, or blank.
    pub ip: String,
    /// Free-text notes.
    pub notes: String,
}

/// Checks one entry. `Err` carries the message reported for this entry's index.
pub fn check(entry: &Value, cfg: &MaianConfig) -> Result<Candidate, String> {
    let Value::Object(fields) = entry else {
        return Err("The account entry must be a JSON object.".into());
    };
    let name = text(fields, "name")?.trim().to_string();
    let email = text(fields, "email")?.trim().to_ascii_lowercase();
    if name.is_empty() || email.is_empty() {
        return Err("Name and email are required.".into());
    }
    if name.chars().any(char::is_control) {
        return Err("The name contains control characters (such as line breaks).".into());
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(format!(
            "The name is longer than {NAME_MAX_CHARS} characters."
        ));
    }
    if !address::is_public(&email) {
        return Err("The email address is not valid.".into());
    }
    let password = text(fields, "password")?;
    let notes = text(fields, "notes")?;
    if notes.chars().count() > cfg.notes_max_chars {
        return Err(format!(
            "The notes are longer than {} characters.",
            cfg.notes_max_chars
        ));
    }
    let timezone = text(fields, "timezone")?.trim().to_string();
    let language = text(fields, "language")?.trim().to_ascii_lowercase();
    Ok(Candidate {
        name,
        email,
        password: (!password.trim().is_empty()).then(|| password.to_string()),
        timezone: if timezone.parse::<Tz>().is_ok() {
            timezone
        } else {
            cfg.default_timezone.clone()
        },
        language: cfg
            .languages
            .iter()
            .find(|known| known.eq_ignore_ascii_case(&language))
            .cloned()
            .unwrap_or_else(|| cfg.default_language.clone()),
        ip: text(fields, "ip")?
            .trim()
            .parse::<IpAddr>()
            .map(|ip| ip.to_string())
            .unwrap_or_default(),
        notes: notes.to_string(),
    })
}

/// A field as text: absent or `null` is blank; any other non-string type is refused.
fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(format!("The field \"{name}\" must be a string.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg() -> MaianConfig {
        MaianConfig {
            languages: vec!["english".into(), "german".into()],
            notes_max_chars: 10,
            ..MaianConfig::default()
        }
    }

    #[test]
    fn full_entry_and_fallbacks() {
        let c = check(
            &json!({"name":" Ann ","email":" Ann@Example.COM ","password":"p+q",
                    "timezone":"US/Pacific","language":"German","ip":"::1","notes":"hi"}),
            &cfg(),
        )
        .unwrap();
        assert_eq!(c.name, "Ann");
        assert_eq!(c.email, "ann@example.com");
        assert_eq!(c.password.as_deref(), Some("p+q"));
        assert_eq!(
            (c.timezone.as_str(), c.language.as_str()),
            ("US/Pacific", "german")
        );
        assert_eq!(c.ip, "::1");
        let c = check(
            &json!({"name":"B","email":"b@x.io","password":"  ","timezone":"Mars/Base",
                    "language":"klingon","ip":"999.1.1.1"}),
            &cfg(),
        )
        .unwrap();
        assert_eq!(c.password, None);
        assert_eq!(
            (c.timezone.as_str(), c.language.as_str()),
            ("UTC", "english")
        );
        assert_eq!(c.ip, "");
    }

    #[test]
    fn refusals() {
        let cfg = cfg();
        assert!(check(&json!({"email":"a@b.co"}), &cfg).is_err());
        assert!(check(&json!({"name":"A","email":"nope"}), &cfg).is_err());
        assert!(check(&json!({"name":5,"email":"a@b.co"}), &cfg).is_err());
        assert!(check(&json!({"name":"A","email":"a@b.co","ip":[1]}), &cfg).is_err());
        assert!(
            check(
                &json!({"name":"A","email":"a@b.co","notes":"01234567890"}),
                &cfg
            )
            .is_err()
        );
        assert!(check(&json!("x"), &cfg).is_err());
    }
}
