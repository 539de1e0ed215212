//! The web face: the login page at `<public_url>/login/`, where users sign in for the apps
//! that use SSO login keys (and where CHANGE_PASSWORD users choose a new password). Pages
//! are HTML from compiled, auto-escaping templates (`templates/`); state lives in SQLite
//! (sessions, keys, limiter), so CGI processes serve it as well as the responder.

pub mod cookies;
pub mod login;
pub mod page;
pub mod policy;
pub mod redirect;
mod visit;

use crate::app::App;
use crate::request::Request;
use crate::response::Response;

/// Answers a request for the login page (it may hash passwords: run it where blocking is
/// allowed).
pub fn answer(app: &App, req: &Request) -> Response {
    login::answer(app, req)
}

/// The path of the login page as `public_url` names it (its path plus `login/`), for
/// faces that sign a browser in from elsewhere (the mobile API).
pub fn login_path(app: &App) -> String {
    let url = &app.config.public_url;
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let path = url[after_scheme..]
        .find('/')
        .map_or("/", |i| &url[after_scheme + i..]);
    let path = path.split(['?', '#']).next().unwrap_or("/");
    format!("{}/login/", path.trim_end_matches('/'))
}

/// An app over an in-memory database with this TOML configuration (unit tests).
#[cfg(test)]
pub(crate) fn test_app(toml: &str) -> App {
    let mut config = crate::config::Config::from_toml(toml).unwrap();
    config.database = ":memory:".into();
    App::open(config).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_lives_under_the_public_url() {
        let app = |url: &str| test_app(&format!("public_url = '{url}'"));
        assert_eq!(
            login_path(&app("https://id.example.org/accounthub/")),
            "/accounthub/login/"
        );
        assert_eq!(login_path(&app("http://h")), "/login/");
    }
}
