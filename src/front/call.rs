//! The `accounthub call` face: one API request from the command line, run through the same
//! pipeline stages and dispatch table with the trust of a FULL key, JSON printed on stdout.

use serde_json::Value;

use crate::app::App;
use crate::pipeline;
use crate::routing::Params;

/// Builds the parameters from `name=value` words and an optional JSON object, runs the
/// action and prints the answer. Exit code: 0 for `"status":"OK"`, 1 for ERROR, 2 for a
/// request-level refusal (unknown action, bad arguments).
pub fn run(app: &App, action: &str, pairs: &[String], json: Option<&str>) -> Result<i32, String> {
    let mut params = Params::new();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("argument {pair:?} is not name=value"))?;
        params.insert(name.to_string(), Value::String(value.to_string()));
    }
    if let Some(json) = json {
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(map)) => params.extend(map),
            Ok(_) => return Err("--json must be a JSON object".into()),
            Err(e) => return Err(format!("--json is not valid JSON: {e}")),
        }
    }
    params.insert("action".into(), Value::String(action.to_string()));
    let response = pipeline::prepare_call(app, &params).run(app);
    let body = String::from_utf8_lossy(&response.body);
    if response.status != 200 {
        eprintln!("{body}");
        return Ok(2);
    }
    println!("{body}");
    let ok = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("status").and_then(Value::as_str).map(|s| s == "OK"))
        .unwrap_or(false);
    Ok(if ok { 0 } else { 1 })
}
