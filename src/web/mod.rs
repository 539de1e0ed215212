//! The web face: the login page at `<public_url>/login/`, where users sign in for the apps
//! that use SSO login keys (and where CHANGE_PASSWORD users choose a new password). Pages
//! are HTML from compiled, auto-escaping templates (`templates/`); state lives in SQLite
//! (sessions, keys, limiter), so CGI processes serve it as well as the responder.

pub mod cookies;
pub mod login;
pub mod page;
pub mod policy;
pub mod redirect;

use crate::app::App;
use crate::request::Request;
use crate::response::Response;
use crate::routing;

/// Whether this request is for the login page (`<prefix>login/` or `<prefix>login`).
pub fn claims(app: &App, req: &Request) -> bool {
    let (path, _) = routing::path_and_query(req);
    let page = login_path(app);
    path == page || path == page.trim_end_matches('/')
}

/// Answers a request for the login page (it may hash passwords: run it where blocking is
/// allowed).
pub fn answer(app: &App, req: &Request) -> Response {
    login::answer(app, req)
}

/// The path of the login page: the path of `public_url` plus `login/`.
pub fn login_path(app: &App) -> String {
    let url = &app.config.public_url;
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let path = url[after_scheme..]
        .find('/')
        .map_or("/", |i| &url[after_scheme + i..]);
    let path = path.split(['?', '#']).next().unwrap_or("/");
    format!("{}/login/", path.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn app(public_url: &str) -> App {
        let mut config = Config::from_toml(&format!("public_url = '{public_url}'")).unwrap();
        config.database = ":memory:".into();
        App::open(config).unwrap()
    }

    #[test]
    fn the_page_lives_under_the_public_url() {
        let get = |uri: &str| Request {
            method: "GET".into(),
            uri: uri.into(),
            ..Request::default()
        };
        let a = app("https://id.example.org/accounthub/");
        assert_eq!(login_path(&a), "/accounthub/login/");
        assert!(claims(&a, &get("/accounthub/login/?code=x")));
        assert!(claims(&a, &get("/accounthub/login")));
        assert!(!claims(&a, &get("/accounthub/api/login/")));
        assert!(!claims(&a, &get("/accounthub/login/x")));
        assert_eq!(login_path(&app("http://h")), "/login/");
    }
}
