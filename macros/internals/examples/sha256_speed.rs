//! Measures the speed of the crate's SHA-256 through
//! [`revchain_internals::revision_checksum`], the way `embed_revisions!` uses
//! it: about 10 MiB of SQL-like text as 10,000 revisions of ~1 KiB each, plus
//! the same text hashed as one 10 MiB string. Prints MiB/s (best and median
//! of several passes) for both.
//!
//! The proc macro is built with `opt-level = 0` in the dev profile, so the
//! number that matters most is the one from a plain dev build:
//!
//! ```text
//! cargo run -p revchain-internals --example sha256_speed
//! cargo run -p revchain-internals --example sha256_speed --release
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

const REVISIONS: usize = 10_000;
const PASSES: usize = 7;

/// One `up.sql` of roughly 1 KiB, different for every revision.
fn revision_sql(n: usize) -> String {
    let mut sql =
        format!("-- revision {n}\nCREATE TABLE table_{n} (\n    id BIGSERIAL PRIMARY KEY,\n");
    let mut column = 0;
    while sql.len() < 960 {
        sql.push_str(&format!(
            "    column_{column}_of_{n} VARCHAR({}) NOT NULL DEFAULT '',\n",
            16 + (n * 7 + column) % 240
        ));
        column += 1;
    }
    sql.push_str("    created_at TIMESTAMP NOT NULL DEFAULT now()\n);\n");
    sql
}

fn mib_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / time.as_secs_f64()
}

/// Runs `pass` [`PASSES`] times and prints the best and median speed.
fn measure(label: &str, bytes: usize, mut pass: impl FnMut()) {
    let mut times: Vec<Duration> = (0..PASSES)
        .map(|_| {
            let start = Instant::now();
            pass();
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{label:<22} {:>8.1} MiB/s best {:>8.1} MiB/s median ({:.2} MiB x {PASSES})",
        mib_per_s(bytes, times[0]),
        mib_per_s(bytes, times[PASSES / 2]),
        bytes as f64 / (1024.0 * 1024.0),
    );
}

fn main() {
    let revisions: Vec<String> = (0..REVISIONS).map(revision_sql).collect();
    let total: usize = revisions.iter().map(String::len).sum();
    let whole = revisions.concat();

    measure("10,000 revisions", total, || {
        for sql in &revisions {
            black_box(revchain_internals::revision_checksum(black_box(sql)));
        }
    });
    measure("one 10 MiB string", whole.len(), || {
        black_box(revchain_internals::revision_checksum(black_box(&whole)));
    });
}
