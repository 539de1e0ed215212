//! Creating a batch: validate every entry, hash all passwords in parallel across the
//! hashing gate's slots, then insert the accounts, audit rows and welcome mails in one
//! short IMMEDIATE transaction that re-checks uniqueness under the write lock.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use super::fields::{self, Candidate};
use crate::app::App;
use crate::password::{self, HashGate};
use crate::secrets;
use crate::store::accounts::{self, NewAccount};
use crate::store::authlog;
use crate::store::outbox::{self, OutgoingMail};

/// Why one entry of the batch was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Position of the entry in `accounts.account` (0 for a single object).
    pub index: usize,
    /// The email as sent (trimmed), blank when it was not a string.
    pub email: String,
    /// The reason, for the client.
    pub message: String,
}

impl Skipped {
    /// Entry `index` skipped for `message`, reported with the email as the client sent it.
    fn new(entries: &[&Value], index: usize, message: String) -> Skipped {
        Skipped {
            index,
            email: entries[index]["email"]
                .as_str()
                .unwrap_or("")
                .trim()
                .to_string(),
            message,
        }
    }
}

/// What a batch did: the new uids in request order, and the skipped entries by index.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Created account ids.
    pub created: Vec<i64>,
    /// Skipped entries, ordered by index.
    pub skipped: Vec<Skipped>,
}

const DUPLICATE: &str = "An account with this email address already exists.";

/// Creates every valid entry; `Err` means nothing was created (server-side failure).
pub fn run(app: &App, entries: &[&Value], ip: &str) -> Result<Outcome, String> {
    let mut outcome = Outcome::default();
    let mut seen = HashSet::new();
    let mut valid: Vec<(usize, Candidate)> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let skip = |message: String| Skipped::new(entries, index, message);
        match fields::check(entry, &app.config.maian) {
            Err(message) => outcome.skipped.push(skip(message)),
            Ok(c) if !seen.insert(c.email.clone()) => outcome.skipped.push(skip(
                "The same email address appears earlier in this request.".into(),
            )),
            Ok(c) => valid.push((index, c)),
        }
    }
    // Addresses already taken are skipped before paying for their hashes; the
    // transaction checks again, since another request may have created them meanwhile.
    let taken = app
        .db
        .with(|conn| {
            valid
                .iter()
                .map(|(_, c)| accounts::email_taken(conn, &c.email))
                .collect::<Result<Vec<bool>, _>>()
        })
        .map_err(|e| format!("database error: {e}"))?;
    let mut fresh = Vec::with_capacity(valid.len());
    for ((index, c), taken) in valid.into_iter().zip(taken) {
        if taken {
            outcome
                .skipped
                .push(Skipped::new(entries, index, DUPLICATE.into()));
        } else {
            fresh.push((index, c));
        }
    }
    let length = app.config.maian.password_length;
    let plains: Vec<(String, bool)> = fresh
        .iter()
        .map(|(_, c)| match &c.password {
            Some(given) => (given.clone(), false),
            None => (
                secrets::random_string(secrets::PASSWORD_ALPHABET, length),
                true,
            ),
        })
        .collect();
    let hashes = hash_all(
        &app.hashing,
        app.config.hash_concurrency(),
        app.config.passwords.pbkdf2_rounds,
        &plains,
    )?;
    let (created, late) = app
        .db
        .write(|tx| {
            let mut created = Vec::new();
            let mut late = Vec::new();
            for (((index, c), (plain, generated)), hash) in fresh.iter().zip(&plains).zip(hashes) {
                if accounts::email_taken(tx, &c.email)? {
                    late.push(Skipped::new(entries, *index, DUPLICATE.into()));
                    continue;
                }
                let uid = accounts::insert(tx, &new_account(c, hash))?;
                authlog::write(
                    tx,
                    authlog::LogType::UserAdded,
                    Some(uid),
                    ip,
                    "Added by Maian API",
                )?;
                if *generated {
                    outbox::enqueue(tx, &welcome_mail(app, c, plain))?;
                }
                created.push(uid);
            }
            Ok::<_, rusqlite::Error>((created, late))
        })
        .map_err(|e| format!("database error: {e}"))?;
    outcome.created = created;
    outcome.skipped.extend(late);
    outcome.skipped.sort_by_key(|s| s.index);
    Ok(outcome)
}

fn new_account(c: &Candidate, hash: String) -> NewAccount {
    NewAccount {
        username: c.email.clone(),
        realname: c.name.clone(),
        email: Some(c.email.clone()),
        password_hash: Some(hash),
        acctstatus: 1,
        timezone: Some(c.timezone.clone()),
        language: Some(c.language.clone()),
        ip: Some(c.ip.clone()),
        notes: Some(c.notes.clone()),
    }
}

/// The welcome mail carrying a generated password (supplied passwords are never mailed).
fn welcome_mail(app: &App, c: &Candidate, password: &str) -> OutgoingMail {
    let site = &app.config.site_title;
    let body = [
        format!("Hello {},", c.name),
        String::new(),
        format!("An account has been created for you at {site}."),
        String::new(),
        format!("Username: {}", c.email),
        format!("Password: {password}"),
        String::new(),
        format!("Sign in at {}", app.config.public_url),
        String::new(),
        "Keep this password private. If you did not expect this message, tell the site's administrator.".into(),
    ];
    OutgoingMail {
        to_addr: c.email.clone(),
        to_name: c.name.clone(),
        from_addr: app.config.mail.from.clone(),
        from_name: site.clone(),
        subject: format!("Your new {site} account"),
        body: body.join("\r\n"),
    }
}

/// Hashes every password on the shared hashing pool, keeping `workers` (its size) jobs in
/// flight so every core hashes while concurrent logins still queue fairly between them.
/// Results come back in input order.
fn hash_all(
    gate: &HashGate,
    workers: usize,
    rounds: u32,
    plains: &[(String, bool)],
) -> Result<Vec<String>, String> {
    let next = AtomicUsize::new(0);
    let workers = workers.clamp(1, plains.len().max(1));
    let batches: Vec<Result<Vec<(usize, String)>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((plain, _)) = plains.get(i) else {
                            return Ok(done);
                        };
                        let plain = plain.clone();
                        done.push((i, gate.run(move || password::hash(&plain, rounds))?));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a hashing worker panicked".into()))
            })
            .collect()
    });
    let mut hashes = vec![String::new(); plains.len()];
    for batch in batches {
        for (i, hash) in batch? {
            hashes[i] = hash;
        }
    }
    Ok(hashes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_hashes_keep_input_order() {
        let plains: Vec<(String, bool)> = (0..7).map(|i| (format!("pw{i}"), false)).collect();
        let hashes = hash_all(&HashGate::new(2), 3, 1000, &plains).unwrap();
        for ((plain, _), hash) in plains.iter().zip(&hashes) {
            assert!(password::verify(plain, hash, 1000).matched());
        }
        assert!(
            hash_all(&HashGate::new(2), 2, 1000, &[])
                .unwrap()
                .is_empty()
        );
    }
}
