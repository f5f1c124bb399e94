//! What a writing command (`upgrade`, `downgrade`, `stamp`) checks of its
//! target before it opens the database, so that a mistake in its arguments
//! creates nothing, not even a new SQLite file: the target's form, a range
//! (offline scripts only), and a target that names a revision whatever the
//! database is at (`head`, an id or a prefix, `<id>+N`). A target relative
//! to the current revision (`+N`, `-N`) is resolved against the database.

use super::error::CliError;
use crate::{Revisions, Target};

/// Refuses `target` of `command` when it is wrong whatever the database
/// holds (see the [module](self)).
pub(crate) fn check_target(
    target: &str,
    command: &str,
    revisions: &Revisions,
) -> Result<(), CliError> {
    refuse_range(target, command)?;
    let parsed: Target = target.parse()?;
    if !parsed.is_relative_to_current() {
        parsed.resolve(revisions, None)?;
    }
    Ok(())
}

/// A range `FROM:TO` is for offline scripts only, as in Alembic.
fn refuse_range(target: &str, command: &str) -> Result<(), CliError> {
    match target.rsplit_once(':') {
        None => Ok(()),
        Some((_, to)) => Err(CliError::message(
            format!("the range `{target}` is only allowed with `--sql`"),
            format!(
                "run `{command} {to}` against the database, or add `--sql` to print the script"
            ),
        )),
    }
}
