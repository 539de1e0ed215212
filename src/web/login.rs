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

use rusqlite::Connection;

use super::cookies;
use super::page::Step;
use super::policy;
use super::visit::{Flow, Stop, Visit, form_fields, message, query_fields, stop_page};
use crate::actions::credentials::LOGIN_INCORRECT;
use crate::actions::throttle::{Guard, Secret};
use crate::app::App;
use crate::mail::alert::{self, AlertError};
use crate::password::{self, Verdict};
use crate::request::Request;
use crate::response::Response;
use crate::routing;
use crate::store::accounts::{self, AccountStatus, Field};
use crate::store::authlog::{self, LogType};
use crate::store::loginkeys;
use crate::store::sessions::{self, Pending};
use crate::totp;

/// Seconds a half-done sign-in (TOTP or new password still due) may take.
const PENDING_TTL: i64 = 600;

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

impl Visit<'_> {
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
            ("continue", Some(None)) => self.continue_step(),
            ("logout", Some(_)) => self.logout(),
            // A form of another step (an old tab, a double submit): show where things are.
            ("password" | "totp" | "newpass" | "continue" | "logout", _) => {
                Ok(Response::see_other(&self.self_url(&[])))
            }
            _ => Ok(message(self.app, self.page, "This form is not known here.").respond(400)),
        }
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
        if let Some(refusal) = refusal(account.status) {
            self.app.db.write(|tx| {
                guard.release(tx)?;
                let note = format!("{}, Refused: {}", self.note(&username), account.status);
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
        } else if account.status == AccountStatus::ChangePassword {
            Some(Pending::NewPassword)
        } else {
            None
        };
        let ttl = self.ttl(pending);
        let (opened, done) = self.app.db.write(|tx| {
            guard.release(tx)?;
            if let Some((old, new)) = &rehash {
                accounts::replace_password(tx, account.uid, old, new)?;
            }
            if account.status == AccountStatus::AlertOnAccess {
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
        let next =
            (account.status == AccountStatus::ChangePassword).then_some(Pending::NewPassword);
        let done = self.app.db.write(|tx| {
            let valid = match step {
                Some(step) => accounts::accept_totp_step(tx, account.uid, step)?,
                None => false,
            };
            if valid {
                guard.release(tx)?;
            } else {
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
            Some(done) => self.finished(done, self.renewed_cookie(next)),
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
                // The current password was right: its reserved attempt goes back.
                if !forced {
                    self.app.db.write(|tx| guard.release(tx))?;
                }
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
                guard.release(tx)?;
            }
            accounts::set_field(tx, account.uid, Field::Password, hash.clone().into())?;
            if account.status == AccountStatus::ChangePassword {
                accounts::set_field(
                    tx,
                    account.uid,
                    Field::Status,
                    AccountStatus::Normal.id().into(),
                )?;
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
        self.finished(done, self.renewed_cookie(None))
    }

    /// A signed-in browser approves one more app's key; an ALERT_ON_ACCESS account's
    /// admin hears of it like of any sign-in.
    fn continue_step(&self) -> Flow<Response> {
        let Some((_, account)) = &self.session else {
            return Ok(Response::see_other(&self.self_url(&[])));
        };
        let done = self.app.db.write(|tx| {
            if account.status == AccountStatus::AlertOnAccess {
                self.queue_alert(tx, &account.username)?;
            }
            self.complete(tx, account.uid)
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

    /// The session cookie again with the lifetime the stored session now has: it was set
    /// for `PENDING_TTL` at the password step, and would otherwise vanish from the browser
    /// ten minutes into a session that lasts `session_lifetime_secs`.
    fn renewed_cookie(&self, pending: Option<Pending>) -> Option<String> {
        let token = cookies::get(&self.req.cookie, cookies::SESSION)?;
        Some(cookies::set(
            self.app,
            self.page,
            cookies::SESSION,
            token,
            self.ttl(pending),
        ))
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

/// Why a correct password still may not sign in (CHANGE_PASSWORD signs in, then asks for a
/// new password).
fn refusal(status: AccountStatus) -> Option<&'static str> {
    match status {
        AccountStatus::Normal | AccountStatus::ChangePassword | AccountStatus::AlertOnAccess => {
            None
        }
        AccountStatus::LockedOrDisabled => {
            Some("This account has been disabled. Contact technical support.")
        }
        AccountStatus::Terminated => Some("Account terminated.  Access denied."),
        AccountStatus::Other(_) => {
            Some("Your account state is not stable. Contact technical support.")
        }
    }
}
