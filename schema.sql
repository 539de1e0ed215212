-- accounthub schema (SQLite). The single source of the database layout.
--
-- Table and column names are those of the original AccountHub MySQL schema, so existing
-- tooling and SQL habits carry over. Additions for accounthub are marked "accounthub:".
-- Applied as a whole on first open of an empty file (it is always the latest version);
-- older files are brought up to date by the PRAGMA user_version migrations in
-- src/store/schema.rs. All times are UTC text
-- 'YYYY-MM-DD HH:MM:SS' unless a column says it holds Unix seconds.

CREATE TABLE acctstatus (
    statusid   INTEGER PRIMARY KEY,
    statuscode TEXT NOT NULL UNIQUE
);

CREATE TABLE accttypes (
    typeid   INTEGER PRIMARY KEY,
    typecode TEXT NOT NULL UNIQUE
);

CREATE TABLE accounts (
    uid        INTEGER PRIMARY KEY,
    username   TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password   TEXT,                      -- PHC string ($pbkdf2-sha256$...) or imported bcrypt ($2y$...)
    realname   TEXT NOT NULL,
    email      TEXT DEFAULT 'NOEMAIL@EXAMPLE.COM',
    authsecret TEXT,                      -- base32 TOTP secret; NULL or '' = no 2FA
    pin        TEXT,                      -- accounthub: a PHC hash of the PIN, never the PIN itself
    phone1     TEXT NOT NULL DEFAULT '',
    phone2     TEXT NOT NULL DEFAULT '',
    acctstatus INTEGER NOT NULL DEFAULT 1 REFERENCES acctstatus (statusid),
    accttype   INTEGER NOT NULL DEFAULT 1 REFERENCES accttypes (typeid),
    deleted    INTEGER NOT NULL DEFAULT 0,
    totp_last_step INTEGER,               -- accounthub: last accepted TOTP time step (replay guard)
    timezone   TEXT,                      -- accounthub: Maian account fields
    language   TEXT,
    ip         TEXT,
    notes      TEXT,
    created    TEXT                       -- accounthub: creation time
);
CREATE INDEX accounts_email ON accounts (email COLLATE NOCASE);

-- accounthub: keys are stored as SHA-256 hex digests. A row written by another tool with a
-- plaintext key (hashed = 0) is hashed the next time the binary opens the database.
CREATE TABLE apikeys (
    keyid    INTEGER PRIMARY KEY,
    "key"    TEXT NOT NULL UNIQUE,
    notes    TEXT,
    type     TEXT NOT NULL DEFAULT 'FULL',
    hashed   INTEGER NOT NULL DEFAULT 0,
    censored TEXT NOT NULL DEFAULT '',
    created  TEXT
);

CREATE TABLE "groups" (
    groupid   INTEGER PRIMARY KEY,
    groupname TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE assigned_groups (
    groupid INTEGER NOT NULL REFERENCES "groups" (groupid) ON DELETE CASCADE,
    uid     INTEGER NOT NULL REFERENCES accounts (uid) ON DELETE CASCADE,
    PRIMARY KEY (groupid, uid)
);
CREATE INDEX assigned_groups_uid ON assigned_groups (uid);

CREATE TABLE managers (
    managerid  INTEGER NOT NULL REFERENCES accounts (uid) ON DELETE CASCADE,
    employeeid INTEGER NOT NULL REFERENCES accounts (uid) ON DELETE CASCADE,
    PRIMARY KEY (managerid, employeeid)
);
CREATE INDEX managers_employee ON managers (employeeid);

-- begin: usersearch index (also run alone by the migrations that rebuild it)
-- accounthub: substring index for usersearch (src/store/search.rs). Trigrams of the user
-- name and real name of live (not deleted) accounts, case-folded, contentless, in two parts:
-- * accounts_search: rowid = the account's rank in (realname, uid) order at the last reindex
--   (search_rank maps it back to the uid), so matches read in rowid order come out sorted
--   and a search stops at its tenth match;
-- * accounts_search_recent: rowid = uid, for accounts added or changed since (listed in
--   search_recent); they are few, so their matches are sorted on the spot.
-- The triggers move a changed account from the first part to the second; search::upkeep
-- folds the second back into the first when it grows. Everything here works on SQLite
-- 3.40 (Debian 12's sqlite3 and PHP pdo_sqlite): entries leave the contentless indexes by
-- FTS5's 'delete' command, which takes the indexed values, and those are always the old
-- row's values, because an account in either part was indexed as it was at its last change.
CREATE VIRTUAL TABLE accounts_search USING fts5 (
    username, realname, tokenize = 'trigram case_sensitive 0', content = ''
);
CREATE TABLE search_rank (
    rank INTEGER PRIMARY KEY,
    uid  INTEGER NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE accounts_search_recent USING fts5 (
    username, realname, tokenize = 'trigram case_sensitive 0', content = ''
);
CREATE TABLE search_recent (
    uid INTEGER PRIMARY KEY
);
CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts WHEN new.deleted = 0 BEGIN
    INSERT INTO accounts_search_recent (rowid, username, realname)
    VALUES (new.uid, new.username, new.realname);
    INSERT INTO search_recent (uid) VALUES (new.uid);
END;
CREATE TRIGGER accounts_search_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, username, realname)
    SELECT 'delete', rank, old.username, old.realname FROM search_rank WHERE uid = old.uid;
    DELETE FROM search_rank WHERE uid = old.uid;
    INSERT INTO accounts_search_recent (accounts_search_recent, rowid, username, realname)
    SELECT 'delete', uid, old.username, old.realname FROM search_recent WHERE uid = old.uid;
    DELETE FROM search_recent WHERE uid = old.uid;
END;
CREATE TRIGGER accounts_search_update
AFTER UPDATE OF uid, username, realname, deleted ON accounts BEGIN
    INSERT INTO accounts_search (accounts_search, rowid, username, realname)
    SELECT 'delete', rank, old.username, old.realname FROM search_rank WHERE uid = old.uid;
    DELETE FROM search_rank WHERE uid = old.uid;
    INSERT INTO accounts_search_recent (accounts_search_recent, rowid, username, realname)
    SELECT 'delete', uid, old.username, old.realname FROM search_recent WHERE uid = old.uid;
    DELETE FROM search_recent WHERE uid = old.uid;
    INSERT INTO accounts_search_recent (rowid, username, realname)
    SELECT new.uid, new.username, new.realname WHERE new.deleted = 0;
    INSERT INTO search_recent (uid) SELECT new.uid WHERE new.deleted = 0;
END;
-- end: usersearch index

CREATE TABLE logtypes (
    logtype  INTEGER PRIMARY KEY,
    typename TEXT
);

CREATE TABLE authlog (
    logid     INTEGER PRIMARY KEY,
    logtime   TEXT NOT NULL,
    logtype   INTEGER NOT NULL REFERENCES logtypes (logtype),
    uid       INTEGER REFERENCES accounts (uid) ON DELETE SET NULL,
    ip        TEXT,
    otherdata TEXT
);
CREATE INDEX authlog_time ON authlog (logtime);

CREATE TABLE permissions (
    permid   INTEGER PRIMARY KEY,
    permcode TEXT NOT NULL COLLATE NOCASE,
    perminfo TEXT
);
CREATE INDEX permissions_code ON permissions (permcode);

CREATE TABLE assigned_permissions (
    uid    INTEGER NOT NULL REFERENCES accounts (uid) ON DELETE CASCADE,
    permid INTEGER NOT NULL REFERENCES permissions (permid) ON DELETE CASCADE,
    PRIMARY KEY (uid, permid)
);

CREATE TABLE mobile_codes (
    codeid      INTEGER PRIMARY KEY,
    uid         INTEGER NOT NULL REFERENCES accounts (uid) ON DELETE CASCADE,
    code        TEXT NOT NULL DEFAULT '' UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE onetimekeys (
    "key"   TEXT PRIMARY KEY,
    uid     INTEGER NOT NULL REFERENCES accounts (uid) ON DELETE CASCADE,
    expires TEXT NOT NULL
);

CREATE TABLE notifications (
    notificationid INTEGER PRIMARY KEY,
    uid            INTEGER NOT NULL REFERENCES accounts (uid) ON DELETE CASCADE,
    timestamp      TEXT NOT NULL,
    title          TEXT NOT NULL,
    content        TEXT NOT NULL,
    url            TEXT NOT NULL DEFAULT '',
    seen           INTEGER NOT NULL DEFAULT 0,
    sensitive      INTEGER NOT NULL DEFAULT 0,
    appid          TEXT
);
CREATE INDEX notifications_uid ON notifications (uid, seen, timestamp);

CREATE TABLE userkeytypes (
    typeid   INTEGER PRIMARY KEY,
    typename TEXT NOT NULL
);

CREATE TABLE userkeys (
    uid     INTEGER PRIMARY KEY REFERENCES accounts (uid) ON DELETE CASCADE,
    "key"   TEXT NOT NULL,
    created TEXT,
    typeid  INTEGER NOT NULL REFERENCES userkeytypes (typeid)
);

CREATE TABLE userloginkeys (
    id      INTEGER PRIMARY KEY,
    "key"   TEXT NOT NULL UNIQUE,
    expires TEXT,
    uid     INTEGER REFERENCES accounts (uid) ON DELETE CASCADE,
    appname TEXT NOT NULL,
    appicon TEXT
);

-- begin: login sessions (also run alone by the version 3 migration)
-- accounthub: browser sessions of the login page (src/store/sessions.rs). The cookie holds a
-- random token; only its SHA-256 hex digest is stored. `csrf` is the session's own random
-- token that every form posted in it must carry. `pending` names the step still due after
-- the password was verified ('totp', 'newpass'); NULL means fully signed in. A user keeps
-- at most a few sessions: opening one more drops the oldest.
CREATE TABLE login_sessions (
    id      INTEGER PRIMARY KEY,
    token   TEXT NOT NULL UNIQUE,
    uid     INTEGER NOT NULL REFERENCES accounts (uid) ON DELETE CASCADE,
    csrf    TEXT NOT NULL,
    pending TEXT,
    ip      TEXT NOT NULL DEFAULT '',
    created INTEGER NOT NULL,                 -- Unix seconds
    expires INTEGER NOT NULL                  -- Unix seconds
);
CREATE INDEX login_sessions_uid ON login_sessions (uid, created);
CREATE INDEX login_sessions_expires ON login_sessions (expires);
-- end: login sessions

CREATE TABLE apppasswords (
    passid      INTEGER PRIMARY KEY,
    hash        TEXT NOT NULL,
    uid         INTEGER NOT NULL REFERENCES accounts (uid) ON DELETE CASCADE,
    description TEXT NOT NULL
);
CREATE INDEX apppasswords_uid ON apppasswords (uid);

-- accounthub: replaces the original single-slot rate_limit table. One row per bucket
-- ("badkey|<ip>", "cred|<ip>|<username>", ...), a fixed window counter shared by every
-- process that opens the file (CGI included). WITHOUT ROWID: the bucket name is the key, so
-- a count or a release writes one page instead of a row page and an index page.
-- begin: rate limits
CREATE TABLE rate_limits (
    bucket       TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,        -- Unix seconds
    hits         INTEGER NOT NULL
) WITHOUT ROWID;
-- end: rate limits

-- accounthub: durable mail outbox. A row is written in the same transaction as the event
-- that causes the mail and is deleted from the queue only by marking it sent or failed.
CREATE TABLE mail_outbox (
    id           INTEGER PRIMARY KEY,
    to_addr      TEXT NOT NULL,
    to_name      TEXT NOT NULL DEFAULT '',
    from_addr    TEXT NOT NULL,
    from_name    TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    created      TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,        -- Unix seconds
    last_error   TEXT,
    sent         TEXT,                    -- set when the server accepted the message
    failed       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent, failed, next_attempt);

INSERT INTO acctstatus (statusid, statuscode) VALUES
    (1, 'NORMAL'), (2, 'LOCKED_OR_DISABLED'), (3, 'CHANGE_PASSWORD'), (4, 'TERMINATED'),
    (5, 'ALERT_ON_ACCESS');

INSERT INTO accttypes (typeid, typecode) VALUES (1, 'LOCAL'), (2, 'EXTERNAL');

INSERT INTO logtypes (logtype, typename) VALUES
    (1, 'PORTAL_LOGIN_OK'), (2, 'PORTAL_LOGIN_FAILED'), (3, 'PASSWORD_CHANGED'),
    (4, 'API_LOGIN_OK'), (5, 'API_LOGIN_FAILED'), (6, 'PORTAL_BAD_AUTHCODE'),
    (7, 'API_BAD_AUTHCODE'), (8, 'BAD_CAPTCHA'), (9, '2FA_ADDED'), (10, '2FA_REMOVED'),
    (11, 'PORTAL_LOGOUT'), (12, 'API_AUTH_OK'), (13, 'API_AUTH_FAILED'), (14, 'API_BAD_KEY'),
    (15, 'LOG_CLEARED'), (16, 'USER_REMOVED'), (17, 'USER_ADDED'), (18, 'USER_EDITED'),
    (19, 'MOBILE_LOGIN_OK'), (20, 'MOBILE_LOGIN_FAILED'), (21, 'MOBILE_BAD_KEY');

INSERT INTO permissions (permid, permcode, perminfo) VALUES
    (1, 'ADMIN', 'System administrator'),
    (100, 'INV_VIEW', 'Access inventory system'),
    (101, 'INV_EDIT', 'Edit inventory system'),
    (200, 'TASKFLOOR', 'Access TaskFloor'),
    (300, 'QWIKCLOCK', 'Access QwikClock and punch in/out'),
    (301, 'QWIKCLOCK_MANAGE', 'Edit punches and other data for managed users'),
    (302, 'QWIKCLOCK_EDITSELF', 'Edit own punches and other data'),
    (303, 'QWIKCLOCK_ADMIN', 'Add and edit shifts and other data for all users'),
    (400, 'SITEWRITER', 'Manage and edit websites, messages, and analytics'),
    (401, 'SITEWRITER_CONTACT', 'Manage messages sent via website contact forms'),
    (402, 'SITEWRITER_ANALYTICS', 'View website analytics'),
    (403, 'SITEWRITER_EDIT', 'Edit website content'),
    (404, 'SITEWRITER_FILES', 'Manage and upload files');

INSERT INTO userkeytypes (typeid, typename) VALUES (1, 'RSSAtomFeed'), (2, 'Other');
