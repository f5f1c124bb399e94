//! Benchmarks of revchain against diesel_migrations, side by side: build
//! cost, applying a history, the startup check and binary size.
//!
//! `tests/bench/run.sh` runs everything and rewrites `BENCHMARKS.md` and
//! `tests/bench/chart.svg`; see [`cli`] for the options. The measuring
//! process is the crate `revchain-bench-runner` (`tests/bench/runner`).

pub mod chart;
pub mod cli;
pub mod deployments;
pub mod history;
pub mod import;
pub mod measure;
pub mod report;
pub mod stairway;
pub mod stats;
pub mod workspace;
