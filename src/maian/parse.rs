//! The Maian request body: JSON, or (as the Maian docs allow) JSON URL-encoded as a whole,
//! and the `accounts.account` member as one object or a list of them.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

/// Reads the body as a JSON object. Plain JSON is read as it is, so a literal `+` in a
/// password stays `+`; only when that fails is the body URL-decoded (`+` → space, `%XX`)
/// as a whole and read again.
pub fn body(bytes: &[u8]) -> Result<Map<String, Value>, &'static str> {
    let text = String::from_utf8_lossy(bytes);
    if text.trim().is_empty() {
        return Err(
            "The request body is empty: send the JSON wrapper {\"api\":..,\"op\":\"account\",\"accounts\":{..}}.",
        );
    }
    let parsed = serde_json::from_str::<Value>(&text).or_else(|_| {
        let spaced = text.replace('+', " ");
        serde_json::from_str::<Value>(&percent_decode_str(&spaced).decode_utf8_lossy())
    });
    match parsed {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("The request body must be a JSON object."),
        Err(_) => Err("The request body is not valid JSON (plain or URL-encoded)."),
    }
}

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
    fn plain_json_keeps_plus_and_percent() {
        let m = body(br#"{"p":"a+b%2Bc"}"#).unwrap();
        assert_eq!(m["p"], "a+b%2Bc");
    }

    #[test]
    fn url_encoded_body_is_decoded_as_a_whole() {
        let m = body(b"%7B%22p%22%3A%22a%2Bb+c%22%7D").unwrap();
        assert_eq!(m["p"], "a+b c");
    }

    #[test]
    fn bad_bodies_are_refused() {
        assert!(body(b"").is_err());
        assert!(body(b"{nope").is_err());
        assert!(body(b"[1]").is_err());
    }

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
