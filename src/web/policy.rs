//! Which new passwords the login page accepts: at least `login.password_min_length`
//! characters, not the user name, and not on the built-in or configured list of common
//! passwords (compared case-insensitively).

use crate::config::LoginConfig;

/// Built-in list of widely used passwords, one a line.
const COMMON: &str = include_str!("common-passwords.txt");

/// Largest common-passwords file read; the rest of a bigger file is ignored.
const FILE_MAX: u64 = 16 * 1024 * 1024;

/// Why a new password was refused, as the page shows it; `None` means accepted.
pub fn refusal(config: &LoginConfig, username: &str, candidate: &str) -> Option<String> {
    let min = config.password_min_length;
    if candidate.chars().count() < min {
        return Some(format!("Choose a password of at least {min} characters."));
    }
    let folded = candidate.trim().to_lowercase();
    if folded == username.to_lowercase() {
        return Some("Your password cannot be your user name.".into());
    }
    if is_common(config, &folded) {
        return Some("That password is too common. Choose another one.".into());
    }
    None
}

fn is_common(config: &LoginConfig, folded: &str) -> bool {
    let listed = |text: &str| text.lines().any(|l| l.trim().to_lowercase() == folded);
    if listed(COMMON) {
        return true;
    }
    if config.common_passwords_file.as_os_str().is_empty() {
        return false;
    }
    use std::io::Read;
    let mut text = String::new();
    let read = std::fs::File::open(&config.common_passwords_file)
        .and_then(|f| f.take(FILE_MAX).read_to_string(&mut text));
    if let Err(e) = read {
        crate::log::warn(&format!(
            "common passwords file {}: {e}",
            config.common_passwords_file.display()
        ));
    }
    listed(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_common_and_own_name_passwords_are_refused() {
        let dir = crate::test_dir("policy");
        let file = dir.join("common.txt");
        std::fs::write(&file, "Corporate2026!\n").unwrap();
        let mut config = LoginConfig::default();
        assert!(refusal(&config, "amy", "short").unwrap().contains("10"));
        assert!(
            refusal(&config, "amy", "PASSWORD123")
                .unwrap()
                .contains("common")
        );
        assert!(
            refusal(&config, "longusername", "LongUserName")
                .unwrap()
                .contains("user name")
        );
        assert_eq!(refusal(&config, "amy", "corporate2026!"), None);
        config.common_passwords_file = file;
        assert!(refusal(&config, "amy", "corporate2026!").is_some());
        assert_eq!(refusal(&config, "amy", "plum-quartz-river"), None);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
