//! Benchmark dataset generator: `gen_directory PATH` writes a fresh accounthub database with
//! 100,000 accounts (2% deleted), 500 groups with 1–4 memberships per user, a manager tree
//! (teams of about eight, some employees with a second manager) and permission grants.
//! Deterministic (fixed-seed PRNG) and fast: one transaction, one fixed password hash.

use std::path::Path;

use accounthub::store::{Db, search};
use rusqlite::params;

const USERS: i64 = 100_000;
const GROUPS: i64 = 500;

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Nancy",
    "Daniel",
    "Lisa",
    "Matthew",
    "Betty",
    "Anthony",
    "Margaret",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Dorothy",
    "Kevin",
    "Carol",
    "Brian",
    "Amanda",
    "George",
    "Melissa",
    "Edward",
    "Deborah",
    "José",
    "Zoë",
    "Björn",
    "Chloé",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Müller",
    "Øberg",
    "O'Brien",
];
const DEPTS: &[&str] = &[
    "Warehouse",
    "Sales",
    "Support",
    "Finance",
    "Engineering",
    "Field",
    "Office",
    "Drivers",
];
const CODES: &[i64] = &[100, 101, 200, 300, 301, 302, 303, 400, 401, 402, 403, 404];

/// A fixed, well-formed PBKDF2 PHC string: the bench never logs in.
const HASH: &str = "$pbkdf2-sha256$i=600000,l=32$YmVuY2hzYWx0YmVuY2g$\
                    Zml4ZWRoYXNoZm9yYmVuY2htYXJrc29ubHlvbmx5eHg";

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len() as u64) as usize]
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: gen_directory PATH")?;
    if Path::new(&path).exists() {
        return Err(format!("{path} exists; give a new file").into());
    }
    let db = Db::open(Path::new(&path))?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    db.write(|tx| {
        let mut account = tx.prepare(
            "INSERT INTO accounts (uid, username, password, realname, email, deleted, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, '2024-01-01 00:00:00')",
        )?;
        for uid in 1..=USERS {
            let (first, last) = (rng.pick(FIRST), rng.pick(LAST));
            let username = format!(
                "{}{}{uid}",
                first.chars().next().unwrap_or('x').to_lowercase(),
                last.to_lowercase().replace(['\'', ' '], "")
            );
            let deleted = rng.below(50) == 0;
            account.execute(params![
                uid,
                username,
                HASH,
                format!("{first} {last}"),
                format!("{username}@example.com"),
                deleted
            ])?;
        }
        let mut group =
            tx.prepare("INSERT INTO \"groups\" (groupid, groupname) VALUES (?1, ?2)")?;
        for gid in 1..=GROUPS {
            group.execute(params![gid, format!("{} {gid:03}", rng.pick(DEPTS))])?;
        }
        let mut member = tx.prepare("INSERT OR IGNORE INTO assigned_groups VALUES (?1, ?2)")?;
        let mut manager = tx.prepare("INSERT OR IGNORE INTO managers VALUES (?1, ?2)")?;
        let mut grant = tx.prepare("INSERT OR IGNORE INTO assigned_permissions VALUES (?1, ?2)")?;
        for uid in 1..=USERS {
            for _ in 0..=rng.below(4) {
                member.execute(params![1 + rng.below(GROUPS as u64) as i64, uid])?;
            }
            if uid > 1 {
                // Teams of about eight under uid/8; one in ten also reports to a peer lead.
                manager.execute(params![uid / 8 + 1, uid])?;
                if rng.below(10) == 0 {
                    manager.execute(params![1 + rng.below(uid as u64 - 1) as i64, uid])?;
                }
            }
            let admin = rng.below(100) == 0;
            if admin {
                grant.execute(params![uid, 1])?;
            }
            for _ in 0..rng.below(4) {
                grant.execute(params![uid, CODES[rng.below(CODES.len() as u64) as usize]])?;
            }
        }
        Ok::<_, rusqlite::Error>(())
    })?;
    // Written with plain SQL, like an import by another tool: the accounts sit in the
    // search index's recent part until a reindex, timed here because it is the cost a
    // directory of this size pays each time that part is folded back.
    let started = std::time::Instant::now();
    db.write(|tx| search::reindex(tx))?;
    eprintln!(
        "search reindex of {USERS} accounts: {:.2?}",
        started.elapsed()
    );
    db.with(|c| c.execute_batch("PRAGMA optimize;"))?;
    println!("wrote {path}: {USERS} accounts, {GROUPS} groups");
    Ok(())
}
