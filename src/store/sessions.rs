//! SQL of the `login_sessions` table: browser sessions of the login page, stored in the
//! SQLite file so every process (FastCGI, CGI) sees the same ones.
//!
//! The cookie carries a random token; the table keeps only its SHA-256 digest, so a copy of
//! the database does not sign anyone in. Each session has its own CSRF token for its forms.

use rusqlite::{Connection, OptionalExtension, params};

use super::Result;
use crate::secrets;

/// Sessions one user may hold at once; opening one more drops the oldest, so the table
/// stays bounded however often someone signs in.
pub const MAX_PER_USER: i64 = 8;

/// Characters of the cookie token (URL-safe alphabet, about 256 bits).
const TOKEN_LEN: usize = 43;

/// Characters of a session's CSRF token.
const CSRF_LEN: usize = 32;

/// Longest client address kept with a session.
const IP_MAX: usize = 64;

/// A step of the login page still due before a session counts as signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// The password was right; the TOTP code of a 2FA account is still due.
    Totp,
    /// The account must choose a new password (CHANGE_PASSWORD) before it may go on.
    NewPassword,
}

impl Pending {
    fn as_str(self) -> &'static str {
        match self {
            Pending::Totp => "totp",
            Pending::NewPassword => "newpass",
        }
    }

    fn parse(text: Option<&str>) -> Option<Pending> {
        match text? {
            "totp" => Some(Pending::Totp),
            // Anything else another tool wrote is treated as the strictest step left.
            _ => Some(Pending::NewPassword),
        }
    }
}

/// A stored session (never its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Row id: what `session revoke` takes.
    pub id: i64,
    /// The account it belongs to.
    pub uid: i64,
    /// Token every form posted in this session must carry.
    pub csrf: String,
    /// Step still due; `None` means signed in.
    pub pending: Option<Pending>,
    /// Client address that opened it.
    pub ip: String,
    /// Unix seconds when it was opened.
    pub created: i64,
    /// Unix seconds after which it no longer counts.
    pub expires: i64,
}

impl Session {
    /// Whether the session is fully signed in (no step pending).
    pub fn signed_in(&self) -> bool {
        self.pending.is_none()
    }
}

/// A freshly opened session: the token for the cookie (shown once) and the stored row.
#[derive(Debug, Clone)]
pub struct Opened {
    /// Cookie value; only its digest is stored.
    pub token: String,
    /// The stored session.
    pub session: Session,
}

fn row_to_session(r: &rusqlite::Row) -> rusqlite::Result<Session> {
    let pending: Option<String> = r.get(3)?;
    Ok(Session {
        id: r.get(0)?,
        uid: r.get(1)?,
        csrf: r.get(2)?,
        pending: Pending::parse(pending.as_deref()),
        ip: r.get(4)?,
        created: r.get(5)?,
        expires: r.get(6)?,
    })
}

const COLUMNS: &str = "id, uid, csrf, pending, ip, created, expires";

/// Opens a signed-in session for `uid` lasting `ttl_secs` and returns its cookie token.
/// Call inside a write transaction.
pub fn create(conn: &Connection, uid: i64, now: i64, ttl_secs: i64) -> Result<String> {
    Ok(open(conn, uid, None, "", now, ttl_secs)?.token)
}

/// Opens a session for `uid` with `pending` still due (or signed in when `None`), from
/// client address `ip`; drops expired sessions and the user's oldest beyond `MAX_PER_USER`.
/// Call inside a write transaction.
pub fn open(
    conn: &Connection,
    uid: i64,
    pending: Option<Pending>,
    ip: &str,
    now: i64,
    ttl_secs: i64,
) -> Result<Opened> {
    purge_expired(conn, now)?;
    let token = secrets::random_string(secrets::URL_SAFE, TOKEN_LEN);
    let csrf = secrets::random_string(secrets::URL_SAFE, CSRF_LEN);
    let ip: String = ip.chars().take(IP_MAX).collect();
    let expires = now.saturating_add(ttl_secs.max(1));
    conn.prepare_cached(
        "INSERT INTO login_sessions (token, uid, csrf, pending, ip, created, expires)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        secrets::sha256_hex(token.as_bytes()),
        uid,
        csrf,
        pending.map(Pending::as_str),
        ip,
        now,
        expires
    ])?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached(
        "DELETE FROM login_sessions WHERE uid = ?1 AND id NOT IN
           (SELECT id FROM login_sessions WHERE uid = ?1 ORDER BY created DESC, id DESC LIMIT ?2)",
    )?
    .execute(params![uid, MAX_PER_USER])?;
    Ok(Opened {
        token,
        session: Session {
            id,
            uid,
            csrf,
            pending,
            ip,
            created: now,
            expires,
        },
    })
}

/// The unexpired session whose token this is; digests are compared again in constant time.
pub fn find(conn: &Connection, token: &str, now: i64) -> Result<Option<Session>> {
    let digest = secrets::sha256_hex(token.as_bytes());
    let found: Option<(String, Session)> = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, token FROM login_sessions WHERE token = ?1 AND expires > ?2"
        ))?
        .query_row(params![digest, now], |r| {
            Ok((r.get(7)?, row_to_session(r)?))
        })
        .optional()?;
    Ok(found.and_then(|(stored, session)| {
        secrets::constant_time_eq(stored.as_bytes(), digest.as_bytes()).then_some(session)
    }))
}

/// Sets the step still due of a session (`None`: signed in now) and its new expiry.
pub fn set_pending(
    conn: &Connection,
    id: i64,
    pending: Option<Pending>,
    expires: i64,
) -> Result<()> {
    conn.prepare_cached("UPDATE login_sessions SET pending = ?1, expires = ?2 WHERE id = ?3")?
        .execute(params![pending.map(Pending::as_str), expires, id])?;
    Ok(())
}

/// Ends every session of a user except `keep` (after a password change); returns how
/// many ended.
pub fn revoke_others(conn: &Connection, uid: i64, keep: i64) -> Result<usize> {
    conn.prepare_cached("DELETE FROM login_sessions WHERE uid = ?1 AND id <> ?2")?
        .execute(params![uid, keep])
}

/// Ends the session whose token this is (sign out); true if it existed.
pub fn delete(conn: &Connection, token: &str) -> Result<bool> {
    let digest = secrets::sha256_hex(token.as_bytes());
    Ok(conn
        .prepare_cached("DELETE FROM login_sessions WHERE token = ?1")?
        .execute([digest])?
        > 0)
}

/// A user's unexpired sessions, newest first.
pub fn list_for_user(conn: &Connection, uid: i64, now: i64) -> Result<Vec<Session>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM login_sessions WHERE uid = ?1 AND expires > ?2
         ORDER BY created DESC, id DESC"
    ))?
    .query_map(params![uid, now], row_to_session)?
    .collect()
}

/// Ends one of a user's sessions by row id; true if it existed.
pub fn revoke(conn: &Connection, uid: i64, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM login_sessions WHERE uid = ?1 AND id = ?2")?
        .execute(params![uid, id])?
        > 0)
}

/// Ends every session of a user (password changed, account locked by an admin); returns
/// how many there were.
pub fn revoke_all(conn: &Connection, uid: i64) -> Result<usize> {
    conn.prepare_cached("DELETE FROM login_sessions WHERE uid = ?1")?
        .execute([uid])
}

/// Drops sessions that have expired, so the table holds only live ones.
pub fn purge_expired(conn: &Connection, now: i64) -> Result<usize> {
    conn.prepare_cached("DELETE FROM login_sessions WHERE expires <= ?1")?
        .execute([now])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;

    fn db() -> (Connection, i64) {
        schema::test_db_with_account()
    }

    #[test]
    fn a_token_finds_its_session_until_it_expires() {
        let (conn, uid) = db();
        let token = create(&conn, uid, 1000, 60).unwrap();
        let stored: String = conn
            .query_row("SELECT token FROM login_sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, secrets::sha256_hex(token.as_bytes()));
        let found = find(&conn, &token, 1059).unwrap().unwrap();
        assert_eq!(found.uid, uid);
        assert!(found.signed_in());
        assert_eq!(found.csrf.len(), CSRF_LEN);
        assert!(find(&conn, &token, 1060).unwrap().is_none(), "expired");
        assert!(find(&conn, "not-a-token", 1000).unwrap().is_none());
        assert!(delete(&conn, &token).unwrap());
        assert!(find(&conn, &token, 1001).unwrap().is_none());
    }

    #[test]
    fn pending_steps_are_kept_and_cleared() {
        let (conn, uid) = db();
        let opened = open(&conn, uid, Some(Pending::Totp), "10.0.0.9", 1000, 60).unwrap();
        let found = find(&conn, &opened.token, 1001).unwrap().unwrap();
        assert_eq!(found, opened.session);
        assert_eq!(found.pending, Some(Pending::Totp));
        set_pending(&conn, found.id, Some(Pending::NewPassword), 1060).unwrap();
        let found = find(&conn, &opened.token, 1001).unwrap().unwrap();
        assert_eq!(found.pending, Some(Pending::NewPassword));
        set_pending(&conn, found.id, None, 5000).unwrap();
        let found = find(&conn, &opened.token, 1100).unwrap().unwrap();
        assert!(found.signed_in());
        assert_eq!(found.expires, 5000);
        let other = create(&conn, uid, 1001, 60).unwrap();
        assert_eq!(revoke_others(&conn, uid, found.id).unwrap(), 1);
        assert!(find(&conn, &other, 1002).unwrap().is_none());
    }

    #[test]
    fn a_user_keeps_only_the_newest_sessions() {
        let (conn, uid) = db();
        let tokens: Vec<String> = (0..MAX_PER_USER + 2)
            .map(|i| create(&conn, uid, 1000 + i, 600).unwrap())
            .collect();
        let live = list_for_user(&conn, uid, 1100).unwrap();
        assert_eq!(live.len() as i64, MAX_PER_USER);
        assert_eq!(live[0].created, 1000 + MAX_PER_USER + 1, "newest first");
        assert!(find(&conn, &tokens[0], 1100).unwrap().is_none());
        assert!(find(&conn, &tokens[2], 1100).unwrap().is_some());
        assert!(revoke(&conn, uid, live[0].id).unwrap());
        assert!(
            !revoke(&conn, uid + 1, live[1].id).unwrap(),
            "other user's id"
        );
        assert_eq!(revoke_all(&conn, uid).unwrap() as i64, MAX_PER_USER - 1);
        assert!(list_for_user(&conn, uid, 1100).unwrap().is_empty());
    }

    #[test]
    fn opening_a_session_drops_expired_ones() {
        let (conn, uid) = db();
        create(&conn, uid, 1000, 10).unwrap();
        create(&conn, uid, 2000, 10).unwrap();
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM login_sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
    }
}
