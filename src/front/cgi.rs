//! The CGI face: one request from the environment and stdin, one answer on stdout, exit.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;

use crate::app::App;
use crate::config::Config;
use crate::pipeline;
use crate::request::Request;
use crate::response::Response;

/// Serves the one request of this process and returns the exit code.
pub fn run(config: Result<Config, String>) -> i32 {
    let env: HashMap<String, Vec<u8>> = std::env::vars_os()
        .map(|(k, v)| (k.to_string_lossy().into_owned(), v.as_bytes().to_vec()))
        .collect();
    let response = match config.and_then(App::open) {
        Ok(app) => {
            let req = read_request(&env, app.config.body_limit);
            pipeline::answer(&app, &req)
        }
        Err(e) => {
            crate::log::error(&e);
            Response::unavailable()
        }
    };
    let mut out = std::io::stdout().lock();
    match out
        .write_all(&response.to_cgi_bytes())
        .and_then(|()| out.flush())
    {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// Reads CONTENT_LENGTH bytes of body, unless that exceeds the limit (then the
/// pipeline answers 413 from the declared length without reading it).
fn read_request(env: &HashMap<String, Vec<u8>>, body_limit: usize) -> Request {
    let declared: usize = env
        .get("CONTENT_LENGTH")
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = Vec::new();
    if declared > 0 && declared <= body_limit {
        let _ = std::io::stdin()
            .lock()
            .take(declared as u64)
            .read_to_end(&mut body);
    }
    let mut req = Request::from_params(|name| env.get(name).map(Vec::as_slice), body);
    req.content_length = declared;
    req
}
