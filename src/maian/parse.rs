//! The `accounts.account` member of a Maian wrapper: one object or a list of them.

use serde_json::{Map, Value};

/// The entries of `accounts.account`: one object, or an array of entries.
pub fn entries(wrapper: &Map<String, Value>) -> Result<Vec<&Value>, &'static str> {
    let Some(accounts) = wrapper.get("accounts") else {
        return Err("No accounts in the request: send \"accounts\":{\"account\":{..} or [..]}.");
    };
    let Value::Object(accounts) = accounts else {
        return Err("\"accounts\" must be an object holding \"account\".");
    };
    match accounts.get("account") {
        Some(Value::Array(list)) if !list.is_empty() => Ok(list.iter().collect()),
        Some(one @ Value::Object(_)) => Ok(vec![one]),
        Some(Value::Array(_)) | None => {
            Err("No accounts in the request: \"accounts.account\" is missing or empty.")
        }
        Some(_) => Err("\"accounts.account\" must be an object or an array of objects."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_as_object_or_array() {
        let one = serde_json::json!({"accounts": {"account": {"name": "a"}}});
        assert_eq!(entries(one.as_object().unwrap()).unwrap().len(), 1);
        let two = serde_json::json!({"accounts": {"account": [{}, {}]}});
        assert_eq!(entries(two.as_object().unwrap()).unwrap().len(), 2);
        for bad in [
            serde_json::json!({}),
            serde_json::json!({"accounts": []}),
            serde_json::json!({"accounts": {"account": []}}),
            serde_json::json!({"accounts": {"account": "x"}}),
        ] {
            assert!(entries(bad.as_object().unwrap()).is_err());
        }
    }
}
