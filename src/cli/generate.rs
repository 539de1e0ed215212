//! Hidden `gen-man DIR` and `gen-completions DIR`: man pages and shell completions made
//! from the clap definitions themselves, so the Debian package never documents a flag the
//! binary does not have.

use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// Writes `accounthub.1` and one page per subcommand (`accounthub-user-add.1`, ...).
pub fn man_pages(dir: &Path) -> Result<i32, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    clap_mangen::generate_to(Cli::command(), dir)
        .map_err(|e| format!("cannot write man pages to {}: {e}", dir.display()))?;
    Ok(0)
}

/// Writes bash, zsh and fish completion scripts.
pub fn completions(dir: &Path) -> Result<i32, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut Cli::command(), "accounthub", dir)
            .map_err(|e| format!("cannot write {shell} completions: {e}"))?;
    }
    Ok(0)
}
