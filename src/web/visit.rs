//! One request's view of the login page: its fields, the login key and the return
//! address it is for, the session it is in, and how the page is drawn for it (CSRF token
//! included).

use std::collections::HashMap;

use super::cookies;
use super::page::{Page, Step, safe_icon};
use super::redirect;
use crate::actions::throttle::Guard;
use crate::app::App;
use crate::request::Request;
use crate::response::Response;
use crate::routing;
use crate::store::accounts::{self, Account, AccountStatus};
use crate::store::loginkeys::{self, PendingKey};
use crate::store::sessions::{self, Pending, Session};
use crate::{clock, secrets};

/// Largest form body read.
const BODY_MAX: usize = 64 * 1024;

/// Longest value kept from one form field or query parameter.
const FIELD_MAX: usize = 8192;

/// Why a request ends on an error page or a server failure.
pub(super) enum Stop {
    /// A page to show as is.
    Page(Box<Response>),
    /// The database or the hashing pool failed.
    Server(String),
}

impl From<rusqlite::Error> for Stop {
    fn from(e: rusqlite::Error) -> Stop {
        Stop::Server(format!("database: {e}"))
    }
}

/// A step of the page: its value, or the page (or failure) it ends on.
pub(super) type Flow<T> = Result<T, Stop>;

/// Ends the request with this page.
pub(super) fn stop_page(response: Response) -> Stop {
    Stop::Page(Box::new(response))
}

/// A page with only a message (no form) and a link to the plain sign-in page at `page`.
pub(super) fn message(app: &App, page: &str, text: &str) -> Page {
    Page {
        title: app.config.site_title.clone(),
        heading: format!("Sign in to {}", app.config.site_title),
        site: app.config.site_title.clone(),
        error: Some(text.to_string()),
        link: Some(page.to_string()),
        link_text: "Go to the sign-in page".into(),
        ..Page::default()
    }
    .at(Step::Message)
}

pub(super) fn query_fields(req: &Request) -> HashMap<String, String> {
    let (_, query) = routing::path_and_query(req);
    parse_fields(query.as_bytes())
}

pub(super) fn form_fields(req: &Request) -> Flow<HashMap<String, String>> {
    if req.content_length > BODY_MAX || req.body.len() > BODY_MAX {
        return Err(stop_page(Response::text(413, "413 Request body too large")));
    }
    let media = req.content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(stop_page(Response::text(
            415,
            "415 Send the form as application/x-www-form-urlencoded",
        )));
    }
    Ok(parse_fields(&req.body))
}

/// Form or query pairs; over-long values are cut, later duplicates win.
fn parse_fields(bytes: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.chars().take(FIELD_MAX).collect()))
        .collect()
}

/// One request's view of the page: its fields, the key it is for, the session it is in.
pub(super) struct Visit<'a> {
    pub(super) app: &'a App,
    pub(super) req: &'a Request,
    /// The page's path (form action, cookie path, redirects to itself).
    pub(super) page: &'a str,
    pub(super) fields: HashMap<String, String>,
    pub(super) ip: String,
    pub(super) now: i64,
    pub(super) code: String,
    pub(super) redirect: String,
    pub(super) key: Option<PendingKey>,
    pub(super) session: Option<(Session, Account)>,
}

impl<'a> Visit<'a> {
    /// Reads the key, the return address and the session; an unknown or expired key and a
    /// return address on a foreign origin end here with an error page.
    pub(super) fn open(
        app: &'a App,
        req: &'a Request,
        page: &'a str,
        fields: HashMap<String, String>,
    ) -> Flow<Visit<'a>> {
        let now = clock::unix_now();
        let code = fields.get("code").map_or("", |s| s.trim()).to_string();
        let redirect = fields.get("redirect").map_or("", |s| s.trim()).to_string();
        if !redirect.is_empty() && !redirect::allowed(app, &redirect) {
            return Err(stop_page(
                message(
                    app,
                    page,
                    "The address this sign-in would return to is not allowed.",
                )
                .respond(400),
            ));
        }
        let key = if code.is_empty() {
            None
        } else {
            match app.db.with(|c| loginkeys::find_pending(c, &code, now))? {
                Some(key) => Some(key),
                None => {
                    let text = "This sign-in link is invalid or has expired. Go back to the app and sign in again.";
                    return Err(stop_page(message(app, page, text).respond(400)));
                }
            }
        };
        let session = match cookies::get(&req.cookie, cookies::SESSION) {
            Some(token) => app.db.with(|c| {
                let Some(session) = sessions::find(c, token, now)? else {
                    return Ok(None);
                };
                let account = accounts::by_uid(c, session.uid)?.filter(|a| {
                    matches!(
                        a.status,
                        AccountStatus::Normal
                            | AccountStatus::ChangePassword
                            | AccountStatus::AlertOnAccess
                    )
                });
                Ok::<_, rusqlite::Error>(account.map(|a| (session, a)))
            })?,
            None => None,
        };
        Ok(Visit {
            app,
            req,
            page,
            ip: req.client_ip(&app.config.server.trusted_proxies),
            fields,
            now,
            code,
            redirect,
            key,
            session,
        })
    }

    pub(super) fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    /// The step still due in the session: its own, or a new password when an admin set
    /// CHANGE_PASSWORD after it signed in.
    pub(super) fn pending(&self) -> Option<Option<Pending>> {
        self.session.as_ref().map(|(s, a)| {
            s.pending
                .or((a.status == AccountStatus::ChangePassword).then_some(Pending::NewPassword))
        })
    }

    /// The page for `step`, filled from this visit.
    pub(super) fn page(&self, step: Step) -> Page {
        let site = &self.app.config.site_title;
        let (heading, subheading, icon, appname) = match &self.key {
            Some(key) => (
                format!("Login to {}", key.appname),
                format!("with your {site} account"),
                key.appicon.as_deref().and_then(safe_icon),
                key.appname.clone(),
            ),
            None => {
                let heading = if step == Step::Account {
                    format!("Your {site} account")
                } else {
                    format!("Sign in to {site}")
                };
                (heading, String::new(), None, site.clone())
            }
        };
        let username = match &self.session {
            Some((_, account)) => account.username.clone(),
            None => self.field("username").chars().take(255).collect(),
        };
        Page {
            title: heading.clone(),
            heading,
            subheading,
            icon,
            site: site.clone(),
            action: self.page.to_string(),
            code: self.code.clone(),
            redirect: self.redirect.clone(),
            username,
            appname,
            min_length: self.app.config.login.password_min_length,
            ..Page::default()
        }
        .at(step)
    }

    /// Renders `page` with this visit's CSRF token; before a session exists the token is
    /// the `ah_csrf` cookie, set here when the browser has none.
    pub(super) fn respond(&self, mut page: Page, status: u16) -> Response {
        if let Some((session, _)) = &self.session {
            page.csrf = session.csrf.clone();
            return page.respond(status);
        }
        match cookies::get(&self.req.cookie, cookies::CSRF) {
            Some(existing) => {
                page.csrf = existing.to_string();
                page.respond(status)
            }
            None => {
                page.csrf = cookies::new_csrf();
                let cookie = cookies::set(self.app, self.page, cookies::CSRF, &page.csrf, 86_400);
                page.respond(status).with_header("Set-Cookie", &cookie)
            }
        }
    }

    /// The form of `step` again, with an error above it.
    pub(super) fn again(&self, step: Step, status: u16, error: &str) -> Response {
        let mut page = self.page(step);
        page.error = Some(error.to_string());
        self.respond(page, status)
    }

    /// This page by GET, keeping the key and the return address (`extra` appended).
    pub(super) fn self_url(&self, extra: &[(&str, &str)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("code", self.code.as_str()),
            ("redirect", self.redirect.as_str()),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        let query = query.finish();
        if query.is_empty() {
            self.page.to_string()
        } else {
            format!("{}?{query}", self.page)
        }
    }

    pub(super) fn csrf_ok(&self) -> bool {
        let sent = self.field("csrf");
        if sent.is_empty() {
            return false;
        }
        let session = self.session.as_ref().map(|(s, _)| s.csrf.as_str());
        let cookie = cookies::get(&self.req.cookie, cookies::CSRF);
        [session, cookie]
            .into_iter()
            .flatten()
            .any(|expected| secrets::constant_time_eq(expected.as_bytes(), sent.as_bytes()))
    }

    /// Reserves an attempt for this (IP, user) pair before its secret is checked, or
    /// answers 429 with Retry-After while the limiter holds the pair.
    pub(super) fn throttled(&self, guard: &Guard, step: Step) -> Flow<()> {
        match guard.take(self.app)? {
            None => Ok(()),
            Some(wait) => {
                let minutes = wait.div_ceil(60);
                let text = format!(
                    "Too many failed attempts. Try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                );
                Err(stop_page(
                    self.again(step, 429, &text)
                        .with_header("Retry-After", &wait.to_string()),
                ))
            }
        }
    }

    pub(super) fn note(&self, username: &str) -> String {
        format!("Username: {}, Page: login", username.to_ascii_lowercase())
    }
}
