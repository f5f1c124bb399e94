//! `revchain completions SHELL` and `revchain man`: what a packager or a
//! user installs next to the binary, generated from the same clap
//! definition the binary parses with, so they never fall behind it.
//!
//! Both belong to the standalone binary only. An application that mounts
//! [`DbArgs`](super::DbArgs) as its `db` subcommand generates completions
//! and a manual page for its own command, `db` included, with
//! `clap_complete` and `clap_mangen` over its own parser.

use std::io::{self, Write};

use clap::CommandFactory;
pub use clap_complete::Shell;

use super::Cli;

/// Writes the completion script of `revchain` for `shell`.
///
/// ```
/// let mut script = Vec::new();
/// revchain::cli::write_completions(revchain::cli::Shell::Bash, &mut script).unwrap();
/// assert!(String::from_utf8(script).unwrap().contains("upgrade"));
/// ```
pub fn write_completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    let mut command = Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut command, "revchain", &mut buffer);
    out.write_all(&buffer)?;
    out.flush()
}

/// Writes the manual page `revchain.1` (roff).
///
/// ```
/// let mut page = Vec::new();
/// revchain::cli::write_man_page(&mut page).unwrap();
/// assert!(String::from_utf8(page).unwrap().starts_with(".ie"));
/// ```
pub fn write_man_page(out: &mut dyn Write) -> io::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(out)?;
    out.flush()
}
