//! The `revchain` command: Alembic's commands over a migrations directory.
//! Everything is in the library, [`revchain::cli`], which an application
//! also embeds as its `db` subcommand.

fn main() -> std::process::ExitCode {
    revchain::cli::main()
}
