//! Actions any key may call: `ping`, `mobileenabled`, `listapps`.

use serde_json::{Map, Value, json};

use super::{Action, Args, Cost, Ctx, KeyType, Outcome};

/// This module's part of the dispatch table.
pub const ACTIONS: &[Action] = &[
    Action {
        name: "ping",
        key_type: KeyType::None,
        args: &[],
        run: ping,
        cost: Cost::Light,
    },
    Action {
        name: "mobileenabled",
        key_type: KeyType::None,
        args: &[],
        run: mobileenabled,
        cost: Cost::Light,
    },
    Action {
        name: "listapps",
        key_type: KeyType::None,
        args: &[],
        run: listapps,
        cost: Cost::Light,
    },
];

fn ping(_: &Ctx, _: &Args) -> Outcome {
    Ok(json!({"status": "OK"}))
}

fn mobileenabled(ctx: &Ctx, _: &Args) -> Outcome {
    Ok(json!({"status": "OK", "mobile": ctx.app.config.mobile_enabled}))
}

fn listapps(ctx: &Ctx, _: &Args) -> Outcome {
    let public_url = &ctx.app.config.public_url;
    let apps: Map<String, Value> = ctx
        .app
        .config
        .apps
        .iter()
        .map(|(id, app)| {
            let mut app = app.clone();
            if let Some(url) = app.get("url").and_then(Value::as_str) {
                let absolute = absolute_url(public_url, url);
                app["url"] = Value::String(absolute);
            }
            (id.clone(), app)
        })
        .collect();
    Ok(json!({"status": "OK", "apps": apps}))
}

/// Makes an app URL absolute against the configured public URL (never the Host header):
/// absolute URLs stay, `/path` joins the origin, anything else joins the public URL.
pub fn absolute_url(public_url: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        return url.to_string();
    }
    if url.starts_with('/') {
        return format!("{}{url}", origin(public_url));
    }
    format!("{}/{url}", public_url.trim_end_matches('/'))
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => &url[..after_scheme + slash],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_made_absolute_from_config() {
        let base = "https://example.org:8443/accounthub/";
        assert_eq!(
            absolute_url(base, "/qwikclock/"),
            "https://example.org:8443/qwikclock/"
        );
        assert_eq!(
            absolute_url(base, "login/"),
            "https://example.org:8443/accounthub/login/"
        );
        assert_eq!(absolute_url(base, "http://other/x"), "http://other/x");
    }
}
