//! The `revchain` command, built inside this package so that its
//! integration tests can run it (cargo builds a package's own binaries for
//! its tests, never a dependency's). Its `main` is the same line as
//! `runtime/src/bin/revchain.rs`: all of the command is in `revchain::cli`.

fn main() -> std::process::ExitCode {
    revchain::cli::main()
}
