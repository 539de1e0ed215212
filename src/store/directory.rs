//! SQL of the directory tables: groups and memberships, manager relations, permissions.
//! Every read joins `accounts` and hides deleted accounts, so no list leaks a
//! removed person. The API only reads these; the admin CLI writes them.

use rusqlite::{Connection, OptionalExtension, params};

use super::Result;

/// A group as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// `groups.groupid`.
    pub id: i64,
    /// `groups.groupname`.
    pub name: String,
}

/// A live member of a group, with what `getusersbygroup get=detail` shows.
#[derive(Debug, Clone)]
pub struct Member {
    /// Account id.
    pub uid: i64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub realname: String,
    /// True when a PIN is set.
    pub pin: bool,
}

/// Every group, ordered by name (the original had no ORDER BY; name order is what MySQL
/// happened to give).
pub fn groups(conn: &Connection) -> Result<Vec<Group>> {
    conn.prepare_cached("SELECT groupid, groupname FROM \"groups\" ORDER BY groupname, groupid")?
        .query_map([], row_to_group)?
        .collect()
}

/// A group by id.
pub fn group_by_id(conn: &Connection, gid: i64) -> Result<Option<Group>> {
    conn.prepare_cached("SELECT groupid, groupname FROM \"groups\" WHERE groupid = ?1")?
        .query_row([gid], row_to_group)
        .optional()
}

/// A group by name, compared case-insensitively.
pub fn group_by_name(conn: &Connection, name: &str) -> Result<Option<Group>> {
    conn.prepare_cached("SELECT groupid, groupname FROM \"groups\" WHERE groupname = ?1")?
        .query_row([name], row_to_group)
        .optional()
}

/// The groups of one account, ordered by name.
pub fn groups_of(conn: &Connection, uid: i64) -> Result<Vec<Group>> {
    conn.prepare_cached(
        "SELECT g.groupid, g.groupname FROM assigned_groups ag
         JOIN \"groups\" g ON g.groupid = ag.groupid
         WHERE ag.uid = ?1 ORDER BY g.groupname, g.groupid",
    )?
    .query_map([uid], row_to_group)?
    .collect()
}

/// The live members of a group, ordered by uid.
pub fn members(conn: &Connection, gid: i64) -> Result<Vec<Member>> {
    conn.prepare_cached(
        "SELECT a.uid, a.username, a.realname, coalesce(a.pin, '') <> '' FROM assigned_groups ag
         JOIN accounts a ON a.uid = ag.uid
         WHERE ag.groupid = ?1 AND a.deleted = 0 ORDER BY a.uid",
    )?
    .query_map([gid], |r| {
        Ok(Member {
            uid: r.get(0)?,
            username: r.get(1)?,
            realname: r.get(2)?,
            pin: r.get(3)?,
        })
    })?
    .collect()
}

fn row_to_group(r: &rusqlite::Row) -> rusqlite::Result<Group> {
    Ok(Group {
        id: r.get(0)?,
        name: r.get(1)?,
    })
}

/// Creates a group and returns its id; a taken name fails with a constraint error.
pub fn add_group(conn: &Connection, name: &str) -> Result<i64> {
    conn.prepare_cached("INSERT INTO \"groups\" (groupname) VALUES (?1)")?
        .execute([name])?;
    Ok(conn.last_insert_rowid())
}

/// Deletes a group (memberships go with it); false if there was none.
pub fn remove_group(conn: &Connection, gid: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM \"groups\" WHERE groupid = ?1")?
        .execute([gid])?
        > 0)
}

/// Adds or removes a membership; false if nothing changed.
pub fn set_member(conn: &Connection, gid: i64, uid: i64, member: bool) -> Result<bool> {
    let sql = if member {
        "INSERT OR IGNORE INTO assigned_groups (groupid, uid) VALUES (?1, ?2)"
    } else {
        "DELETE FROM assigned_groups WHERE groupid = ?1 AND uid = ?2"
    };
    Ok(conn.prepare_cached(sql)?.execute([gid, uid])? > 0)
}

/// Which side of the managers relation a list is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The employees a user manages.
    Employees,
    /// The managers of a user.
    Managers,
}

/// The live accounts on one side of `uid`'s manager relations, as (uid, username) by uid.
pub fn related(conn: &Connection, uid: i64, side: Side) -> Result<Vec<(i64, String)>> {
    let sql = match side {
        Side::Employees => {
            "SELECT a.uid, a.username FROM managers m JOIN accounts a ON a.uid = m.employeeid
             WHERE m.managerid = ?1 AND a.deleted = 0 ORDER BY a.uid"
        }
        Side::Managers => {
            "SELECT a.uid, a.username FROM managers m JOIN accounts a ON a.uid = m.managerid
             WHERE m.employeeid = ?1 AND a.deleted = 0 ORDER BY a.uid"
        }
    };
    conn.prepare_cached(sql)?
        .query_map([uid], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// True if `manager` manages `employee` (direct relation only; it is not transitive).
pub fn is_manager(conn: &Connection, manager: i64, employee: i64) -> Result<bool> {
    conn.prepare_cached("SELECT 1 FROM managers WHERE managerid = ?1 AND employeeid = ?2")?
        .exists([manager, employee])
}

/// Adds or removes a manager relation; false if nothing changed.
pub fn set_manager(conn: &Connection, manager: i64, employee: i64, on: bool) -> Result<bool> {
    let sql = if on {
        "INSERT OR IGNORE INTO managers (managerid, employeeid) VALUES (?1, ?2)"
    } else {
        "DELETE FROM managers WHERE managerid = ?1 AND employeeid = ?2"
    };
    Ok(conn.prepare_cached(sql)?.execute([manager, employee])? > 0)
}

/// A permission code and its description.
#[derive(Debug, Clone)]
pub struct Permission {
    /// `permissions.permid`.
    pub id: i64,
    /// The code apps ask for, e.g. `QWIKCLOCK`.
    pub code: String,
    /// Free-text description.
    pub info: String,
}

/// True if the account holds `code` or `ADMIN` (admins hold every code, even unknown ones).
/// Codes compare case-insensitively, as on the original's MySQL.
pub fn has_permission(conn: &Connection, uid: i64, code: &str) -> Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM assigned_permissions ap JOIN permissions p ON p.permid = ap.permid
         WHERE ap.uid = ?1 AND (p.permcode = ?2 OR p.permcode = 'ADMIN')",
    )?
    .exists(params![uid, code])
}

/// A permission by code (case-insensitive).
pub fn permission_by_code(conn: &Connection, code: &str) -> Result<Option<Permission>> {
    conn.prepare_cached(
        "SELECT permid, permcode, coalesce(perminfo, '') FROM permissions
         WHERE permcode = ?1 ORDER BY permid LIMIT 1",
    )?
    .query_row([code], row_to_permission)
    .optional()
}

/// Every permission code, or only those granted to `uid`, ordered by code.
pub fn permissions(conn: &Connection, uid: Option<i64>) -> Result<Vec<Permission>> {
    conn.prepare_cached(
        "SELECT permid, permcode, coalesce(perminfo, '') FROM permissions p
         WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM assigned_permissions ap
                                     WHERE ap.permid = p.permid AND ap.uid = ?1)
         ORDER BY permcode, permid",
    )?
    .query_map([uid], row_to_permission)?
    .collect()
}

fn row_to_permission(r: &rusqlite::Row) -> rusqlite::Result<Permission> {
    Ok(Permission {
        id: r.get(0)?,
        code: r.get(1)?,
        info: r.get(2)?,
    })
}

/// Creates a permission code and returns its id.
pub fn add_permission(conn: &Connection, code: &str, info: &str) -> Result<i64> {
    conn.prepare_cached("INSERT INTO permissions (permcode, perminfo) VALUES (?1, ?2)")?
        .execute([code, info])?;
    Ok(conn.last_insert_rowid())
}

/// Grants or revokes a permission; false if nothing changed.
pub fn set_granted(conn: &Connection, uid: i64, permid: i64, granted: bool) -> Result<bool> {
    let sql = if granted {
        "INSERT OR IGNORE INTO assigned_permissions (uid, permid) VALUES (?1, ?2)"
    } else {
        "DELETE FROM assigned_permissions WHERE uid = ?1 AND permid = ?2"
    };
    Ok(conn.prepare_cached(sql)?.execute([uid, permid])? > 0)
}
