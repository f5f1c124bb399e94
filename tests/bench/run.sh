#!/usr/bin/env bash
# Runs every benchmark of revchain against diesel_migrations and rewrites
# BENCHMARKS.md and tests/bench/chart.svg. About 15 minutes on 2 cores.
#
#   tests/bench/run.sh                      # everything
#   tests/bench/run.sh --sizes 100,1000     # fewer sizes (see tests/bench/src/cli.rs)
#
# Needs the PostgreSQL server of the tests (REVCHAIN_TEST_POSTGRES_URL,
# default postgres://postgres@127.0.0.1:5432) and the sqlite3 and psql
# clients for the raw-script baseline; what is missing is skipped and said
# so in the report. Everything generated goes under target/bench/.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --quiet --release -p revchain-bench
exec target/release/revchain-bench all "$@"
