//! `revchain-bench import [--smoke] [--reps N]`: how long `revchain import
//! --from diesel` takes on the generated 1,000-revision diesel directory
//! (`target/bench/diesel-1000`), as a whole process: reading the
//! directory, planning, staging, checking the staged history with the
//! compiler's rules and moving it into place. Prints the median; asserts
//! nothing about time.
//!
//! Each repetition runs this binary's `import-once SRC DIR`, which is
//! `revchain::cli::main_from(["revchain", "import", …])` with its output
//! sent to `/dev/null` by the caller.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::history;

/// The size of the imported history.
pub const LEN: usize = 1000;

/// Runs the measurement.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let smoke = args.iter().any(|a| a == "--smoke");
    let reps = match args.iter().position(|a| a == "--reps") {
        Some(at) => args
            .get(at + 1)
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .ok_or("`--reps` takes a positive number")?,
        None if smoke => 1,
        None => 7,
    };
    let bench = root.join("target/bench");
    let history = history::generate(&bench, LEN)?;
    let exe = std::env::current_exe().map_err(|e| format!("finding this binary: {e}"))?;
    let mut samples = Vec::with_capacity(reps);
    for rep in 0..reps {
        let out = bench.join(format!("imported-{LEN}"));
        if out.exists() {
            std::fs::remove_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        }
        let started = Instant::now();
        let status = Command::new(&exe)
            .arg("import-once")
            .arg(&history.diesel)
            .arg(&out)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("starting the import: {e}"))?;
        let elapsed = started.elapsed();
        if !status.success() {
            return Err(format!(
                "the import of {} failed ({status})",
                history.diesel.display()
            ));
        }
        let revisions = revchain::Revisions::load(&out, "imported")
            .map_err(|defects| format!("the imported history breaks the rules: {defects}"))?;
        if revisions.len() != LEN {
            return Err(format!(
                "the import wrote {} revisions, not {LEN}",
                revisions.len()
            ));
        }
        eprintln!(
            "import of {LEN} revisions, repetition {}: {:.1} ms",
            rep + 1,
            ms(elapsed)
        );
        samples.push(elapsed);
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    println!(
        "revchain import --from diesel: {LEN} revisions in {:.1} ms (median of {reps}, {} build)",
        ms(median),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    Ok(())
}

/// `import-once SRC DIR`: one import, as the `revchain` command runs it.
pub fn once(args: &[String]) -> Result<(), String> {
    let [source, dir] = args else {
        return Err("usage: revchain-bench import-once SRC DIR".to_owned());
    };
    let code = revchain::cli::main_from([
        "revchain", "import", "--from", "diesel", source, "--dir", dir,
    ]);
    if code == std::process::ExitCode::SUCCESS {
        Ok(())
    } else {
        Err("the import failed".to_owned())
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
