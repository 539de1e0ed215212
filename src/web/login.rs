//! The login page's flow. GET shows the step the browser's session is at; each POST
//! handles one step and answers with a redirect (POST/redirect/GET) or the same form with
//! an error:
//!
//! 1. user name + password (throttled per IP and user, audited; the ALERT_ON_ACCESS mail
//!    is queued once the password is verified) → a session cookie;
//! 2. the TOTP code of a 2FA account (replays refused);
//! 3. a new password for a CHANGE_PASSWORD account (minimum length, common passwords);
//! 4. signed in: the login key of `code` is approved and the browser goes to `redirect`,
//!    which must be on an allowed origin. Without a code the page is the account page,
//!    where a signed-in user can change the password.
//!
//! Every form carries a CSRF token: the session's own, or before a session exists the
//! double-submit `ah_csrf` cookie.

use std::collections::HashMap;

use rusqlite::Connection;

use super::cookies;
use super::page::{Page, Step, safe_icon};
use super::policy;
use super::redirect;
use crate::actions::throttle::{Guard, Secret};
use crate::app::App;
use crate::mail::alert::{self, AlertError};
use crate::password::{self, Verdict};
use crate::request::Request;
use crate::response::Response;
use crate::routing;
use crate::store::accounts::{self, Account, Field};
use crate::store::authlog::{self, LogType};
use crate::store::loginkeys::{self, PendingKey};
use crate::store::sessions::{self, Pending, Session};
use crate::{clock, secrets, totp};

/// Largest form body read.
const BODY_MAX: usize = 64 * 1024;

/// Longest value kept from one form field or query parameter.
const FIELD_MAX: usize = 8192;

/// Seconds a half-done sign-in (TOTP or new password still due) may take.
const PENDING_TTL: i64 = 600;

/// Status ids (acctstatus).
const NORMAL: i64 = 1;
const CHANGE_PASSWORD: i64 = 3;
const ALERT_ON_ACCESS: i64 = 5;

const LOGIN_INCORRECT: &str = "Login incorrect.";

/// Why a request ends on an error page or a server failure.
enum Stop {
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

type Flow<T> = Result<T, Stop>;

/// Ends the request with this page.
fn stop_page(response: Response) -> Stop {
    Stop::Page(Box::new(response))
}

/// Answers one request for the login page. Forms, redirects and cookies use the path the
/// request came in on (always with its final slash), so any prefix works.
pub fn answer(app: &App, req: &Request) -> Response {
    let (path, _) = routing::path_and_query(req);
    let page = format!("{}/", path.trim_end_matches('/'));
    let outcome = match req.method.as_str() {
        "GET" | "HEAD" => Visit::open(app, req, &page, query_fields(req)).and_then(|v| v.show()),
        "POST" => form_fields(req).and_then(|f| Visit::open(app, req, &page, f)?.submit()),
        _ => Err(stop_page(
            message(app, &page, "This page only answers GET and POST.").respond(405),
        )),
    };
    match outcome {
        Ok(response) => response,
        Err(Stop::Page(response)) => *response,
        Err(Stop::Server(why)) => {
            crate::log::error(&format!("login page: {why}"));
            let text = "The account server is temporarily unavailable. Try again later.";
            message(app, &page, text).respond(503)
        }
    }
}

/// A page with only a message (no form) and a link to the plain sign-in page at `page`.
fn message(app: &App, page: &str, text: &str) -> Page {
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

fn query_fields(req: &Request) -> HashMap<String, String> {
    let (_, query) = routing::path_and_query(req);
    parse_fields(query.as_bytes())
}

fn form_fields(req: &Request) -> Flow<HashMap<String, String>> {
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
struct Visit<'a> {
    app: &'a App,
    req: &'a Request,
    /// The page's path (form action, cookie path, redirects to itself).
    page: &'a str,
    fields: HashMap<String, String>,
    ip: String,
    now: i64,
    code: String,
    redirect: String,
    key: Option<PendingKey>,
    session: Option<(Session, Account)>,
}

impl<'a> Visit<'a> {
    /// Reads the key, the return address and the session; an unknown or expired key and a
    /// return address on a foreign origin end here with an error page.
    fn open(
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
                let account = accounts::by_uid(c, session.uid)?
                    .filter(|a| matches!(a.acctstatus, NORMAL | CHANGE_PASSWORD | ALERT_ON_ACCESS));
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

    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    /// The step still due in the session: its own, or a new password when an admin set
    /// CHANGE_PASSWORD after it signed in.
    fn pending(&self) -> Option<Option<Pending>> {
        self.session.as_ref().map(|(s, a)| {
            s.pending
                .or((a.acctstatus == CHANGE_PASSWORD).then_some(Pending::NewPassword))
        })
    }

    /// The page as GET shows it for this session.
    fn show(&self) -> Flow<Response> {
        let notice =
            (self.field("notice") == "changed").then(|| "Your password was changed.".to_string());
        let step = match self.pending() {
            None => Step::Password,
            Some(Some(Pending::Totp)) => Step::Totp,
            Some(Some(Pending::NewPassword)) => Step::NewPassword,
            Some(None) if self.key.is_some() => Step::Continue,
            Some(None) => Step::Account,
        };
        let mut page = self.page(step);
        page.notice = notice;
        Ok(self.respond(page, 200))
    }

    /// The page for `step`, filled from this visit.
    fn page(&self, step: Step) -> Page {
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
    fn respond(&self, mut page: Page, status: u16) -> Response {
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
    fn again(&self, step: Step, status: u16, error: &str) -> Response {
        let mut page = self.page(step);
        page.error = Some(error.to_string());
        self.respond(page, status)
    }

    /// This page by GET, keeping the key and the return address (`extra` appended).
    fn self_url(&self, extra: &[(&str, &str)]) -> String {
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

    fn csrf_ok(&self) -> bool {
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

    /// Handles one posted form.
    fn submit(self) -> Flow<Response> {
        if !self.csrf_ok() {
            let mut page = message(
                self.app,
                self.page,
                "This form has expired or did not come from this page. Reload the page and try again.",
            );
            page.link = Some(self.self_url(&[]));
            page.link_text = "Reload the sign-in page".into();
            return Ok(page.respond(403));
        }
        match (self.field("step"), self.pending()) {
            ("password", None) => self.password_step(),
            ("totp", Some(Some(Pending::Totp))) => self.totp_step(),
            ("newpass", Some(Some(Pending::NewPassword))) => self.new_password_step(true),
            ("newpass", Some(None)) => self.new_password_step(false),
            ("continue", Some(None)) => {
                let uid = self.session.as_ref().map_or(0, |(s, _)| s.uid);
                let done = self.app.db.write(|tx| self.complete(tx, uid))?;
                self.finished(done, None)
            }
            ("logout", Some(_)) => self.logout(),
            // A form of another step (an old tab, a double submit): show where things are.
            ("password" | "totp" | "newpass" | "continue" | "logout", _) => {
                Ok(Response::see_other(&self.self_url(&[])))
            }
            _ => Ok(message(self.app, self.page, "This form is not known here.").respond(400)),
        }
    }

    /// Answers 429 with Retry-After while the limiter holds this (IP, user) pair.
    fn throttled(&self, guard: &Guard, step: Step) -> Flow<()> {
        match guard.blocked_for(self.app)? {
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

    fn note(&self, username: &str) -> String {
        format!("Username: {}, Page: login", username.to_ascii_lowercase())
    }

    fn password_step(&self) -> Flow<Response> {
        let username: String = self.field("username").trim().chars().take(255).collect();
        let candidate = self.field("password").to_string();
        let guard = Guard::for_ip(self.app, Secret::Password, &self.ip, &username);
        self.throttled(&guard, Step::Password)?;
        let account = self.app.db.with(|c| accounts::by_username(c, &username))?;
        let stored = account.as_ref().and_then(|a| a.password.clone());
        let rounds = self.app.config.passwords.pbkdf2_rounds;
        let (matched, rehash) = self.app.hashing.run(move || {
            let verdict = password::verify_or_dummy(&candidate, stored.as_deref(), rounds);
            let rehash = match (verdict, stored) {
                (Verdict::MatchNeedsRehash, Some(old)) => password::hash(&candidate, rounds)
                    .ok()
                    .map(|new| (old, new)),
                _ => None,
            };
            (verdict.matched(), rehash)
        });
        let account = match account {
            Some(account) if matched => account,
            other => {
                let uid = other.as_ref().map(|a| a.uid);
                self.app.db.write(|tx| {
                    guard.record(tx, false)?;
                    authlog::write(
                        tx,
                        LogType::PortalLoginFailed,
                        uid,
                        &self.ip,
                        &self.note(&username),
                    )
                })?;
                return Ok(self.again(Step::Password, 401, LOGIN_INCORRECT));
            }
        };
        if let Some(refusal) = refusal(account.acctstatus) {
            self.app.db.write(|tx| {
                guard.record(tx, true)?;
                let note = format!(
                    "{}, Refused: {}",
                    self.note(&username),
                    accounts::status_name(account.acctstatus)
                );
                authlog::write(
                    tx,
                    LogType::PortalLoginFailed,
                    Some(account.uid),
                    &self.ip,
                    &note,
                )
            })?;
            return Ok(self.again(Step::Password, 403, refusal));
        }
        let pending = if account.has_totp() {
            Some(Pending::Totp)
        } else if account.acctstatus == CHANGE_PASSWORD {
            Some(Pending::NewPassword)
        } else {
            None
        };
        let ttl = self.ttl(pending);
        let (opened, done) = self.app.db.write(|tx| {
            guard.record(tx, true)?;
            if let Some((old, new)) = &rehash {
                accounts::replace_password(tx, account.uid, old, new)?;
            }
            if account.acctstatus == ALERT_ON_ACCESS {
                self.queue_alert(tx, &account.username)?;
            }
            let opened = sessions::open(tx, account.uid, pending, &self.ip, self.now, ttl)?;
            let done = match pending {
                Some(_) => Done::Pending,
                None => self.complete(tx, account.uid)?,
            };
            Ok::<_, rusqlite::Error>((opened, done))
        })?;
        let cookie = cookies::set(self.app, self.page, cookies::SESSION, &opened.token, ttl);
        self.finished(done, Some(cookie))
    }

    fn totp_step(&self) -> Flow<Response> {
        let Some((session, account)) = &self.session else {
            return Ok(Response::see_other(&self.self_url(&[])));
        };
        let guard = Guard::for_ip(self.app, Secret::Totp, &self.ip, &account.username);
        self.throttled(&guard, Step::Totp)?;
        let code: String = self
            .field("totp")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let step = account
            .authsecret
            .as_deref()
            .filter(|_| account.has_totp())
            .and_then(totp::decode_secret)
            .and_then(|key| totp::matching_step(&key, &code, self.now));
        let next = (account.acctstatus == CHANGE_PASSWORD).then_some(Pending::NewPassword);
        let done = self.app.db.write(|tx| {
            let valid = match step {
                Some(step) => accounts::accept_totp_step(tx, account.uid, step)?,
                None => false,
            };
            guard.record(tx, valid)?;
            if !valid {
                let note = self.note(&account.username);
                authlog::write(
                    tx,
                    LogType::PortalBadAuthCode,
                    Some(account.uid),
                    &self.ip,
                    &note,
                )?;
                return Ok::<_, rusqlite::Error>(None);
            }
            sessions::set_pending(tx, session.id, next, self.now + self.ttl(next))?;
            Ok(Some(match next {
                Some(_) => Done::Pending,
                None => self.complete(tx, account.uid)?,
            }))
        })?;
        match done {
            Some(done) => self.finished(done, None),
            None => Ok(self.again(Step::Totp, 401, "Authentication code incorrect.")),
        }
    }

    fn new_password_step(&self, forced: bool) -> Flow<Response> {
        let Some((session, account)) = &self.session else {
            return Ok(Response::see_other(&self.self_url(&[])));
        };
        let step = if forced {
            Step::NewPassword
        } else {
            Step::Account
        };
        let new = self.field("new_password").to_string();
        if new != self.field("confirm") {
            return Ok(self.again(step, 400, "The new passwords do not match."));
        }
        if let Some(why) = policy::refusal(&self.app.config.login, &account.username, &new) {
            return Ok(self.again(step, 400, &why));
        }
        let guard = Guard::for_ip(self.app, Secret::Password, &self.ip, &account.username);
        if !forced {
            self.throttled(&guard, step)?;
        }
        let current = self.field("current").to_string();
        let stored = account.password.clone();
        let rounds = self.app.config.passwords.pbkdf2_rounds;
        let checked = self.app.hashing.run(move || {
            let verify = |candidate: &str| {
                stored
                    .as_deref()
                    .is_some_and(|s| password::verify(candidate, s, rounds).matched())
            };
            let current_ok = forced || verify(&current);
            if !current_ok {
                return Ok(Change::WrongCurrent);
            }
            if verify(&new) {
                return Ok(Change::Same);
            }
            password::hash(&new, rounds).map(Change::Hashed)
        });
        let hash = match checked.map_err(Stop::Server)? {
            Change::WrongCurrent => {
                self.app.db.write(|tx| {
                    guard.record(tx, false)?;
                    let note = self.note(&account.username);
                    authlog::write(
                        tx,
                        LogType::PortalLoginFailed,
                        Some(account.uid),
                        &self.ip,
                        &note,
                    )
                })?;
                return Ok(self.again(step, 401, "Your current password is incorrect."));
            }
            Change::Same => {
                return Ok(self.again(
                    step,
                    400,
                    "Choose a password different from your current one.",
                ));
            }
            Change::Hashed(hash) => hash,
        };
        let done = self.app.db.write(|tx| {
            if !forced {
                guard.record(tx, true)?;
            }
            accounts::set_field(tx, account.uid, Field::Password, hash.clone().into())?;
            if account.acctstatus == CHANGE_PASSWORD {
                accounts::set_field(tx, account.uid, Field::Status, NORMAL.into())?;
            }
            let note = self.note(&account.username);
            authlog::write(
                tx,
                LogType::PasswordChanged,
                Some(account.uid),
                &self.ip,
                &note,
            )?;
            sessions::revoke_others(tx, account.uid, session.id)?;
            sessions::set_pending(tx, session.id, None, self.now + self.ttl(None))?;
            if forced {
                self.complete(tx, account.uid)
            } else if self.key.is_some() {
                self.approve(tx, account.uid)
            } else {
                Ok(Done::Changed)
            }
        })?;
        self.finished(done, None)
    }

    fn logout(&self) -> Flow<Response> {
        if let (Some(token), Some((_, account))) = (
            cookies::get(&self.req.cookie, cookies::SESSION),
            &self.session,
        ) {
            self.app.db.write(|tx| {
                sessions::delete(tx, token)?;
                let note = self.note(&account.username);
                authlog::write(
                    tx,
                    LogType::PortalLogout,
                    Some(account.uid),
                    &self.ip,
                    &note,
                )
            })?;
        }
        let cookie = cookies::set(self.app, self.page, cookies::SESSION, "", 0);
        Ok(Response::see_other(&self.self_url(&[])).with_header("Set-Cookie", &cookie))
    }

    /// Session lifetime for a session with `pending` due.
    fn ttl(&self, pending: Option<Pending>) -> i64 {
        match pending {
            Some(_) => PENDING_TTL,
            None => self.app.config.login.session_lifetime_secs,
        }
    }

    /// The user is fully signed in: audit it and approve the key, if there is one.
    fn complete(&self, tx: &Connection, uid: i64) -> rusqlite::Result<Done> {
        let username = self.session.as_ref().map_or_else(
            || self.field("username").to_string(),
            |(_, a)| a.username.clone(),
        );
        let appname = self.key.as_ref().map_or("", |k| k.appname.as_str());
        let note = format!("{}, App: {appname}", self.note(&username));
        authlog::write(tx, LogType::PortalLoginOk, Some(uid), &self.ip, &note)?;
        self.approve(tx, uid)
    }

    /// Approves the visit's key for `uid` (no key: simply signed in).
    fn approve(&self, tx: &Connection, uid: i64) -> rusqlite::Result<Done> {
        Ok(match &self.key {
            None => Done::SignedIn,
            Some(key) if loginkeys::approve(tx, key.id, uid, self.now)? => Done::Approved,
            Some(_) => Done::Expired,
        })
    }

    /// The answer once a step went through: on to the next step, or back to the app.
    fn finished(&self, done: Done, cookie: Option<String>) -> Flow<Response> {
        let response = match done {
            Done::Pending => Response::see_other(&self.self_url(&[])),
            Done::Changed => Response::see_other(&self.self_url(&[("notice", "changed")])),
            Done::Expired => message(
                self.app,
                self.page,
                "This sign-in link expired meanwhile. Go back to the app and sign in again.",
            )
            .respond(400),
            Done::SignedIn | Done::Approved if !self.redirect.is_empty() => {
                Response::see_other(&self.redirect)
            }
            Done::SignedIn => Response::see_other(&self.self_url(&[])),
            Done::Approved => {
                let appname = self.key.as_ref().map_or("", |k| k.appname.as_str());
                let mut page = self.page(Step::Message);
                page.notice = Some(format!(
                    "You are signed in to {appname}. You can close this page and return to it."
                ));
                self.respond(page, 200)
            }
        };
        Ok(match cookie {
            Some(cookie) => response.with_header("Set-Cookie", &cookie),
            None => response,
        })
    }

    /// Queues the admin alert of an ALERT_ON_ACCESS account, named after the app the user
    /// signs in to. An unusable configured address is logged, not a failed sign-in.
    fn queue_alert(&self, tx: &Connection, username: &str) -> rusqlite::Result<()> {
        let appname = self
            .key
            .as_ref()
            .map_or(self.app.config.site_title.as_str(), |k| k.appname.as_str());
        match alert::queue_alert(tx, self.app, username, appname, &self.ip) {
            Ok(_) => Ok(()),
            Err(AlertError::Unusable(why)) => {
                crate::log::warn(&format!("login alert for {username} not queued: {why}"));
                Ok(())
            }
            Err(AlertError::Store(e)) => Err(e),
        }
    }
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    /// Another step is due.
    Pending,
    /// Signed in, no key.
    SignedIn,
    /// Signed in and the key approved.
    Approved,
    /// Signed in, but the key expired meanwhile.
    Expired,
    /// A signed-in user changed the password.
    Changed,
}

/// The result of checking a new password on the hashing pool.
enum Change {
    WrongCurrent,
    Same,
    Hashed(String),
}

/// Why a correct password still may not sign in, by status id.
fn refusal(status: i64) -> Option<&'static str> {
    match status {
        NORMAL | CHANGE_PASSWORD | ALERT_ON_ACCESS => None,
        2 => Some("This account has been disabled. Contact technical support."),
        4 => Some("Account terminated.  Access denied."),
        _ => Some("Your account state is not stable. Contact technical support."),
    }
}
